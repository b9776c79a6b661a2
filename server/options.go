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

	// WaitData, if not 0, holds each connection until its first bytes have arrived (after
	// its PROXY header, with ProxyProtocol), and closes it if none arrive within WaitData:
	// a connection that sends nothing never takes a worker (held.go).
	WaitData time.Duration
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

// numberRule is the range a numeric option must be in, and what it is a number of. One
// rule serves both Apply (the caller's wide numbers) and Validate (an Options built in Go),
// and its error states the range: "must be an integer from 0 to 2147483647".
type numberRule struct {
	what   string
	lo, hi int64
	noun   string
}

// Every range fits an int32: what listen(2) and the C side take.
var (
	portRule         = numberRule{"port", 0, 65535, "an integer"}
	backlogRule      = numberRule{"-backlog", 0, math.MaxInt32, "an integer"}
	queueRule        = numberRule{"-queue", 0, math.MaxInt32, "an integer"}
	proxyTimeoutRule = numberRule{"-proxytimeout", 1, math.MaxInt32, "a number of milliseconds"}
	fdRule           = numberRule{"-fd", 0, math.MaxInt32, "a descriptor number"}
	waitDataRule     = numberRule{"-waitdata", 0, math.MaxInt32, "a number of milliseconds"}
)

func (r numberRule) check(v int64) error {
	if v < r.lo || v > r.hi {
		return badValue(r.what, v, fmt.Sprintf("%s from %d to %d", r.noun, r.lo, r.hi))
	}
	return nil
}

// firstError returns the first of errs that is not nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Wide is what the Tcl layer read: the numbers as the caller wrote them, before any range
// check, so that an error names the value given rather than one wrapped to fit an int.
type Wide struct {
	Port, Backlog, Queue, ProxyTimeoutMs, FD, WaitDataMs int64
	FDGiven                                              bool
}

// Apply checks w's ranges and sets them on o.
func (o *Options) Apply(w Wide) error {
	err := firstError(portRule.check(w.Port), backlogRule.check(w.Backlog), queueRule.check(w.Queue),
		proxyTimeoutRule.check(w.ProxyTimeoutMs), waitDataRule.check(w.WaitDataMs))
	if err == nil && w.FDGiven {
		err = fdRule.check(w.FD)
	}
	if err != nil {
		return err
	}
	o.FD = -1
	if w.FDGiven {
		o.FD = int(w.FD)
	}
	o.Port, o.Backlog, o.Queue = int(w.Port), int(w.Backlog), int(w.Queue)
	o.ProxyTimeout = time.Duration(w.ProxyTimeoutMs) * time.Millisecond
	o.WaitData = time.Duration(w.WaitDataMs) * time.Millisecond
	return nil
}

// Validate checks the ranges, and the combinations the Tcl layer cannot know.
func (o Options) Validate() error {
	err := firstError(portRule.check(int64(o.Port)), backlogRule.check(int64(o.Backlog)),
		queueRule.check(int64(o.Queue)), proxyTimeoutRule.check(int64(o.ProxyTimeout/time.Millisecond)),
		waitDataRule.check(int64(o.WaitData/time.Millisecond)))
	if err != nil {
		return err
	}
	switch {
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
