package server

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

// Held connections: accepted, but kept by the dispatcher, without a worker, until their
// first bytes have arrived. With -proxyprotocol that is the PROXY header (proxy.go); with
// -waitdata, the first byte the client sends, or its end (a close or a reset is the
// worker's to see). The dispatcher watches each one in its epoll set, never blocking on
// one, hands it on once its bytes are there, and closes one whose deadline passes.
//
// maxHeld bounds how many are held at once, so that silent clients cannot take every
// descriptor. When that many are held, the one held longest makes room for the next
// connection: it goes on if its bytes have arrived meanwhile, and is closed otherwise. So a
// crowd of silent connections is cycled through as fast as it arrives, instead of filling
// the server for a whole deadline while real clients wait in the kernel's queue behind it.
// But none makes room before it has been held makeRoomAfter: a real client gets at least
// that long to send its first bytes, however many connect at once (until then accepting
// waits, as it does without holding), and silent ones are cycled through at most maxHeld
// per makeRoomAfter.
const (
	maxHeld       = 256
	makeRoomAfter = 50 * time.Millisecond
)

type heldConn struct {
	c        acceptedConn
	order    uint64    // its place in accept order: the oldest makes room first
	since    time.Time // when it was accepted
	deadline time.Time
	watched  bool
	header   *headerBuffer // non-nil while its PROXY header is incomplete
}

// holding is the dispatcher's held connections.
type holding struct {
	conns    map[int]*heldConn // by descriptor
	admitted uint64            // connections held so far, for heldConn.order
	// Reports of connections closed while held, one limiter per kind of report.
	proxyReports, waitDataReports reportLimiter
}

// holds says whether connections are held at all.
func (d *dispatcher) holds() bool { return d.s.opts.ProxyProtocol || d.s.opts.WaitData > 0 }

// admit takes a connection just accepted: to the queue, or held until its bytes arrive.
func (d *dispatcher) admit(c acceptedConn) {
	if !d.holds() {
		d.queue = append(d.queue, c)
		return
	}
	now := time.Now()
	d.held.admitted++
	h := &heldConn{c: c, order: d.held.admitted, since: now, deadline: now.Add(d.s.opts.WaitData.Duration())}
	if d.s.opts.ProxyProtocol {
		h.header, h.deadline = &headerBuffer{}, now.Add(d.s.opts.ProxyTimeout.Duration())
	}
	d.held.conns[c.fd] = h
	d.advance(h) // its bytes may be there already: most clients send at once
	if len(d.held.conns) > maxHeld {
		d.makeRoom(fmt.Sprintf("%d connections were held already", maxHeld))
	}
}

// advance moves h on with what has arrived: the rest of its header, then, with -waitdata,
// its first byte. Called once it is accepted and each time it is readable.
func (d *dispatcher) advance(h *heldConn) {
	if h.header != nil {
		done, why := d.readHeader(h)
		switch {
		case why != "":
			d.drop(h, why)
			return
		case !done:
			d.watchHeld(h)
			return
		}
		h.header = nil
		h.deadline = time.Now().Add(d.s.opts.WaitData.Duration())
	}
	if d.s.opts.WaitData > 0 && !readable(h.c.fd) {
		d.watchHeld(h)
		return
	}
	d.release(h)
}

// readable says whether a read on fd would not block: data, end of file or an error.
func readable(fd int) bool {
	var one [1]byte
	_, err := peek(fd, one[:])
	return !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR)
}

// peek reads what has arrived without consuming it (recv with MSG_PEEK, no allocation).
func peek(fd int, buf []byte) (int, error) {
	n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])),
		uintptr(len(buf)), unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// watchHeld has the dispatch loop woken when h is readable (level-triggered: again and
// again while it stays so).
func (d *dispatcher) watchHeld(h *heldConn) {
	if h.watched {
		return
	}
	if err := d.watch(h.c.fd, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
		d.drop(h, fmt.Sprintf("cannot watch the connection: %v", err))
		return
	}
	h.watched = true
}

func (d *dispatcher) unhold(h *heldConn) {
	if h.watched {
		unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, h.c.fd, nil)
	}
	delete(d.held.conns, h.c.fd)
}

// release hands h on: it joins the queue for the next ready worker.
func (d *dispatcher) release(h *heldConn) {
	d.unhold(h)
	d.queue = append(d.queue, h.c)
}

