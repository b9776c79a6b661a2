package server

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

type acceptedConn struct {
	fd   int
	peer netip.AddrPort
}

// dispatcher is owned by the one goroutine that runs it; Server.stats mirrors its counters.
type dispatcher struct {
	s         *Server
	workers   map[int]*worker // by the server's end of the worker's pair
	lifelines map[int]*worker // by the read end of the worker's lifeline
	readyQ    []*worker       // one entry per ready slot, oldest first (FIFO: see the man page)
	ready     int             // live entries in readyQ
	blocked   int             // of those, the ones of workers whose pair is full (see block)
	ahead     int             // connections sent to workers beyond their waiting calls (-queue n)
	// aheadable lists workers that may be sent a connection ahead: busy (no call waiting)
	// and fewer than aheadPerWorker sent ahead. Entries are checked when taken.
	aheadable []*worker
	queue     []acceptedConn // accepted, waiting for a ready worker
	held      holding
	pending   []bool      // listeners[i] may have connections waiting (edge-triggered)
	next      int         // the listener to try first, so none is starved
	isListen  map[int]int // listener fd -> index
	backoff   acceptBackoff
	// registrations pauses reading registrations while the server has no descriptor for
	// them (they wait in the registration pair meanwhile).
	registrations      acceptBackoff
	registrationPaused bool
	// unreclaimed holds the server's copies of dead workers' ends that still hold
	// connections, left there while the process was out of descriptors.
	unreclaimed []int
}

func newDispatcher(s *Server) (*dispatcher, error) {
	d := &dispatcher{
		s: s, workers: make(map[int]*worker), lifelines: make(map[int]*worker), held: holding{conns: make(map[int]*heldConn)},
		pending: make([]bool, len(s.listeners)), isListen: make(map[int]int),
	}
	for i, fd := range s.listeners {
		d.isListen[fd] = i
		// Edge-triggered: the listener stays readable while no worker is ready, and
		// level-triggering would wake this loop for nothing until one is.
		if err := d.watch(fd, unix.EPOLLIN|unix.EPOLLET); err != nil {
			return nil, err
		}
	}
	for _, fd := range []int{s.registration, s.wake} {
		if err := d.watch(fd, unix.EPOLLIN); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *dispatcher) watch(fd int, events uint32) error {
	return unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd)})
}

func (d *dispatcher) run() {
	defer close(d.s.done)
	events := make([]unix.EpollEvent, 64)
	lastYield := time.Now()
	for {
		n, err := unix.EpollWait(d.s.epoll, events, d.waitMillis(time.Now()))
		if err != nil && !errors.Is(err, unix.EINTR) {
			// Only EBADF or EINVAL can get here, meaning the epoll instance is broken:
			// say so, then close down rather than spin.
			d.s.report(fmt.Sprintf("socketserver port %d: epoll_wait failed: %v; server closed", d.s.port, err),
				[]string{"SOCKETSERVER", "INTERNAL", err.Error()})
			d.shutdown()
			return
		}
		for _, ev := range events[:max(n, 0)] {
			fd := int(ev.Fd)
			if i, ok := d.isListen[fd]; ok {
				d.pending[i] = true
				continue
			}
			switch {
			case fd == d.s.wake:
				if d.runCommands() {
					d.shutdown()
					return
				}
			case fd == d.s.registration:
				d.acceptRegistrations()
			case d.held.conns[fd] != nil:
				d.advance(d.held.conns[fd])
			case d.lifelines[fd] != nil:
				d.lost(d.lifelines[fd]) // nobody writes to a lifeline: it ended
			default:
				d.readWorker(d.workers[fd], ev.Events)
			}
		}
		now := time.Now()
		if d.registrationPaused && !d.registrations.paused(now) {
			d.pauseRegistrations(false)
			d.acceptRegistrations()
		}
		d.expireHeld(now)
		if len(d.unreclaimed) > 0 {
			d.retryTakeBacks()
		}
		d.dispatch()
		if now.Sub(lastYield) >= yieldEvery {
			runtime.Gosched()
			lastYield = now
		}
	}
}

// yieldEvery is how long the dispatch goroutine runs before it yields. It never blocks in
// Go (only in system calls), so Go's scheduler would otherwise count it as running without
// a break: after 10 ms (forcePreemptNS) sysmon takes its P away in the middle of whichever
// system call or C call it is in, and then polls at its shortest interval again; under load
// that cost more context switches than the connections did.
const yieldEvery = 5 * time.Millisecond

