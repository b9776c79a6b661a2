// Package server is the Go side of a socketserver port: it listens, accepts when a worker is
// ready (or up to -queue connections ahead), and hands each connection to exactly one ready
// worker over the worker's own SOCK_SEQPACKET pair. It never runs in a forked worker: every
// descriptor it makes comes from package handover, which a forked child closes.
package server

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

// DefaultBacklog is the listen(2) backlog when -backlog is not given: SOMAXCONN, as TIP 468
// says (the kernel caps it at net.core.somaxconn).
const DefaultBacklog = unix.SOMAXCONN

// DefaultProxyTimeout bounds how long a connection may take to send its PROXY header.
const DefaultProxyTimeout Millis = 5000

// Millis is a duration given in milliseconds, as -proxytimeout, -waitdata and a pool's
// -stoptimeout are. It is the count the caller gave, so that Validate reports that count
// when it is out of range, even one that no time.Duration holds.
type Millis int64

// Duration is m as a time.Duration: exact for every m in its option's range.
func (m Millis) Duration() time.Duration { return time.Duration(m) * time.Millisecond }

// Options is what `::socketserver::socket server` was asked for, every number as the caller
// gave it: Validate, which Listen calls, is what checks them.
type Options struct {
	Port         int    // 0 picks a free port (or, adopting, the adopted socket's port)
	MyAddr       string // "" listens on every IPv4 and IPv6 address
	Backlog      int    // listen(2) backlog; 0 and 1 are allowed (TIP 468)
	BacklogGiven bool   // an adopted socket keeps its backlog unless -backlog is given
	ReusePort    bool   // SO_REUSEPORT, so several servers can share the port
	Queue        int    // connections the server may accept ahead of ready workers

	// Adopting listening sockets instead of opening one: a descriptor (-fd; nil for none),
	// or those systemd passed (-systemd), described by LISTEN_PID and LISTEN_FDS.
	FD        *int
	Systemd   bool
	ListenPID int // LISTEN_PID as read by the caller, 0 if unset
	ListenFDs int // LISTEN_FDS as read by the caller, 0 if unset

	// ProxyProtocol: each connection starts with a PROXY protocol header (v1 or v2), read
	// by the server within ProxyTimeout before hand-over; the worker is told the address
	// it carries.
	ProxyProtocol bool
	ProxyTimeout  Millis

	// WaitData, if not 0, holds each connection until its first bytes have arrived (after
	// its PROXY header, with ProxyProtocol), and closes it if none arrive within WaitData:
	// a connection that sends nothing never takes a worker (held.go).
	WaitData Millis
}

// DefaultOptions returns the options of a plain `server port`.
func DefaultOptions(port int) Options {
	return Options{Port: port, Backlog: DefaultBacklog, ProxyTimeout: DefaultProxyTimeout}
}

// adopting says whether the server takes over existing listening sockets.
func (o Options) adopting() bool { return o.FD != nil || o.Systemd }

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

// Range is the range a numeric option must be in, and what it is a number of. Every number
// the Tcl commands take, the server's and the pool's, is checked against its Range here, so
// that one bad value gives one error wherever it is given: "bad -queue -1: must be an
// integer from 0 to 2147483647", {SOCKETSERVER BADVALUE -queue -1}. (The one exception is
// a port that names a server, as client -port does: forked workers read it, so the C side
// checks it, ss_port_arg, against PortMax, in the same words.)
type Range struct {
	Option string // as the caller wrote it: "-queue", or "port" for the server's argument
	Lo, Hi int64
	Noun   string // what the number counts: "an integer", "a number of milliseconds"
}

// Check returns the error for a value outside r, or nil.
func (r Range) Check(v int64) error {
	if v < r.Lo || v > r.Hi {
		return &Error{
			Msg:  fmt.Sprintf("bad %s %d: must be %s from %d to %d", r.Option, v, r.Noun, r.Lo, r.Hi),
			Code: []string{"SOCKETSERVER", "BADVALUE", r.Option, strconv.FormatInt(v, 10)},
		}
	}
	return nil
}

// Every range fits an int32: what listen(2) and the C side take.
var (
	portRange         = Range{"port", 0, handover.PortMax, "an integer"} // 0: any free port
	backlogRange      = Range{"-backlog", 0, math.MaxInt32, "an integer"}
	queueRange        = Range{"-queue", 0, math.MaxInt32, "an integer"}
	proxyTimeoutRange = Range{"-proxytimeout", 1, math.MaxInt32, "a number of milliseconds"}
	fdRange           = Range{"-fd", 0, math.MaxInt32, "a descriptor number"}
	waitDataRange     = Range{"-waitdata", 0, math.MaxInt32, "a number of milliseconds"}

	// A pool's (`pool create` and `pool stop`, package pool).
	WorkersRange        = Range{"-workers", 1, 1024, "an integer"}
	MaxConnectionsRange = Range{"-maxconnections", 0, math.MaxInt32, "an integer"}
	StopTimeoutRange    = Range{"-stoptimeout", 0, math.MaxInt32, "an integer"}
	TimeoutRange        = Range{"-timeout", 0, math.MaxInt32, "an integer"}
)

// FirstError returns the first of errs that is not nil: the first option out of its range.
func FirstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks every number against its Range, then the combinations the Tcl layer
// cannot know.
func (o Options) Validate() error {
	err := FirstError(portRange.Check(int64(o.Port)), backlogRange.Check(int64(o.Backlog)),
		queueRange.Check(int64(o.Queue)), proxyTimeoutRange.Check(int64(o.ProxyTimeout)),
		waitDataRange.Check(int64(o.WaitData)))
	if err == nil && o.FD != nil {
		err = fdRange.Check(int64(*o.FD))
	}
	if err != nil {
		return err
	}
	switch {
	case o.FD != nil && o.Systemd:
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
