// Package worker is the worker side: all the C that a process forked (without exec) from the
// server may run, and that the server process runs too.
//
// A child forked with TclX's fork or ::socketserver::fork cannot run Go, so nothing here is
// Go, calls a Go function or calls into the server side (packages commands and handover);
// the dependencies run one way, from the server side to this one. make checkfork
// (scripts/check-worker-c.sh) proves it: each C file here uses only symbols of this folder,
// the C library and Tcl's stubs tables. What is here:
//
//   - commands.c: the package's commands, in every interpreter that loads it. `socket
//     client` is this side's; the server's subcommands are reached through the table the
//     server side registers when the package loads in the server, and raise
//     SOCKETSERVER FORKED in a forked child.
//   - client.c: `socket client`, a worker's registration and its wait for connections.
//   - atfork.c: the one fork handler, which makes a forked child a worker.
//   - registry.c, ports.c: the process lock, the registry of the server's descriptors
//     (closed in a forked child) and the table of served ports a worker finds its server in.
//   - protocol.c, protocol.h, fdpass.c: the worker's half of the protocol, SCM_RIGHTS.
//   - fork.c, notifier.c, signals.c: ::socketserver::fork and ::wait, a forked child's own
//     Tcl 9 notifier, the signal dispositions Go replaced given back.
//   - report.c: background errors queued by the server's Go threads (an event a forked
//     child may inherit and drops).
//
// This file only gives the folder a package (the server side imports it for its C) and its
// C flags; it has no Go functions and exports none.
package worker

/*
#cgo CFLAGS: -DUSE_TCL_STUBS -Wall -Wextra -Wno-unused-parameter
*/
import "C"
