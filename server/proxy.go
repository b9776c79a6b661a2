package server

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
	"socketserver/proxyproto"
)

// With -proxyprotocol each accepted connection is watched by the dispatch loop until its
// PROXY header has arrived (never blocking the loop on one slow client), then joins the
// queue with the address the header carries. One that sends a malformed header, closes,
// or misses its deadline is closed; the server's interpreter hears of it (rate-limited).

type awaitingHeader struct {
	c        acceptedConn
	deadline time.Time
	// The header bytes read so far. While Parse says a prefix is incomplete, every byte of
	// it is header, so it is read off the socket (leaving it there would keep the socket
	// readable and spin the loop); the last read takes exactly what completes the header.
	buf [proxyproto.MaxHeaderLen]byte
	got int
}

func (d *dispatcher) awaitHeader(c acceptedConn) {
	if err := d.watch(c.fd, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
		d.rejectHeader(&awaitingHeader{c: c}, fmt.Sprintf("cannot watch the connection: %v", err))
		return
	}
	d.headers[c.fd] = &awaitingHeader{c: c, deadline: time.Now().Add(d.s.opts.ProxyTimeout)}
}

func (d *dispatcher) readHeader(h *awaitingHeader) {
	n, err := peek(h.c.fd, h.buf[h.got:])
	switch {
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
		return
	case err != nil:
		d.rejectHeader(h, err.Error())
		return
	case n == 0:
		d.rejectHeader(h, "connection closed before the PROXY header was complete")
		return
	}
	header, size, err := proxyproto.Parse(h.buf[:h.got+n])
	take := n // incomplete: all of it is header
	if err == nil {
		take = size - h.got // complete: exactly the rest of the header, no application byte
	} else if !errors.Is(err, proxyproto.ErrIncomplete) {
		d.rejectHeader(h, err.Error())
		return
	}
	if read, rerr := unix.Read(h.c.fd, h.buf[h.got:h.got+take]); read != take {
		d.rejectHeader(h, fmt.Sprintf("reading the PROXY header: %v", rerr))
		return
	}
	h.got += take
	if err != nil {
		return // level-triggered: woken again when more arrives
	}
	d.unwatchHeader(h)
	if !header.Local {
		h.c.peer = header.Source
	}
	d.queue = append(d.queue, h.c)
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

func (d *dispatcher) expireHeaders(now time.Time) {
	for _, h := range d.headers {
		if now.After(h.deadline) {
			d.rejectHeader(h, fmt.Sprintf("no complete PROXY header within %v", d.s.opts.ProxyTimeout))
		}
	}
}

func (d *dispatcher) unwatchHeader(h *awaitingHeader) {
	unix.EpollCtl(d.s.epoll, unix.EPOLL_CTL_DEL, h.c.fd, nil)
	delete(d.headers, h.c.fd)
}

func (d *dispatcher) rejectHeader(h *awaitingHeader, why string) {
	d.unwatchHeader(h)
	d.s.stats.rejected.Add(1) // before the close, so a client that sees it sees the count
	forksafe.Close(h.c.fd)
	if missed, ok := d.proxyReports.allow(time.Now()); ok {
		d.s.report(fmt.Sprintf("socketserver port %d: rejected a connection from %s: %s%s",
			d.s.port, forksafe.FormatIP(h.c.peer.Addr()), why, missedNote(missed)),
			[]string{"SOCKETSERVER", "PROXY", forksafe.FormatIP(h.c.peer.Addr())})
	}
}
