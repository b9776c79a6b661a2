// Package workertest is the worker side of the protocol (worker/protocol.c, worker/ports.c)
// wrapped in Go, for the Go tests that act as a worker: a Go test file cannot use cgo. The
// library's workers call the same C from worker/client.c, never this Go; only tests import
// this package.
package workertest

/*
#cgo CFLAGS: -I${SRCDIR}/../../worker
#include "worker.h"
#include "protocol.h"
*/
import "C"

import (
	"net/netip"
	"unsafe"

	"socketserver/handover"
	_ "socketserver/worker" // the C wrapped here
)

// Register registers with the server behind a registration pair's workers' end and returns
// this worker's end of its own pair and the write end of its lifeline.
func Register(registrationFD int) (ownFD, lifelineFD int, err error) {
	var fd, lifeline C.int
	if rc, err := C.ss_worker_register(C.int(registrationFD), &fd, &lifeline); rc != 0 {
		return -1, -1, err
	}
	return int(fd), int(lifeline), nil
}

// Ready tells the server how many calls wait for a connection and how many connections this
// worker has taken from its pair.
func Ready(ownFD int, state handover.WorkerState) error {
	if rc, err := C.ss_worker_ready(C.int(ownFD), C.uint32_t(state.Waiting), C.uint64_t(state.Taken)); rc != 0 {
		return err
	}
	return nil
}

// Unread is how many connections wait unread in a worker's pair.
func Unread(ownFD int) (int, error) {
	n, err := C.ss_worker_unread(C.int(ownFD))
	if n < 0 {
		return -1, err
	}
	return int(n), nil
}

// RecvConn receives one connection from a worker's end of its pair without waiting: ok is
// false at end of file (the server is gone); err is EAGAIN when nothing has arrived yet.
func RecvConn(ownFD int) (connFD int, peer netip.AddrPort, ok bool, err error) {
	var cfd, port, sendsAhead C.int
	var ip [C.SS_IP_MAX]C.char
	got, err := C.ss_recv_conn(C.int(ownFD), &cfd, &ip[0], &port, &sendsAhead, 0)
	switch {
	case got < 0:
		return -1, netip.AddrPort{}, false, err
	case got == 0:
		return -1, netip.AddrPort{}, false, nil
	}
	addr, _ := netip.ParseAddr(C.GoString((*C.char)(unsafe.Pointer(&ip[0]))))
	return int(cfd), netip.AddrPortFrom(addr, uint16(port)), true, nil
}

// Lookup finds a published port's workers' end (port 0: the first published).
func Lookup(port int) (found, registrationFD int) {
	var fd C.int
	var generation C.unsigned
	p := C.ss_ports_lookup(C.int(port), &fd, &generation)
	return int(p), int(fd)
}
