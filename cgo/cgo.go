// Package cgo binds socketserver to Tcl. In C only, because a worker forked with TclX
// cannot run Go: the worker side of `client` (worker.c), ::socketserver::fork and wait
// (fork.c, notifier.c) and the C side's errors (errors.c). Calling Go, where ss_forked says
// it may: the ::socketserver::socket command (command.c), ::socketserver::pool (pool.c) and
// background errors from the server's Go threads (report.c), through the narrow set of Go
// functions exported in exports.go.
//
// Tcl's headers and stubs library come from the environment (CGO_CFLAGS, CGO_LDFLAGS),
// which the Makefile fills in from tclConfig.sh.
package cgo

/*
#cgo CFLAGS: -DUSE_TCL_STUBS -Wall -Wextra -Wno-unused-parameter
*/
import "C"

import _ "socketserver/forksafe" // the fork handlers and the descriptor registry
