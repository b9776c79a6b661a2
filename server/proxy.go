package server

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"socketserver/proxyproto"
)

// With -proxyprotocol each accepted connection is held (held.go) until its PROXY header
// has arrived, then joins the queue with the address the header carries.

// headerBuffer is the header bytes read so far. While Parse says a prefix is incomplete,
// every byte of it is header, so it is read off the socket (leaving it there would keep the
// socket readable and spin the loop); the last read takes exactly what completes the header.
type headerBuffer struct {
	buf [proxyproto.MaxHeaderLen]byte
	got int
}

// readHeader reads what has arrived of h's header: done once it is complete (h.c.peer is
// then the address it carries), or why it is rejected.
func (d *dispatcher) readHeader(h *heldConn) (done bool, why string) {
	b := h.header
	n, err := peek(h.c.fd, b.buf[b.got:])
	switch {
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
		return false, ""
	case err != nil:
		return false, err.Error()
	case n == 0:
		return false, "connection closed before the PROXY header was complete"
	}
	header, size, err := proxyproto.Parse(b.buf[:b.got+n])
	take := n // incomplete: all of it is header
	if err == nil {
		take = size - b.got // complete: exactly the rest of the header, no application byte
	} else if !errors.Is(err, proxyproto.ErrIncomplete) {
		return false, err.Error()
	}
	if read, rerr := unix.Read(h.c.fd, b.buf[b.got:b.got+take]); read != take {
		return false, fmt.Sprintf("reading the PROXY header: %v", rerr)
	}
	b.got += take
	if err != nil {
		return false, "" // level-triggered: woken again when more arrives
	}
	if !header.Local {
		h.c.peer = header.Source
	}
	return true, ""
}
