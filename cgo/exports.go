package cgo

// The Go functions C calls. Each is reached only from a process that may run Go: the
// command (command.c) and the interpreter-deletion callback (report.c) check ss_forked first.

/*
#include "socketserver.h"
*/
import "C"

import (
	"errors"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"socketserver/forksafe"
	"socketserver/pool"
	"socketserver/server"
)

var startOnce sync.Once

//export ssGoStart
func ssGoStart() {
	// Being called means the runtime has finished starting, signal handlers included.
	startOnce.Do(func() {
		forksafe.RestoreOpenFilesLimit()
		forksafe.NoteGoSignals()
		forksafe.AdoptRuntimeDescriptors()
	})
}

//export ssServerOpen
func ssServerOpen(owner *C.ss_reporter, copts *C.struct_ss_server_options,
	errnum *C.int, message, errorcode **C.char) C.int {
	o := server.DefaultOptions(0)
	wide := server.Wide{Port: int64(copts.port), Backlog: int64(o.Backlog), Queue: int64(copts.queue),
		ProxyTimeoutMs: int64(o.ProxyTimeout / time.Millisecond), FD: int64(copts.fd), FDGiven: copts.fd_given != 0,
		WaitDataMs: int64(copts.waitdata_ms)}
	if copts.backlog_given != 0 {
		wide.Backlog, o.BacklogGiven = int64(copts.backlog), true
	}
	if copts.proxytimeout_given != 0 {
		wide.ProxyTimeoutMs = int64(copts.proxytimeout_ms)
	}
	o.ReusePort = copts.reuseport != 0
	if copts.myaddr != nil {
		if o.MyAddr = C.GoString(copts.myaddr); o.MyAddr == "" {
			return C.int(setError(server.EmptyMyAddr(), errnum, message, errorcode))
		}
	}
	o.Systemd = copts.systemd != 0
	o.ProxyProtocol = copts.proxyprotocol != 0
	err := o.Apply(wide)
	if err == nil && o.Systemd {
		o.ListenPID, o.ListenFDs, err = server.ListenEnv(goStringOrEmpty(copts.listen_pid), goStringOrEmpty(copts.listen_fds))
	}
	port := -1
	if err == nil {
		port, err = open(owner, o)
	}
	if err != nil {
		return C.int(setError(err, errnum, message, errorcode))
	}
	return C.int(port)
}

// setError hands err to C: a system error as its errno, anything else as a message and a
// -errorcode. Returns -1.
func setError(err error, errnum *C.int, message, errorcode **C.char) int {
	var socketErr *server.SocketError
	var tclErr *server.Error
	var errno syscall.Errno
	switch {
	case errors.As(err, &socketErr):
		*errnum = C.int(socketErr.Errno)
	case errors.As(err, &tclErr):
		*message, *errorcode = C.CString(tclErr.Msg), C.CString(tclList(tclErr.Code...))
	case errors.As(err, &errno):
		*errnum = C.int(errno)
	default:
		*message, *errorcode = C.CString("couldn't open socket: "+err.Error()), C.CString("SOCKETSERVER INTERNAL")
	}
	return -1
}

// goStringOrEmpty is C.GoString, with "" for NULL.
func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

func goStrings(n C.int, p **C.char) []string {
	if n <= 0 {
		return nil
	}
	strs := make([]string, int(n))
	for i, s := range unsafe.Slice(p, int(n)) {
		strs[i] = C.GoString(s)
	}
	return strs
}

// environment reads a NULL-terminated environ array: the Tcl process's environment now,
// which Go's own copy (taken when the runtime started) may not be.
func environment(environ **C.char) []string {
	var env []string
	for p := environ; *p != nil; p = (**C.char)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
		env = append(env, C.GoString(*p))
	}
	return env
}

// ssHandoff returns the new process's id, 0 if the port is not served, -1 on error.
//
//export ssHandoff
func ssHandoff(port C.int, argc C.int, argv **C.char, environ **C.char, errnum *C.int, message, errorcode **C.char) C.int {
	srv, ok := lookup(int(port))
	if !ok {
		return 0
	}
	pid, err := srv.Handoff(goStrings(argc, argv), environment(environ))
	if err != nil {
		return C.int(setError(err, errnum, message, errorcode))
	}
	return C.int(pid)
}

// ssPoolCreate starts a pool: 1 with its name (malloc'd) in *name; 0 if no server of this
// process serves the port (for 0, none asked, the port `client` would use: FirstPort), for C
// to say so (ss_no_server_error); -1 with the error set.
//
//export ssPoolCreate
func ssPoolCreate(owner *C.ss_reporter, copts *C.struct_ss_pool_options, name **C.char,
	errnum *C.int, message, errorcode **C.char) C.int {
	port := int(copts.port)
	if port == 0 {
		port = forksafe.FirstPort()
	}
	created, err := createPool(owner, port, pool.Config{
		Workers:        int(copts.workers),
		Executable:     C.GoString(copts.executable),
		Script:         C.GoString(copts.script),
		Args:           goStrings(copts.argc, copts.argv),
		Env:            environment(copts.environ),
		LibraryDir:     C.GoString(copts.library_dir),
		MaxConnections: uint64(copts.maxconnections),
		StopTimeout:    millis(copts.stoptimeout_ms),
	})
	switch {
	case errors.Is(err, errNoServer):
		return 0
	case err != nil:
		return C.int(setError(err, errnum, message, errorcode))
	}
	*name = C.CString(created)
	return 1
}

// ssPoolInfo returns the pool's info as a Tcl dict (malloc'd), or NULL if there is no such pool.
//
//export ssPoolInfo
func ssPoolInfo(name *C.char) *C.char {
	p, ok := findPool(C.GoString(name))
	if !ok {
		return nil
	}
	return C.CString(poolInfoDict(p.Info()))
}

//export ssPoolReload
func ssPoolReload(name *C.char) C.int {
	p, ok := findPool(C.GoString(name))
	if !ok {
		return -1
	}
	p.Reload()
	return 0
}

// ssPoolStop stops a pool; timeoutMs < 0 means the pool's -stoptimeout.
//
//export ssPoolStop
func ssPoolStop(name *C.char, timeoutMs C.int) C.int {
	p, ok := findPool(C.GoString(name))
	if !ok {
		return -1
	}
	if timeoutMs < 0 {
		p.Stop(p.StopTimeout())
	} else {
		p.Stop(millis(timeoutMs))
	}
	forgetPool(C.GoString(name)) // now, not when the goroutine of createPool gets to it
	return 0
}

//export ssPoolNames
func ssPoolNames() *C.char { return C.CString(tclList(poolNames()...)) }

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
		rejected: C.ulonglong(info.Rejected), silent: C.ulonglong(info.Silent),
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
