// Package handover is the server's side of handing connections over to workers: it creates,
// passes and closes the server's descriptors in C (descriptors.c, protocol.c), under the
// process lock that the fork handler takes, so that a worker forked from the server with
// TclX (which cannot run Go) inherits none of them and needs no Go to find its server. Only
// the server process runs it; the worker's side is package worker's C, which it imports.
// See handover.h and worker/worker.h.
package handover

/*
#cgo CFLAGS: -I${SRCDIR}/../worker
#include "handover.h"
*/
import "C"

import (
	"errors"
	"net/netip"
	"syscall"
	"unsafe"

	_ "socketserver/worker" // the C of the descriptor registry
)

// NoteGoSignals records the signal handlers the Go runtime installed, so a forked child can
// put back what was there before.
func NoteGoSignals() { C.ss_signals_note_go() }

// Socket creates a close-on-exec socket that a forked child will not keep.
func Socket(domain, typ, proto int) (int, error) {
	fd, err := C.ss_socket(C.int(domain), C.int(typ), C.int(proto))
	if fd < 0 {
		return -1, err
	}
	return int(fd), nil
}

// Accept accepts one connection (close-on-exec, not kept by a forked child) and returns
// its peer address.
func Accept(listenFD int) (int, netip.AddrPort, error) {
	accepted, err := C.ss_accept(C.int(listenFD))
	if accepted.fd < 0 {
		return -1, netip.AddrPort{}, err
	}
	return int(accepted.fd), sockaddrToAddrPort(unsafe.Pointer(&accepted.peer)), nil
}

// Epoll creates an epoll instance that a forked child will not keep.
func Epoll() (int, error) {
	fd, err := C.ss_epoll()
	if fd < 0 {
		return -1, err
	}
	return int(fd), nil
}

// Eventfd creates a non-blocking eventfd that a forked child will not keep.
func Eventfd() (int, error) {
	fd, err := C.ss_eventfd()
	if fd < 0 {
		return -1, err
	}
	return int(fd), nil
}

// RegistrationPair creates a port's registration pair: the server's end, which a forked
// child will not keep, and the workers' end, which every worker inherits.
func RegistrationPair() (serverEnd, workersEnd int, err error) {
	return socketpair(false)
}

// WorkerPair creates a pair for a worker the server spawns itself: both ends are the
// server's until the worker's end is handed to the new process (and then closed here).
func WorkerPair() (serverEnd, workerEnd int, err error) { return socketpair(true) }

func socketpair(registerBoth bool) (int, int, error) {
	var sv [2]C.int
	both := C.int(0)
	if registerBoth {
		both = 1
	}
	if rc, err := C.ss_socketpair(&sv[0], both); rc != 0 {
		return -1, -1, err
	}
	return int(sv[0]), int(sv[1]), nil
}

// Adopt registers a descriptor the server was given (a listening socket from -fd or
// systemd), so a forked child closes it. It fails with EEXIST if it is registered already.
func Adopt(fd int) error {
	if rc, err := C.ss_adopt(C.int(fd)); rc != 0 {
		return err
	}
	return nil
}

// Close closes a descriptor created by this package.
func Close(fd int) error {
	if rc, err := C.ss_close(C.int(fd)); rc != 0 {
		return err
	}
	return nil
}

// CloseUnregistered closes a descriptor that was never registered (a workers' end).
func CloseUnregistered(fd int) error { return syscall.Close(fd) }

// Registration is what a worker registers with: the server's end of the worker's own pair,
// a copy of the worker's end (to take back what a dead worker had not read) and the read end
// of its lifeline, all three registered.
type Registration struct {
	ServerEnd, WorkerEnd, Lifeline int
}

// RecvRegistration receives one worker registration and the worker's process id.
func RecvRegistration(registrationFD int) (Registration, int, error) {
	var cpid C.int32_t
	var fds [3]C.int
	if rc, err := C.ss_server_recv_register(C.int(registrationFD), &fds[0], &cpid); rc != 0 {
		return Registration{}, 0, err
	}
	return Registration{ServerEnd: int(fds[0]), WorkerEnd: int(fds[1]), Lifeline: int(fds[2])}, int(cpid), nil
}