// waitMillis is the epoll_wait timeout: until an accept pause or a held connection's
// deadline ends, or forever (-1).
func (d *dispatcher) waitMillis(now time.Time) int {
	wait := d.backoff.waitMillis(now)
	if d.registrationPaused {
		wait = sooner(wait, d.registrations.waitMillis(now))
	}
	if len(d.unreclaimed) > 0 {
		wait = sooner(wait, retryTakeBackMillis)
	}
	return d.heldWaitMillis(now, wait)
}

// retryTakeBackMillis is how often the server tries again to take back connections a dead
// worker left while the process was out of descriptors.
const retryTakeBackMillis = 100

// sooner is the epoll_wait timeout wait (-1 for none) lowered to ms, if ms comes first.
func sooner(wait, ms int) int {
	if wait < 0 || ms < wait {
		return max(ms, 0)
	}
	return wait
}

// runCommands runs what other goroutines asked of the dispatcher; true means close down.
func (d *dispatcher) runCommands() bool {
	var drain [8]byte
	unix.Read(d.s.wake, drain[:])
	for _, command := range d.s.takeCommands() {
		command(d)
	}
	return d.s.closing.Load()
}

// acceptRegistrations adds the workers waiting in the registration pair. Out of
// descriptors, it leaves them there and pauses (as accepting does): a worker is registered
// late, never lost.
func (d *dispatcher) acceptRegistrations() {
	for {
		reg, pid, err := handover.RecvRegistration(d.s.registration)
		var errno unix.Errno
		switch {
		case err == nil:
			d.registrations.succeeded()
			d.addWorker(&worker{Registration: reg, pid: pid})
			continue
		case errors.Is(err, unix.EAGAIN):
		case errors.As(err, &errno) && !errors.Is(err, unix.EPROTO) && !errors.Is(err, unix.ECONNRESET):
			now := time.Now()
			if msg, code := d.registrations.failedDoing(now, errno, d.s.port, "worker registration", "registering", "REGISTER"); msg != "" {
				d.s.report(msg, code)
			}
			d.pauseRegistrations(true)
		default:
			d.s.report(fmt.Sprintf("socketserver port %d: bad worker registration: %v", d.s.port, err),
				[]string{"SOCKETSERVER", "PROTOCOL", err.Error()})
		}
		return
	}
}

// pauseRegistrations stops (or resumes) watching the registration pair: while the server
// is out of descriptors, a registration left queued would wake the loop without end.
func (d *dispatcher) pauseRegistrations(pause bool) {
	var events uint32 = unix.EPOLLIN
	if pause {
		events = 0
	}
	d.registrationPaused = pause
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_MOD, d.s.registration, &unix.EpollEvent{Events: events, Fd: int32(d.s.registration)})
}

// readWorker takes a worker's READY messages; anything malformed, or end-of-file (which
// only a worker that shut its end down can cause), means the worker is gone.
// EPOLLOUT on a blocked worker's pair means it has read enough to take connections again.
func (d *dispatcher) readWorker(w *worker, events uint32) {
	if w == nil {
		return
	}
	if w.blocked && events&unix.EPOLLOUT != 0 {
		d.unblock(w)
	}
	state, got, ok, _ := handover.ReadWorker(w.ServerEnd)
	if got {
		d.update(w, state)
	}
	if !ok {
		d.lost(w)
	}
}

// dispatch hands queued connections to ready workers, then accepts while a worker is ready
// or the queue has room: with -queue 0 a connection nobody is ready for stays in the
// kernel's listen queue, whose length -backlog sets.
func (d *dispatcher) dispatch() {
	for {
		for len(d.queue) > 0 && d.sendable() > 0 {
			d.handOver(d.popQueue())
		}
		d.sendAhead()
		if !d.roomToAccept() || !d.roomToHold(time.Now()) {
			break
		}
		c, ok := d.acceptOne()
		if !ok {
			break
		}
		d.s.stats.accepted.Add(1)
		d.admit(c)
	}
	d.s.stats.queued.Store(int64(len(d.queue)))
}

