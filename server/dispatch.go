package server

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
)

// A worker is one registered process (or thread) with its own pair; ready counts the
// `client` calls it has made that no connection has answered yet.
type worker struct {
	fd, pid int
	ready   int
	gone    bool
}

type acceptedConn struct {
	fd   int
	peer netip.AddrPort
}

// dispatcher is owned by the one goroutine that runs it; Server.stats mirrors its counters.
type dispatcher struct {
	s        *Server
	workers  map[int]*worker // by the server's end of the worker's pair
	readyQ   []*worker       // one entry per ready slot, oldest first (FIFO: see the man page)
	ready    int             // live entries in readyQ
	queue    []acceptedConn  // accepted, waiting for a ready worker
	pending  []bool          // listeners[i] may have connections waiting (edge-triggered)
	next     int             // the listener to try first, so none is starved
	backoff  acceptBackoff
	readBuf  [16]byte
	isListen map[int]int // listener fd -> index
}

func newDispatcher(s *Server) (*dispatcher, error) {
	d := &dispatcher{
		s: s, workers: make(map[int]*worker),
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
	for {
		n, err := unix.EpollWait(d.s.epoll, events, d.backoff.waitMillis(time.Now()))
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
			switch fd {
			case d.s.wake:
				if d.s.closing.Load() {
					d.shutdown()
					return
				}
			case d.s.registration:
				d.acceptRegistrations()
			default:
				d.readWorker(d.workers[fd])
			}
		}
		d.dispatch()
	}
}

func (d *dispatcher) acceptRegistrations() {
	for {
		fd, pid, err := forksafe.RecvRegistration(d.s.registration)
		if err != nil {
			if !errors.Is(err, unix.EAGAIN) {
				d.s.report(fmt.Sprintf("socketserver port %d: bad worker registration: %v", d.s.port, err),
					[]string{"SOCKETSERVER", "PROTOCOL", err.Error()})
			}
			return
		}
		// Non-blocking: this end is the server's alone, and the loop must never wait on a worker.
		if err := unix.SetNonblock(fd, true); err != nil || d.watch(fd, unix.EPOLLIN|unix.EPOLLRDHUP) != nil {
			forksafe.Close(fd)
			continue
		}
		d.workers[fd] = &worker{fd: fd, pid: pid}
		d.s.stats.workers.Store(int64(len(d.workers)))
	}
}

// readWorker takes a worker's READY messages; end-of-file or anything malformed means the
// worker is gone.
func (d *dispatcher) readWorker(w *worker) {
	if w == nil {
		return
	}
	for {
		n, err := unix.Read(w.fd, d.readBuf[:])
		if errors.Is(err, unix.EAGAIN) {
			return
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || !isReady(d.readBuf[:max(n, 0)]) {
			d.removeWorker(w)
			return
		}
		w.ready++
		d.ready++
		d.readyQ = append(d.readyQ, w)
		d.s.stats.ready.Store(int64(d.ready))
	}
}

func (d *dispatcher) removeWorker(w *worker) {
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, w.fd, nil)
	forksafe.Close(w.fd)
	delete(d.workers, w.fd)
	w.gone = true
	d.ready -= w.ready
	w.ready = 0
	d.s.stats.workers.Store(int64(len(d.workers)))
	d.s.stats.ready.Store(int64(d.ready))
}

// popReady takes the oldest ready slot of a live worker.
func (d *dispatcher) popReady() *worker {
	for len(d.readyQ) > 0 {
		w := d.readyQ[0]
		d.readyQ[0] = nil
		d.readyQ = d.readyQ[1:]
		if !w.gone {
			w.ready--
			d.ready--
			d.s.stats.ready.Store(int64(d.ready))
			return w
		}
	}
	return nil
}

// dispatch hands queued connections to ready workers, then accepts while a worker is ready
// or the queue has room: with -queue 0 a connection nobody is ready for stays in the
// kernel's listen queue, whose length -backlog sets.
func (d *dispatcher) dispatch() {
	for {
		for len(d.queue) > 0 && d.ready > 0 {
			c := d.queue[0]
			d.queue = d.queue[1:]
			d.handOver(c)
		}
		if d.ready == 0 && len(d.queue) >= d.s.opts.Queue {
			break
		}
		c, ok := d.acceptOne()
		if !ok {
			break
		}
		d.s.stats.accepted.Add(1)
		d.queue = append(d.queue, c)
	}
	d.s.stats.queued.Store(int64(len(d.queue)))
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
		fd, peer, err := forksafe.Accept(d.s.listeners[i])
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
			if msg, code := d.backoff.failed(now, errno, d.s.port); msg != "" {
				d.s.report(msg, code)
			}
		default:
			d.pending[i] = false
		}
	}
	return acceptedConn{}, false
}

// handOver gives a connection to the oldest ready worker. A worker that cannot take it has
// died (its pair is closed), so the connection goes to the next one; if none is left it
// waits at the head of the queue. It is never dropped.
func (d *dispatcher) handOver(c acceptedConn) {
	for w := d.popReady(); w != nil; w = d.popReady() {
		if err := forksafe.SendConn(w.fd, c.fd, c.peer); err != nil {
			d.removeWorker(w)
			continue
		}
		forksafe.Close(c.fd)
		d.s.stats.dispatched.Add(1)
		return
	}
	d.queue = append([]acceptedConn{c}, d.queue...)
}

// shutdown closes everything in an order that lets no new connection in: listeners first.
func (d *dispatcher) shutdown() {
	closeAll(d.s.listeners)
	d.s.listeners = nil
	for _, c := range d.queue {
		forksafe.Close(c.fd)
	}
	d.queue = nil
	for _, w := range d.workers {
		forksafe.Close(w.fd)
	}
	d.workers = nil
	d.s.closeDescriptors()
	d.s.stats.workers.Store(0)
	d.s.stats.ready.Store(0)
	d.s.stats.queued.Store(0)
}
