package forksafe

/*
#include "forksafe.h"
#include "protocol.h"
*/
import "C"

import (
	"net/netip"
	"unsafe"
)

// The worker side of the protocol, for Go programs and tests that act as a worker. The
// library's own workers run the same C functions from worker.c, never this Go.

// WorkerRegister registers with the server behind a registration pair's workers' end and
// returns this worker's end of its own pair.
func WorkerRegister(registrationFD int) (int, error) {
	var fd C.int
	if rc, err := C.ss_worker_register(C.int(registrationFD), &fd); rc != 0 {
		return -1, err
	}
	return int(fd), nil
}

// WorkerReady asks the server for one connection.
func WorkerReady(ownFD int) error {
	if rc, err := C.ss_worker_ready(C.int(ownFD)); rc != 0 {
		return err
	}
	return nil
}

// WorkerRecvConn receives one connection without waiting and acknowledges it: ok is false
// at end of file (the server is gone); err is EAGAIN when nothing has arrived yet.
func WorkerRecvConn(ownFD int) (fd int, peer netip.AddrPort, ok bool, err error) {
	var cfd, port, sendsAhead C.int
	var ip [C.SS_IP_MAX]C.char
	got, err := C.ss_worker_recv_conn(C.int(ownFD), &cfd, &ip[0], &port, &sendsAhead)
	switch {
	case got < 0:
		return -1, netip.AddrPort{}, false, err
	case got == 0:
		return -1, netip.AddrPort{}, false, nil
	}
	// Acknowledged at once (see protocol.h); if the server has gone, the connection is ours.
	C.ss_worker_ack(C.int(ownFD))
	addr, perr := netip.ParseAddr(C.GoString((*C.char)(unsafe.Pointer(&ip[0]))))
	if perr != nil {
		return int(cfd), netip.AddrPort{}, true, perr
	}
	return int(cfd), netip.AddrPortFrom(addr, uint16(port)), true, nil
}

// Lookup finds a published port's workers' end (port 0: the first published).
func Lookup(port int) (found, registrationFD int) {
	var fd C.int
	var generation C.unsigned
	p := C.ss_ports_lookup(C.int(port), &fd, &generation)
	return int(p), int(fd)
}
