// Package commands is the server side of the package's Tcl commands, run only in the server
// process: the subcommands that call Go (socket.c: `server`, `info`, `close`, `handoff`;
// pool.c: every `pool` subcommand), the Go functions they call (exports.go), and the
// server and pool tables behind them (servers.go, pools.go). The commands themselves, and
// everything a forked worker may run, are package worker's C, which reaches this side only
// through the table ss_server_init registers (see commands.h).
//
// Tcl's headers and stubs library come from the environment (CGO_CFLAGS, CGO_LDFLAGS),
// which the Makefile fills in from tclConfig.sh.
package commands

/*
#cgo CFLAGS: -DUSE_TCL_STUBS -Wall -Wextra -Wno-unused-parameter -I${SRCDIR}/../worker
*/
import "C"

import _ "socketserver/worker" // the commands, the fork handler and the descriptor registry