// Lifeline creates the lifeline pipe of a worker the server spawns itself: both ends are
// the server's until the write end is handed to the new process (and then closed here).
func Lifeline() (readEnd, writeEnd int, err error) {
	var fds [2]C.int
	if rc, err := C.ss_lifeline(&fds[0]); rc != 0 {
		return -1, -1, err
	}
	return int(fds[0]), int(fds[1]), nil
}

// PassConn hands one accepted connection and its peer address to a worker, then closes this
// process's copy; sendsAhead says that this server may send connections ahead of READY (see
// worker/protocol.h). On failure the connection is still the caller's.
func PassConn(workerFD, connFD int, peer netip.AddrPort, sendsAhead bool) error {
	var cpeer C.struct_ss_peer
	ip := (*[C.SS_IP_MAX]byte)(unsafe.Pointer(&cpeer.ip[0]))
	peer.Addr().Unmap().AppendTo(ip[: 0 : len(ip)-1])
	cpeer.port = C.int(peer.Port())
	ahead := C.int(0)
	if sendsAhead {
		ahead = 1
	}
	if rc, err := C.ss_server_pass_conn(C.int(workerFD), C.int(connFD), cpeer, ahead); rc != 0 {
		return err
	}
	return nil
}

// AheadMax is how many connections a busy worker may be sent beyond what it asked for.
const AheadMax = C.SS_AHEAD_MAX

// TakeBack takes back one connection that a dead worker had not read, through the server's
// copy of its end (registered, like every server descriptor). ok is false when none is
// taken; err is then EMFILE or ENFILE if one is left that the process has no room for.
func TakeBack(workerEnd int) (connFD int, peer netip.AddrPort, ok bool, err error) {
	var cfd, port C.int
	var ip [C.SS_IP_MAX]C.char
	if rc, err := C.ss_server_take_back(C.int(workerEnd), &cfd, &ip[0], &port); rc != 1 {
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			return -1, netip.AddrPort{}, false, err
		}
		return -1, netip.AddrPort{}, false, nil
	}
	return int(cfd), parsePeer(&ip, port), true, nil
}

// parsePeer is the peer address a CONN message carried (the server wrote it: it parses).
func parsePeer(ip *[C.SS_IP_MAX]C.char, port C.int) netip.AddrPort {
	addr, _ := netip.ParseAddr(C.GoString((*C.char)(unsafe.Pointer(&ip[0]))))
	return netip.AddrPortFrom(addr, uint16(port))
}

// WorkerState is what a worker's READY says (see worker/protocol.h).
type WorkerState struct {
	Waiting uint32 // its `client` calls waiting for a connection
	Taken   uint64 // connections it has taken from its pair
}

// ReadWorker reads every READY waiting on a worker's pair: got says whether there was one,
// state is the newest. ok is false when the pair reads end-of-file or something malformed
// (err says which).
func ReadWorker(workerFD int) (state WorkerState, got, ok bool, err error) {
	read, err := C.ss_server_read_worker(C.int(workerFD))
	return WorkerState{Waiting: uint32(read.waiting), Taken: uint64(read.taken)}, read.messages > 0, read.rc == 1, err
}

// Publish makes a port's registration pair findable by workers, forked or not.
func Publish(port, workersEnd int) error {
	if rc, err := C.ss_ports_publish(C.int(port), C.int(workersEnd)); rc != 0 {
		return err
	}
	return nil
}

// PortMax is the highest TCP port (SS_PORT_MAX, which the C side checks ports against too).
const PortMax = C.SS_PORT_MAX

// FirstPort is the port a worker's `client` without -port asks (ss_ports_lookup decides): the
// first published of those still served, or 0 if there is none.
func FirstPort() int {
	var registrationFD C.int
	var generation C.uint
	return int(C.ss_ports_lookup(0, &registrationFD, &generation))
}

// Withdraw removes a server from the table workers read: the one on port whose
// registration pair has workersEnd (two servers may share a port with SO_REUSEPORT).
func Withdraw(port, workersEnd int) { C.ss_ports_withdraw(C.int(port), C.int(workersEnd)) }
