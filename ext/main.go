// Command ext is the Tcl extension itself, built with -buildmode=c-shared: the library
// `package require socketserver` loads. Its entry points, Socketserver_Init and
// Socketserver_SafeInit, are C (init.c), so that loading the package into an interpreter of
// a forked worker never calls Go: init.c calls the server side's init (commands/) only
// where Go may run, and the worker side's (worker/) everywhere.
// Names given to -myaddr are resolved with the C library's getaddrinfo, as Tcl's own socket
// resolves them (nsswitch included), and without starting Go's network poller, whose
// descriptors every forked worker would otherwise inherit.
//
//go:debug netdns=cgo
package main

/*
#cgo CFLAGS: -DUSE_TCL_STUBS -I${SRCDIR}/../worker -I${SRCDIR}/../commands
*/
import "C"

import _ "socketserver/commands"

func main() {}
