package server

import (
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
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

// AddWorker makes serverEnd (the server's end of a pair whose other end a spawned process
// holds) a worker of this server.
func (s *Server) AddWorker(serverEnd, pid int, hooks WorkerHooks) (*Worker, error) {
	w := &worker{fd: serverEnd, pid: pid, hooks: hooks, spawned: true}
	result := make(chan error, 1)
	if !s.do(func(d *dispatcher) { result <- d.addWorker(w) }) {
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

// worker is one registered process (or thread) with its own pair; ready counts the
// `client` calls it has made that no connection has answered yet.
type worker struct {
	fd, pid  int
	ready    int
	gone     bool
	blocked  bool // its pair is full: passed over until EPOLLOUT says it has room again
	spawned  bool // added by AddWorker (a pool's): never sent a connection ahead
	ahead    int  // connections sent ahead of its READYs (at most aheadPerWorker): each answers one
	sawReady bool
	sent     uint64         // connections sent to it, acknowledged or not
	inflight []acceptedConn // sent, not yet acknowledged: the server keeps its copies
	served   atomic.Uint64  // acknowledged
	hooks    WorkerHooks
}

// workerEvents is what the server watches on a worker's pair; a blocked one's also EPOLLOUT.
const workerEvents = unix.EPOLLIN | unix.EPOLLRDHUP

func (d *dispatcher) addWorker(w *worker) error {
	// Non-blocking: this end is the server's alone, and the loop must never wait on a worker.
	if err := unix.SetNonblock(w.fd, true); err != nil {
		forksafe.Close(w.fd)
		return err
	}
	if err := d.watch(w.fd, workerEvents); err != nil {
		forksafe.Close(w.fd)
		return err
	}
	d.workers[w.fd] = w
	d.s.stats.workers.Store(int64(len(d.workers)))
	return nil
}

// retire drops a worker the server no longer wants: it gets no more connections, and the
// server's end of its pair is closed. What it was sent is still its own to read: the
// server's copies are closed and counted as handed over.
func (d *dispatcher) retire(w *worker) {
	if w.gone {
		return
	}
	for range w.inflight {
		d.acknowledged(w)
	}
	d.removeWorker(w)
}

// lost drops a worker whose pair closed or failed: it died, and the kernel closed what it
// had not read. The connections it had not acknowledged go back to the queue, first.
func (d *dispatcher) lost(w *worker) {
	if w.gone {
		return
	}
	d.requeue(w.inflight...)
	w.inflight = nil
	d.removeWorker(w)
}

func (d *dispatcher) removeWorker(w *worker) {
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, w.fd, nil)
	forksafe.Close(w.fd)
	delete(d.workers, w.fd)
	w.gone = true
	d.ready -= w.ready
	if w.blocked {
		d.blocked -= w.ready
		w.blocked = false
	}
	w.ready = 0
	d.ahead -= w.ahead
	w.ahead = 0
	d.s.stats.workers.Store(int64(len(d.workers)))
	d.s.stats.ready.Store(int64(d.ready))
}

// markReady records one READY message from w: a place in line, or, if a connection was
// sent to w ahead, the request that connection answers.
func (d *dispatcher) markReady(w *worker) {
	if w.ahead > 0 {
		w.ahead--
		d.ahead--
		d.aheadable = append(d.aheadable, w)
		return
	}
	w.ready++
	d.ready++
	if w.blocked {
		d.blocked++
	}
	d.readyQ = append(d.readyQ, w)
	d.s.stats.ready.Store(int64(d.ready))
	if !w.sawReady {
		w.sawReady = true
		if w.hooks.OnFirstReady != nil {
			w.hooks.OnFirstReady()
		}
	}
}

// popReady takes the oldest ready slot of a live worker that is not blocked.
func (d *dispatcher) popReady() *worker {
	for i := 0; i < len(d.readyQ); {
		w := d.readyQ[i]
		if w.blocked {
			i++ // rare, and only while its pair is full: its slots keep their place
			continue
		}
		if i == 0 {
			d.readyQ[0] = nil
			d.readyQ = d.readyQ[1:]
		} else {
			d.readyQ = slices.Delete(d.readyQ, i, i+1)
		}
		if !w.gone {
			w.ready--
			d.ready--
			d.s.stats.ready.Store(int64(d.ready))
			if w.ready == 0 && d.s.opts.Queue > 0 {
				d.aheadable = append(d.aheadable, w)
			}
			return w
		}
	}
	return nil
}

// aheadPerWorker is how many connections a busy worker may be sent ahead of its READYs.
const aheadPerWorker = 4

// popAheadable takes a worker that may be sent a connection ahead of its READY, if any.
func (d *dispatcher) popAheadable() *worker {
	for len(d.aheadable) > 0 {
		w := d.aheadable[0]
		d.aheadable[0] = nil
		d.aheadable = d.aheadable[1:]
		if !w.gone && !w.blocked && !w.spawned && w.ready == 0 && w.ahead < aheadPerWorker {
			return w
		}
	}
	return nil
}

// unpop gives w back the slot popReady took, first in line.
func (d *dispatcher) unpop(w *worker) {
	d.readyQ = slices.Insert(d.readyQ, 0, w)
	w.ready++
	d.ready++
	d.s.stats.ready.Store(int64(d.ready))
}

// sendable is how many ready slots can be answered now.
func (d *dispatcher) sendable() int { return d.ready - d.blocked }

// block passes w over while its pair is full (sendmsg said EAGAIN: it holds more
// connections than it has read). Its requests stay in line, and still count as ready; the
// server watches for room (EPOLLOUT), which comes once the worker has read some.
func (d *dispatcher) block(w *worker) {
	if w.blocked || w.gone {
		return
	}
	w.blocked = true
	d.blocked += w.ready
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_MOD, w.fd, &unix.EpollEvent{Events: workerEvents | unix.EPOLLOUT, Fd: int32(w.fd)})
}

func (d *dispatcher) unblock(w *worker) {
	w.blocked = false
	d.blocked -= w.ready
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_MOD, w.fd, &unix.EpollEvent{Events: workerEvents, Fd: int32(w.fd)})
}

// sent records a connection sent to w, retiring w when that was its last one.
func (d *dispatcher) sent(w *worker, c acceptedConn) {
	w.inflight = append(w.inflight, c)
	w.sent++
	if w.hooks.MaxConnections > 0 && w.sent >= w.hooks.MaxConnections {
		// The hook first: once its pair is closed the worker may exit at any moment, and
		// its owner must know by then that the exit was asked for.
		if w.hooks.OnLimit != nil {
			w.hooks.OnLimit()
		}
		d.retire(w)
	}
}

// acknowledged takes w's oldest connection in flight as handed over: the server's copy is
// closed (ACKs come in the order the connections were sent).
func (d *dispatcher) acknowledged(w *worker) {
	if len(w.inflight) == 0 {
		return // an ACK for nothing: ignore it
	}
	forksafe.Close(w.inflight[0].fd)
	w.inflight = w.inflight[1:]
	w.served.Add(1)
	d.s.stats.dispatched.Add(1)
}