// drop closes h, counts it, and reports it (rate-limited): as a PROXY reject while its
// header is incomplete, as a silent connection after.
func (d *dispatcher) drop(h *heldConn, why string) {
	d.unhold(h)
	counter, limiter, kind := &d.s.stats.silent, &d.held.waitDataReports, "WAITDATA"
	if h.header != nil {
		counter, limiter, kind = &d.s.stats.rejected, &d.held.proxyReports, "PROXY"
	}
	counter.Add(1) // before the close, so a client that sees it sees the count
	handover.Close(h.c.fd)
	if missed, ok := limiter.allow(time.Now()); ok {
		ip := handover.FormatIP(h.c.peer.Addr())
		verb := "closed"
		if h.header != nil {
			verb = "rejected"
		}
		d.s.report(fmt.Sprintf("socketserver port %d: %s a connection from %s: %s%s",
			d.s.port, verb, ip, why, missedNote(missed)), []string{"SOCKETSERVER", kind, ip})
	}
}

// missing says what h is held for.
func (d *dispatcher) missing(h *heldConn) (what string, timeout time.Duration) {
	if h.header != nil {
		return "no complete PROXY header", d.s.opts.ProxyTimeout.Duration()
	}
	return "no data", d.s.opts.WaitData.Duration()
}

// expireHeld closes the held connections whose deadline has passed.
func (d *dispatcher) expireHeld(now time.Time) {
	for _, h := range d.held.conns {
		if now.After(h.deadline) {
			what, timeout := d.missing(h)
			d.drop(h, fmt.Sprintf("%s within %v", what, timeout))
		}
	}
}

// oldestHeld is the connection held longest, nil if none is.
func (d *dispatcher) oldestHeld() *heldConn {
	var oldest *heldConn
	for _, h := range d.held.conns {
		if oldest == nil || h.order < oldest.order {
			oldest = h
		}
	}
	return oldest
}

// roomToHold says whether another connection may be accepted: fewer than maxHeld are held,
// or the oldest has been held long enough to make room for it.
func (d *dispatcher) roomToHold(now time.Time) bool {
	if !d.holds() || len(d.held.conns) < maxHeld {
		return true
	}
	return now.Sub(d.oldestHeld().since) >= makeRoomAfter
}

// makeRoom frees a place among the held connections, because of why: the oldest goes on if
// its bytes have arrived, and is closed if not.
func (d *dispatcher) makeRoom(why string) {
	oldest := d.oldestHeld()
	d.advance(oldest)
	if d.held.conns[oldest.c.fd] == oldest {
		what, _ := d.missing(oldest)
		d.drop(oldest, fmt.Sprintf("%s yet, and %s", what, why))
	}
}

// shedHeld answers accept(2) on listener failing with errno: if the process is out of
// descriptors, a connection is waiting, and some are held, the oldest held connection makes
// room, and true says to accept again. Held connections are the server's to give up;
// pausing instead would leave the connections waiting in the kernel, real ones included,
// until the held ones' deadlines. (accept(2) fails with EMFILE even when none is waiting,
// hence the poll, which needs no descriptor.)
func (d *dispatcher) shedHeld(listener int, errno unix.Errno) bool {
	if (errno != unix.EMFILE && errno != unix.ENFILE) || len(d.held.conns) == 0 ||
		time.Since(d.oldestHeld().since) < makeRoomAfter {
		return false
	}
	waiting := []unix.PollFd{{Fd: int32(listener), Events: unix.POLLIN}}
	if n, _ := unix.Poll(waiting, 0); n != 1 || waiting[0].Revents&unix.POLLIN == 0 {
		return false
	}
	d.makeRoom("the server is out of descriptors")
	return true
}

// heldWaitMillis lowers wait (an epoll_wait timeout, -1 for none) to the first deadline of
// a held connection, and, while maxHeld are, to when the oldest may make room.
func (d *dispatcher) heldWaitMillis(now time.Time, wait int) int {
	lower := func(t time.Time) { wait = sooner(wait, int(t.Sub(now)/time.Millisecond)+1) }
	for _, h := range d.held.conns {
		lower(h.deadline)
	}
	if len(d.held.conns) >= maxHeld && d.acceptWaits(now) {
		lower(d.oldestHeld().since.Add(makeRoomAfter))
	}
	return wait
}

// acceptWaits says whether the dispatcher would accept now but for the bound on held
// connections: a worker can take one, accepting is not paused, and a listener may have one
// waiting. (When it would not, the event that changes that wakes the loop; waking for the
// bound then would spin.)
func (d *dispatcher) acceptWaits(now time.Time) bool {
	return d.roomToAccept() && !d.backoff.paused(now) && slices.Contains(d.pending, true)
}

// closeHeld closes every held connection (the server is closing).
func (d *dispatcher) closeHeld() {
	for _, h := range d.held.conns {
		handover.Close(h.c.fd)
	}
	d.held.conns = nil
}
