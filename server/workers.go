package server

import (
	"fmt"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

// Workers usually register themselves through the registration pair. A pool adds the ones
// it spawns directly, with hooks to follow them.

// WorkerHooks are called from the dispatch goroutine: they must not block.
type WorkerHooks struct {
	MaxConnections uint64 // after this many, the server retires the worker (0: no limit)
	OnFirstReady   func() // the worker asked for its first connection
	OnLimit        func() // the worker reached MaxConnections; the server retires it on return
}

// Worker is a server's view of one worker added with AddWorker.
type Worker struct {
	w *worker
}

// Served is how many connections the worker has been handed.
func (w *Worker) Served() uint64 { return w.w.served.Load() }

// AddWorker makes a spawned process a worker of this server: reg holds the server's end of
// the process's pair, the server's copy of the process's end, and the read end of its
// lifeline (see handover.Registration); the server owns all three from here on.
func (s *Server) AddWorker(reg handover.Registration, pid int, hooks WorkerHooks) (*Worker, error) {
	w := &worker{Registration: reg, pid: pid, hooks: hooks, spawned: true}
	result := make(chan error, 1)
	if !s.do(func(d *dispatcher) { result <- d.addWorker(w) }) {
		closeRegistration(reg)
		return nil, unix.ESHUTDOWN
	}
	if err := <-result; err != nil {
		return nil, err
	}
	return &Worker{w: w}, nil
}

// Retire stops handing connections to the worker and closes the server's end of its pair;
// the worker sees end-of-file and finishes what it holds.
func (s *Server) Retire(w *Worker) {
	s.do(func(d *dispatcher) { d.retire(w.w) })
}

// worker is one registered process (or thread) with its own pair (fd: the server's end).
// The server knows of it what its READYs said (see worker/protocol.h) and what it has sent since.
type worker struct {
	handover.Registration
	pid      int
	ready    int // calls of its waiting that no connection sent answers
	ahead    int // connections sent beyond its waiting calls, at most aheadPerWorker
	gone     bool
	blocked  bool // its pair is full: passed over until EPOLLOUT says it has room again
	spawned  bool // added by AddWorker (a pool's): never sent a connection ahead
	sawReady bool
	offered  bool          // listed in the dispatcher's aheadable
	sent     uint64        // connections sent to it
	served   atomic.Uint64 // the same, read by other goroutines
	hooks    WorkerHooks
}

// workerEvents is what the server watches on a worker's pair; a blocked one's also EPOLLOUT.
const workerEvents = unix.EPOLLIN | unix.EPOLLRDHUP

// aheadPerWorker is how many connections a busy worker may be sent ahead of its calls.
const aheadPerWorker = handover.AheadMax

func closeRegistration(reg handover.Registration) {
	handover.Close(reg.ServerEnd)
	handover.Close(reg.WorkerEnd)
	handover.Close(reg.Lifeline)
}

func (d *dispatcher) addWorker(w *worker) error {
	// Non-blocking: this end is the server's alone, and the loop must never wait on a
	// worker. (Not the copy of the worker's end: that file is the worker's too, and is read
	// only with MSG_DONTWAIT.)
	err := unix.SetNonblock(w.ServerEnd, true)
	if err == nil {
		err = d.watch(w.ServerEnd, workerEvents)
	}
	if err == nil {
		if err = d.watch(w.Lifeline, unix.EPOLLIN); err != nil {
			unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, w.ServerEnd, nil)
		}
	}
	if err != nil {
		closeRegistration(w.Registration)
		return err
	}
	d.workers[w.ServerEnd] = w
	d.lifelines[w.Lifeline] = w
	d.s.stats.workers.Store(int64(len(d.workers)))
	return nil
}

// retire drops a worker the server no longer wants: it gets no more connections, and the
// server's end of its pair is closed. What it was sent is still its own to read.
func (d *dispatcher) retire(w *worker) {
	if !w.gone {
		d.removeWorker(w)
	}
}

// lost drops a worker whose lifeline closed, or whose pair failed: it died. What it had not
// taken from its pair is taken back and goes to other workers first, in order. If the
// process is out of descriptors, the rest stay in the pair, and the server keeps its copy
// of the worker's end to take them once it has room (see retryTakeBacks).
func (d *dispatcher) lost(w *worker) {
	if w.gone {
		return
	}
	n, short := d.takeBack(w.WorkerEnd)
	w.served.Add(-uint64(n)) // it never had those
	if short {
		d.unreclaimed = append(d.unreclaimed, w.WorkerEnd)
		w.WorkerEnd = -1
		d.s.report(fmt.Sprintf("socketserver port %d: out of descriptors while taking back a dead worker's connections: they wait until descriptors are free", d.s.port),
			[]string{"SOCKETSERVER", "TAKEBACK", "EMFILE"})
	}
	d.removeWorker(w)
}

// takeBack requeues, first and in order, the connections left unread in a dead worker's
// pair; short means some are left, for want of descriptors.
func (d *dispatcher) takeBack(workerEnd int) (n int, short bool) {
	var unread []acceptedConn
	for {
		fd, peer, ok, err := handover.TakeBack(workerEnd)
		if !ok {
			short = err != nil
			break
		}
		unread = append(unread, acceptedConn{fd: fd, peer: peer})
		d.s.stats.dispatched.Add(^uint64(0)) // counted again when it is sent to another
	}
	d.requeue(unread...)
	return len(unread), short
}

