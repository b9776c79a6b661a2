// Package cgo binds socketserver to Tcl: the ::socketserver::socket command (command.c),
// the worker side of `client` (worker.c, C only, because a worker forked with TclX cannot
// run Go), background errors from the server's Go threads (report.c), and the narrow set of
// Go functions the C side calls for the server (exports.go).
//
// Tcl's headers and stubs library come from the environment (CGO_CFLAGS, CGO_LDFLAGS),
// which the Makefile fills in from tclConfig.sh.
package commands

/*
#cgo CFLAGS: -DUSE_TCL_STUBS -Wall -Wextra -Wno-unused-parameter -I${SRCDIR}/../worker
*/
import "C"

import _ "socketserver/worker" // the fork handlers and the descriptor registry