// roomToAccept says whether the server may accept another connection: while it has fewer
// accepted connections nobody asked for (queued, or sent ahead) than READYs it can answer,
// plus -queue.
func (d *dispatcher) roomToAccept() bool {
	return len(d.queue)+d.ahead < d.sendable()+d.s.opts.Queue
}

// acceptOne accepts from the next listener that may have a connection waiting.
func (d *dispatcher) acceptOne() (acceptedConn, bool) {
	for tried := 0; tried < len(d.s.listeners); {
		now := time.Now()
		if d.backoff.paused(now) {
			return acceptedConn{}, false
		}
		i := d.next
		if !d.pending[i] {
			d.next = (i + 1) % len(d.s.listeners)
			tried++
			continue
		}
		fd, peer, err := handover.Accept(d.s.listeners[i])
		if err == nil {
			d.backoff.succeeded()
			d.next = (i + 1) % len(d.s.listeners)
			return acceptedConn{fd: fd, peer: peer}, true
		}
		var errno unix.Errno
		switch {
		case errors.Is(err, unix.EAGAIN):
			d.pending[i] = false
		case errors.Is(err, unix.EINTR):
		case errors.As(err, &errno):
			if d.shedHeld(d.s.listeners[i], errno) {
				continue // a held connection gave its descriptor back: accept again
			}
			if msg, code := d.backoff.failed(now, errno, d.s.port); msg != "" {
				d.s.report(msg, code)
			}
		default:
			d.pending[i] = false
		}
	}
	return acceptedConn{}, false
}

// handOver gives a connection to the oldest ready worker. A worker whose pair is full keeps
// its request and is passed over until it has read some (see block); one whose pair failed
// has died. Either way the
// connection goes to the next ready worker, or waits at the head of the queue. It is never
// dropped.
func (d *dispatcher) handOver(c acceptedConn) {
	for w := d.popReady(); w != nil; w = d.popReady() {
		err := handover.PassConn(w.ServerEnd, c.fd, c.peer, d.s.opts.Queue > 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOBUFS) {
			d.unpop(w)
			d.block(w)
			continue
		}
		if err != nil {
			// It died: c waits at the head, behind what w had not taken (older than c).
			d.requeue(c)
			d.lost(w)
			return
		}
		d.sent(w)
		return
	}
	d.requeue(c)
}

// sendAhead hands connections queued with -queue n to busy workers, up to aheadPerWorker
// each, before they ask: the worker finds it in its pair at its next `client` call instead of waiting for the
// server's answer. Only workers that registered themselves (not a pool's) are sent one, and
// only one that has asked before.
func (d *dispatcher) sendAhead() {
	for len(d.queue) > 0 {
		w := d.popAheadable()
		if w == nil {
			return
		}
		c := d.popQueue()
		err := handover.PassConn(w.ServerEnd, c.fd, c.peer, d.s.opts.Queue > 0)
		switch {
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOBUFS):
			d.requeue(c)
			d.block(w)
		case err != nil:
			d.requeue(c)
			d.lost(w)
		default:
			d.setAhead(w, w.ahead+1)
			d.sent(w)
			d.offerAhead(w)
		}
	}
}

// popQueue takes the oldest queued connection. Emptied, the queue keeps its place in its
// array, so that the next connection queued reuses it: no allocation per connection.
func (d *dispatcher) popQueue() acceptedConn {
	c := d.queue[0]
	if len(d.queue) == 1 {
		d.queue = d.queue[:0]
	} else {
		d.queue = d.queue[1:]
	}
	return c
}

// requeue puts connections back at the head of the queue, in order.
func (d *dispatcher) requeue(cs ...acceptedConn) {
	d.queue = append(cs, d.queue...)
}

// shutdown closes everything in an order that lets no new connection in: listeners first.
// Commands that raced with Close run first, so nobody waits on them forever.
func (d *dispatcher) shutdown() {
	closeAll(d.s.listeners)
	d.s.listeners = nil
	for _, command := range d.s.stopCommands() {
		command(d)
	}
	for _, c := range d.queue {
		handover.Close(c.fd)
	}
	d.queue = nil
	d.closeHeld()
	closeAll(d.unreclaimed)
	d.unreclaimed = nil
	for _, w := range d.workers {
		d.retire(w) // no hooks: a pool learns of this from Server.Done
	}
	d.s.closeDescriptors()
	d.s.stats.workers.Store(0)
	d.s.stats.ready.Store(0)
	d.s.stats.queued.Store(0)
}
