package commands

// The Go functions C calls, and who calls them: the server's subcommands of
// ::socketserver::socket (socket.c: ssGoStart when the package loads; ssServerOpen,
// ssServerClose, ssServerInfo, ssServerPorts and ssHandoff for server, close, info and
// handoff), ::socketserver::pool (pool.c: ssPoolCreate, ssPoolInfo, ssPoolReload,
// ssPoolStop, ssPoolNames) and the interpreter-deletion
// callback (ssCloseServersOf). Each is reached only from a process that may run Go: the
// worker side's commands and interpreter-deletion callback (worker/commands.c,
// worker/report.c) reach socket.c and pool.c only through the table ss_server_init
// registers, which ss_server_side() withholds in a forked child. Nothing in worker/ calls one.

/*
#include "commands.h"
*/
import "C"

import (
	"errors"
	"math"
	"sync"
	"syscall"
	"unsafe"

	"socketserver/handover"
	"socketserver/pool"
	"socketserver/server"
)

var startOnce sync.Once

//export ssGoStart
func ssGoStart() {
	// Being called means the runtime has finished starting, signal handlers included.
	startOnce.Do(func() {
		handover.RestoreOpenFilesLimit()
		handover.NoteGoSignals()
		handover.AdoptRuntimeDescriptors()
	})
}

// Tcl's wide integers become ints here unchanged, so that Validate sees the number the
// caller wrote: that takes a 64-bit int, and a 32-bit build fails here rather than wrap a
// bad value into range.
const _ uint64 = math.MaxInt - math.MaxInt64

//export ssServerOpen
func ssServerOpen(owner *C.ss_reporter, copts *C.struct_ss_server_options,
	errnum *C.int, message, errorcode **C.char) C.int {
	o := server.DefaultOptions(int(copts.port))
	if copts.backlog_given != 0 {
		o.Backlog, o.BacklogGiven = int(copts.backlog), true
	}
	o.Queue = int(copts.queue)
	if copts.proxytimeout_given != 0 {
		o.ProxyTimeout = server.Millis(copts.proxytimeout_ms)
	}
	if copts.fd_given != 0 {
		fd := int(copts.fd)
		o.FD = &fd
	}
	o.WaitData = server.Millis(copts.waitdata_ms)
	o.ReusePort = copts.reuseport != 0
	if copts.myaddr != nil {
		if o.MyAddr = C.GoString(copts.myaddr); o.MyAddr == "" {
			return C.int(setError(server.EmptyMyAddr(), errnum, message, errorcode))
		}
	}
	o.Systemd = copts.systemd != 0
	o.ProxyProtocol = copts.proxyprotocol != 0
	// Checked now, before the environment systemd set and before a port served already is
	// returned as it is (open); Listen checks again, for its Go callers.
	err := o.Validate()
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
	cfg := pool.Config{
		Workers:        int(copts.workers),
		Executable:     C.GoString(copts.executable),
		Script:         C.GoString(copts.script),
		Args:           goStrings(copts.argc, copts.argv),
		Env:            environment(copts.environ),
		LibraryDir:     C.GoString(copts.library_dir),
		MaxConnections: int64(copts.maxconnections),
		StopTimeout:    server.Millis(copts.stoptimeout_ms),
	}
	if err := cfg.Validate(); err != nil { // a bad value is reported before a missing server
		return C.int(setError(err, errnum, message, errorcode))
	}
	port := int(copts.port)
	if port == 0 {
		port = handover.FirstPort()
	}
	created, err := createPool(owner, port, cfg)
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

// ssPoolStop stops a pool, within -timeout if given (else the pool's -stoptimeout): 1 once it
// has stopped, 0 if there is no such pool, -1 with the error set for a bad -timeout.
//
//export ssPoolStop
func ssPoolStop(name *C.char, timeoutMs C.longlong, timeoutGiven C.int, message, errorcode **C.char) C.int {
	if timeoutGiven != 0 {
		if err := server.TimeoutRange.Check(int64(timeoutMs)); err != nil {
			var errnum C.int
			return C.int(setError(err, &errnum, message, errorcode))
		}
	}
	p, ok := findPool(C.GoString(name))
	if !ok {
		return 0
	}
	timeout := p.StopTimeout()
	if timeoutGiven != 0 {
		timeout = server.Millis(timeoutMs).Duration()
	}
	p.Stop(timeout)
	forgetPool(C.GoString(name)) // now, not when the goroutine of createPool gets to it
	return 1
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
