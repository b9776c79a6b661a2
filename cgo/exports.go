package cgo

// The Go functions C calls. Each is reached only from a process that may run Go: the
// command (command.c) and the interpreter-deletion callback (report.c) check ss_forked first.

/*
#include "socketserver.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"socketserver/forksafe"
	"socketserver/server"
)

//export ssGoStart
func ssGoStart() {
	// Being called means the runtime has finished starting, signal handlers included.
	forksafe.NoteGoSignals()
}

//export ssServerOpen
func ssServerOpen(owner *C.ss_reporter, copts *C.struct_ss_server_options, backlogGiven C.int,
	errnum *C.int, message, errorcode **C.char) C.int {
	o := server.DefaultOptions(int(copts.port))
	if backlogGiven != 0 {
		o.Backlog = int(copts.backlog)
	}
	o.Queue = int(copts.queue)
	o.ReusePort = copts.reuseport != 0
	if copts.myaddr != nil {
		o.MyAddr = C.GoString(copts.myaddr)
	}
	port, err := open(owner, o)
	if err == nil {
		return C.int(port)
	}
	var socketErr *server.SocketError
	var tclErr *server.Error
	switch {
	case errors.As(err, &socketErr):
		*errnum = C.int(socketErr.Errno)
	case errors.As(err, &tclErr):
		*message, *errorcode = C.CString(tclErr.Msg), C.CString(tclList(tclErr.Code...))
	default:
		*message, *errorcode = C.CString("couldn't open socket: "+err.Error()), C.CString("SOCKETSERVER INTERNAL")
	}
	return -1
}

//export ssServerClose
func ssServerClose(port C.int) C.int {
	if !closePort(int(port)) {
		return -1
	}
	return 0
}

//export ssServerInfo
func ssServerInfo(port C.int, out *C.struct_ss_info) C.int {
	srv, ok := lookup(int(port))
	if !ok {
		return -1
	}
	info := srv.Info()
	*out = C.struct_ss_info{
		port: C.int(info.Port), backlog: C.int(info.Backlog), queue: C.int(info.Queue),
		workers: C.int(info.Workers), ready: C.int(info.Ready), queued: C.int(info.Queued),
		accepted: C.ulonglong(info.Accepted), dispatched: C.ulonglong(info.Dispatched),
	}
	return 0
}

// ssServerPorts writes up to capacity served ports to out and returns how many there are.
//
//export ssServerPorts
func ssServerPorts(out *C.int, capacity C.int) C.int {
	all := ports()
	if out != nil {
		copy(unsafe.Slice(out, int(capacity)), toC(all))
	}
	return C.int(len(all))
}

func toC(ports []int) []C.int {
	c := make([]C.int, len(ports))
	for i, p := range ports {
		c[i] = C.int(p)
	}
	return c
}

//export ssCloseServersOf
func ssCloseServersOf(owner *C.ss_reporter) { closeAllOwnedBy(owner) }
