// Package forksafe creates, passes and closes the server's descriptors in C, under the
// process lock that the fork handlers take, so that a worker forked from the server with
// TclX (which cannot run Go) inherits none of them and needs no Go to find its server.
// See forksafe.h.
package forksafe

/*
#include "forksafe.h"
#include "protocol.h"
*/
import "C"

import (
	"net/netip"
	"syscall"
	"unsafe"
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
	var storage C.struct_sockaddr_storage
	var length C.socklen_t
	fd, err := C.ss_accept(C.int(listenFD), &storage, &length)
	if fd < 0 {
		return -1, netip.AddrPort{}, err
	}
	return int(fd), sockaddrToAddrPort(unsafe.Pointer(&storage)), nil
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

// RecvRegistration receives one worker registration: the server's end of the worker's own
// pair (registered) and the worker's process id.
func RecvRegistration(registrationFD int) (fd int, pid int, err error) {
	var cpid C.int32_t
	rfd, err := C.ss_server_recv_register(C.int(registrationFD), &cpid)
	if rfd < 0 {
		return -1, 0, err
	}
	return int(rfd), int(cpid), nil
}

// SendConn hands one accepted connection and its peer address to a worker; sendsAhead says
// that this server may send connections ahead of READY (see protocol.h).
func SendConn(workerFD, connFD int, peer netip.AddrPort, sendsAhead bool) error {
	// The address, NUL-terminated, in Go memory (no pointers in it, so C may read it for
	// the call): no C allocation per connection.
	var ip [C.SS_IP_MAX]byte
	copy(ip[:len(ip)-1], peer.Addr().Unmap().AppendTo(ip[:0]))
	ahead := C.int(0)
	if sendsAhead {
		ahead = 1
	}
	if rc, err := C.ss_server_send_conn(C.int(workerFD), C.int(connFD), (*C.char)(unsafe.Pointer(&ip[0])), C.int(peer.Port()), ahead); rc != 0 {
		return err
	}
	return nil
}

// ReadWorker reads every READY and ACK message waiting on a worker's pair. ok is false
// when the worker is gone (end of file) or sent something malformed (err says which).
func ReadWorker(workerFD int) (readies, acks int, ok bool, err error) {
	var r, a C.int
	rc, err := C.ss_server_read_worker(C.int(workerFD), &r, &a)
	return int(r), int(a), rc == 1, err
}

// Publish makes a port's registration pair findable by workers, forked or not.
func Publish(port, workersEnd int) error {
	if rc, err := C.ss_ports_publish(C.int(port), C.int(workersEnd)); rc != 0 {
		return err
	}
	return nil
}

// Withdraw removes a server from the table workers read: the one on port whose
// registration pair has workersEnd (two servers may share a port with SO_REUSEPORT).
func Withdraw(port, workersEnd int) { C.ss_ports_withdraw(C.int(port), C.int(workersEnd)) }
