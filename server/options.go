// Package server is the Go side of a socketserver port: it listens, accepts when a worker is
// ready (or up to -queue connections ahead), and hands each connection to exactly one ready
// worker over the worker's own SOCK_SEQPACKET pair. It never runs in a forked worker: every
// descriptor it makes comes from package forksafe, which a forked child closes.
package server

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultBacklog is the listen(2) backlog when -backlog is not given: SOMAXCONN, as TIP 468
// says (the kernel caps it at net.core.somaxconn).
const DefaultBacklog = unix.SOMAXCONN

// DefaultProxyTimeout bounds how long a connection may take to send its PROXY header.
const DefaultProxyTimeout = 5 * time.Second

// Options is what `::socketserver::socket server` was asked for, already typed by the Tcl layer.
type Options struct {
	Port         int    // 0 picks a free port (or, adopting, the adopted socket's port)
	MyAddr       string // "" listens on every IPv4 and IPv6 address
	Backlog      int    // listen(2) backlog; 0 and 1 are allowed (TIP 468)
	BacklogGiven bool   // an adopted socket keeps its backlog unless -backlog is given
	ReusePort    bool   // SO_REUSEPORT, so several servers can share the port
	Queue        int    // connections the server may accept ahead of ready workers

	// Adopting listening sockets instead of opening one: a descriptor (-fd; -1 for none),
	// or those systemd passed (-systemd), described by LISTEN_PID and LISTEN_FDS.
	FD        int
	Systemd   bool
	ListenPID int // LISTEN_PID as read by the caller, 0 if unset
	ListenFDs int // LISTEN_FDS as read by the caller, 0 if unset

	// ProxyProtocol: each connection starts with a PROXY protocol header (v1 or v2), read
	// by the server within ProxyTimeout before hand-over; the worker is told the address
	// it carries.
	ProxyProtocol bool
	ProxyTimeout  time.Duration
}

// DefaultOptions returns the options of a plain `server port`.
func DefaultOptions(port int) Options {
	return Options{Port: port, Backlog: DefaultBacklog, FD: -1, ProxyTimeout: DefaultProxyTimeout}
}

// adopting says whether the server takes over existing listening sockets.
func (o Options) adopting() bool { return o.FD >= 0 || o.Systemd }

// Error is a failure with a message and a Tcl -errorcode.
type Error struct {
	Msg  string
	Code []string
}

func (e *Error) Error() string { return e.Msg }

// SocketError is a system call failing while opening the listening socket. The Tcl layer
// words it as Tcl's own `socket -server` does ("couldn't open socket: ...", {POSIX ...}).
type SocketError struct{ Errno unix.Errno }

func (e *SocketError) Error() string { return "couldn't open socket: " + e.Errno.Error() }

func badValue(what string, value int64, must string) *Error {
	return &Error{
		Msg:  fmt.Sprintf("bad %s %d: must be %s", what, value, must),
		Code: []string{"SOCKETSERVER", "BADVALUE", what, strconv.FormatInt(value, 10)},
	}
}

// Wide is what the Tcl layer read: the numbers as the caller wrote them, before any range
// check, so that an error names the value given rather than one wrapped to fit an int.
type Wide struct {
	Port, Backlog, Queue, ProxyTimeoutMs, FD int64
	FDGiven                                  bool
}

// Apply checks w's ranges and sets them on o: port 0-65535, -backlog and -queue from 0,
// -proxytimeout from 1 ms, all within an int32 (what listen(2) and the C side take).
func (o *Options) Apply(w Wide) error {
	check := func(what string, v, lo int64, must string) error {
		if v < lo || v > math.MaxInt32 {
			return badValue(what, v, must)
		}
		return nil
	}
	if w.Port < 0 || w.Port > 65535 {
		return badValue("port", w.Port, "an integer from 0 to 65535")
	}
	for _, c := range []struct {
		what  string
		v, lo int64
		must  string
	}{
		{"-backlog", w.Backlog, 0, "a non-negative integer"},
		{"-queue", w.Queue, 0, "a non-negative integer"},
		{"-proxytimeout", w.ProxyTimeoutMs, 1, "a positive number of milliseconds"},
	} {
		if err := check(c.what, c.v, c.lo, c.must); err != nil {
			return err
		}
	}
	o.FD = -1
	if w.FDGiven {
		if err := check("-fd", w.FD, 0, "a descriptor number"); err != nil {
			return err
		}
		o.FD = int(w.FD)
	}
	o.Port, o.Backlog, o.Queue = int(w.Port), int(w.Backlog), int(w.Queue)
	o.ProxyTimeout = time.Duration(w.ProxyTimeoutMs) * time.Millisecond
	return nil
}

// Validate checks the ranges the Tcl layer cannot know.
func (o Options) Validate() error {
	switch {
	case o.Port < 0 || o.Port > 65535:
		return badValue("port", int64(o.Port), "an integer from 0 to 65535")
	case o.Backlog < 0:
		return badValue("-backlog", int64(o.Backlog), "a non-negative integer")
	case o.Queue < 0:
		return badValue("-queue", int64(o.Queue), "a non-negative integer")
	case o.ProxyTimeout <= 0:
		return badValue("-proxytimeout", int64(o.ProxyTimeout/time.Millisecond), "a positive number of milliseconds")
	case o.FD >= 0 && o.Systemd:
		return conflict("-fd", "-systemd")
	case o.adopting() && o.MyAddr != "":
		return conflict("-myaddr", adoptOption(o))
	case o.adopting() && o.ReusePort:
		return conflict("-reuseport", adoptOption(o))
	}
	return nil
}

func adoptOption(o Options) string {
	if o.Systemd {
		return "-systemd"
	}
	return "-fd"
}

func conflict(a, b string) *Error {
	return &Error{
		Msg:  fmt.Sprintf("%s cannot be combined with %s: an adopted socket is bound already", a, b),
		Code: []string{"SOCKETSERVER", "BADVALUE", a},
	}
}
