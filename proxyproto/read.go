//go:build linux

package proxyproto

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

// ReadHeader reads a PROXY header from the connected stream socket fd,
// waiting at most until deadline, and returns it. It consumes exactly the
// header's bytes: the application data after it stays queued on fd for
// whoever reads next. It looks with MSG_PEEK and reads only what belongs to
// the header.
//
// fd may be blocking or non-blocking; its mode is left unchanged. A zero
// deadline means no deadline; when the deadline passes first, the error is
// ErrTimeout. A peer that closes before the header is complete gives an error
// wrapping ErrMalformed, as does a malformed header. After any error the
// connection should be closed: part of the header may have been consumed.
func ReadHeader(fd int, deadline time.Time) (Header, error) {
	var buf [MaxHeaderLen]byte
	consumed := 0 // bytes of buf already read from fd, all part of the header
	for {
		// Parse never wants more than MaxHeaderLen bytes, so buf[consumed:]
		// is never empty here.
		peeked, err := recv(fd, buf[consumed:], syscall.MSG_PEEK)
		switch {
		case err == syscall.EAGAIN:
			if err := waitReadable(fd, deadline); err != nil {
				return Header{}, err
			}
			continue
		case err != nil:
			return Header{}, fmt.Errorf("proxyproto: reading PROXY header: %w", err)
		case peeked == 0:
			return Header{}, malformed("connection closed before PROXY header complete")
		}

		header, n, err := Parse(buf[:consumed+peeked])
		switch err {
		case nil:
			if err := consume(fd, buf[consumed:n]); err != nil {
				return Header{}, err
			}
			return header, nil
		case ErrIncomplete:
			// Everything peeked belongs to the header, so it is safe to
			// consume, and it must be: bytes left queued would keep fd
			// readable and turn the wait for the rest into a busy loop.
			if err := consume(fd, buf[consumed:consumed+peeked]); err != nil {
				return Header{}, err
			}
			consumed += peeked
		default:
			return Header{}, err
		}
	}
}

// recv receives into p without ever blocking, whatever the mode of fd,
// retrying when interrupted by a signal.
func recv(fd int, p []byte, flags int) (int, error) {
	for {
		n, _, err := syscall.Recvfrom(fd, p, flags|syscall.MSG_DONTWAIT)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// consume reads exactly len(p) bytes that a peek has shown to be queued.
func consume(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := recv(fd, p, 0)
		switch {
		case err != nil:
			return fmt.Errorf("proxyproto: reading PROXY header: %w", err)
		case n == 0:
			return malformed("connection closed before PROXY header complete")
		}
		p = p[n:]
	}
	return nil
}

// pollFD is struct pollfd from <poll.h>, which package syscall lacks.
type pollFD struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1 // POLLIN

// waitReadable waits until fd is readable, or has an error or hang-up for
// the next recv to report, or the deadline passes.
func waitReadable(fd int, deadline time.Time) error {
	for {
		var timeout *syscall.Timespec // nil: wait forever
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return ErrTimeout
			}
			ts := syscall.NsecToTimespec(left.Nanoseconds())
			timeout = &ts
		}
		// ppoll rather than poll: it exists on every Linux architecture
		// (arm64 has no poll), and select cannot watch descriptors >= 1024.
		pfd := pollFD{fd: int32(fd), events: pollIn}
		ready, _, errno := syscall.Syscall6(syscall.SYS_PPOLL,
			uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(timeout)), 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
		case errno != 0:
			return fmt.Errorf("proxyproto: waiting for PROXY header: %w", errno)
		case ready > 0:
			return nil
		}
		// Timed out or interrupted: the deadline check above decides.
	}
}
