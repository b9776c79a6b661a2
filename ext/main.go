// Command ext is the Tcl extension itself, built with -buildmode=c-shared: the library
// `package require socketserver` loads. Its entry points, Socketserver_Init and
// Socketserver_SafeInit, are C (init.c), so that loading the package into an interpreter of
// a forked worker never calls Go.
package main

/*
#cgo CFLAGS: -DUSE_TCL_STUBS
*/
import "C"

import _ "socketserver/cgo"

func main() {}
