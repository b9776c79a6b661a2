// Package server is the Go side of a socketserver port: it listens, accepts when a worker is
// ready (or up to -queue connections ahead), and hands each connection to exactly one ready
// worker over the worker's own SOCK_SEQPACKET pair. It never runs in a forked worker: every
// descriptor it makes comes from package forksafe, which a forked child closes.
package server

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// DefaultBacklog is the listen(2) backlog when -backlog is not given: SOMAXCONN, as TIP 468
// says (the kernel caps it at net.core.somaxconn).
const DefaultBacklog = unix.SOMAXCONN

// Options is what `::socketserver::socket server` was asked for, already typed by the Tcl layer.
type Options struct {
	Port      int    // 0 picks a free port
	MyAddr    string // "" listens on every IPv4 and IPv6 address
	Backlog   int    // listen(2) backlog; 0 and 1 are allowed (TIP 468)
	ReusePort bool   // SO_REUSEPORT, so several servers can share the port
	Queue     int    // connections the server may accept ahead of ready workers
}

// DefaultOptions returns the options of a plain `server port`.
func DefaultOptions(port int) Options { return Options{Port: port, Backlog: DefaultBacklog} }

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

func badValue(what string, value int, must string) *Error {
	return &Error{
		Msg:  fmt.Sprintf("bad %s %d: must be %s", what, value, must),
		Code: []string{"SOCKETSERVER", "BADVALUE", what, strconv.Itoa(value)},
	}
}

// Validate checks the ranges the Tcl layer cannot know.
func (o Options) Validate() error {
	switch {
	case o.Port < 0 || o.Port > 65535:
		return badValue("port", o.Port, "an integer from 0 to 65535")
	case o.Backlog < 0:
		return badValue("-backlog", o.Backlog, "a non-negative integer")
	case o.Queue < 0:
		return badValue("-queue", o.Queue, "a non-negative integer")
	}
	return nil
}