// retryTakeBacks takes what dead workers left while the process was out of descriptors.
func (d *dispatcher) retryTakeBacks() {
	kept := d.unreclaimed[:0]
	for _, end := range d.unreclaimed {
		if _, short := d.takeBack(end); short {
			kept = append(kept, end)
			continue
		}
		handover.Close(end)
	}
	d.unreclaimed = kept
}

func (d *dispatcher) removeWorker(w *worker) {
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, w.ServerEnd, nil)
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, w.Lifeline, nil)
	closeRegistration(w.Registration)
	delete(d.workers, w.ServerEnd)
	delete(d.lifelines, w.Lifeline)
	w.gone = true
	d.setReady(w, 0)
	w.blocked = false
	d.setAhead(w, 0)
	d.s.stats.workers.Store(int64(len(d.workers)))
}

// update takes in a READY from w. The connections sent that it had not taken answer its
// waiting calls first; the calls left over are its places in line, and connections left
// over were sent ahead.
func (d *dispatcher) update(w *worker, state handover.WorkerState) {
	unread := int(w.sent - state.Taken)
	d.setReady(w, max(int(state.Waiting)-unread, 0))
	d.setAhead(w, max(unread-int(state.Waiting), 0))
	d.offerAhead(w)
	if state.Waiting > 0 && !w.sawReady {
		w.sawReady = true
		if w.hooks.OnFirstReady != nil {
			w.hooks.OnFirstReady()
		}
	}
}

// setReady sets how many places in line w has: new ones join the end of the line.
func (d *dispatcher) setReady(w *worker, n int) {
	delta := n - w.ready
	for range max(delta, 0) {
		d.readyQ = append(d.readyQ, w)
	}
	w.ready = n
	d.ready += delta
	if w.blocked {
		d.blocked += delta
	}
	d.s.stats.ready.Store(int64(d.ready))
}

func (d *dispatcher) setAhead(w *worker, n int) {
	d.ahead += n - w.ahead
	w.ahead = n
}

// popReady takes the oldest place in line of a live worker that is not blocked. A worker's
// places may outnumber its ready calls (a READY said fewer): those left over are dropped.
func (d *dispatcher) popReady() *worker {
	for i := 0; i < len(d.readyQ); {
		w := d.readyQ[i]
		if w.blocked && !w.gone && w.ready > 0 {
			i++ // rare, and only while its pair is full: its places keep their place
			continue
		}
		if i == 0 {
			d.readyQ[0] = nil
			d.readyQ = d.readyQ[1:]
		} else {
			d.readyQ = slices.Delete(d.readyQ, i, i+1)
		}
		if !w.gone && w.ready > 0 {
			d.setReady(w, w.ready-1)
			d.offerAhead(w)
			return w
		}
	}
	return nil
}

// mayGoAhead says whether w may be sent a connection ahead of its calls (with -queue n):
// a busy worker (no call waiting) that registered itself (not a pool's), with room.
func (d *dispatcher) mayGoAhead(w *worker) bool {
	return d.s.opts.Queue > 0 && !w.gone && !w.blocked && !w.spawned && w.ready == 0 && w.ahead < aheadPerWorker
}

// offerAhead lists w among the workers to send connections ahead to, once, if it may be.
func (d *dispatcher) offerAhead(w *worker) {
	if !w.offered && d.mayGoAhead(w) {
		w.offered = true
		d.aheadable = append(d.aheadable, w)
	}
}

// popAheadable takes a worker that may be sent a connection ahead of its calls, if any.
func (d *dispatcher) popAheadable() *worker {
	for len(d.aheadable) > 0 {
		w := d.aheadable[0]
		d.aheadable[0] = nil
		d.aheadable = d.aheadable[1:]
		w.offered = false
		if d.mayGoAhead(w) {
			return w
		}
	}
	return nil
}

// unpop gives w back the place popReady took, first in line.
func (d *dispatcher) unpop(w *worker) {
	d.readyQ = slices.Insert(d.readyQ, 0, w)
	w.ready++
	d.ready++
	if w.blocked {
		d.blocked++
	}
	d.s.stats.ready.Store(int64(d.ready))
}

// sendable is how many places in line can be answered now.
func (d *dispatcher) sendable() int { return d.ready - d.blocked }

// block passes w over while its pair is full (sendmsg said EAGAIN: it holds more
// connections than it has read). Its places stay in line, and still count as ready; the
// server watches for room (EPOLLOUT), which comes once the worker has read some.
func (d *dispatcher) block(w *worker) {
	if w.blocked || w.gone {
		return
	}
	w.blocked = true
	d.blocked += w.ready
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_MOD, w.ServerEnd, &unix.EpollEvent{Events: workerEvents | unix.EPOLLOUT, Fd: int32(w.ServerEnd)})
}

func (d *dispatcher) unblock(w *worker) {
	w.blocked = false
	d.blocked -= w.ready
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_MOD, w.ServerEnd, &unix.EpollEvent{Events: workerEvents, Fd: int32(w.ServerEnd)})
}

// sent records a connection passed to w (whose copy PassConn closed: if w dies, the
// connection is taken back from its pair, see lost); w is retired when that was its last.
func (d *dispatcher) sent(w *worker) {
	w.sent++
	w.served.Add(1)
	d.s.stats.dispatched.Add(1)
	if w.hooks.MaxConnections > 0 && w.sent >= w.hooks.MaxConnections {
		// The hook first: once its pair is closed the worker may exit at any moment, and
		// its owner must know by then that the exit was asked for.
		if w.hooks.OnLimit != nil {
			w.hooks.OnLimit()
		}
		d.retire(w)
	}
}
