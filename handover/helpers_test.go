package handover_test

import (
	"errors"
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// seqpacketPair is the kind of pair every protocol message travels over. Both ends are
// closed when the test ends.
func seqpacketPair(t *testing.T) (a, b int) {
	t.Helper()
	sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	closeAtEnd(t, sv[0], sv[1])
	return sv[0], sv[1]
}

// closeAtEnd closes descriptors the test does not close itself.
func closeAtEnd(t *testing.T, fds ...int) {
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
}

// pipe returns a pipe whose read end does not block. The caller owns the write end; the
// read end is closed when the test ends.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatalf("pipe2: %v", err)
	}
	closeAtEnd(t, p[0])
	return p[0], p[1]
}

// assertNoCopyOfWriteEnd closes the test's own write end of a pipe and then proves, by
// reading end-of-file, that no other copy of it survives anywhere in the process: a
// descriptor the code under test received and failed to close would keep the pipe open
// (the read would fail with EAGAIN instead).
func assertNoCopyOfWriteEnd(t *testing.T, r, w int) {
	t.Helper()
	unix.Close(w)
	var buf [16]byte
	for {
		n, err := unix.Read(r, buf[:])
		switch {
		case n > 0:
			continue // data written through a copy before it was closed
		case errors.Is(err, unix.EAGAIN):
			t.Fatal("a copy of the passed descriptor is still open: it leaked")
		case err != nil:
			t.Fatalf("read: %v", err)
		}
		return
	}
}

// openFDCount counts this process's open descriptors.
func openFDCount(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("reading /proc/self/fd: %v", err)
	}
	return len(entries)
}

// recvRaw receives one message as it is on the wire, closing any descriptors it carried.
func recvRaw(t *testing.T, fd int) []byte {
	t.Helper()
	buf := make([]byte, 512)
	oob := make([]byte, unix.CmsgSpace(8*4))
	n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		t.Fatalf("recvmsg: %v", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		t.Fatalf("parsing control data: %v", err)
	}
	for i := range msgs {
		fds, _ := unix.ParseUnixRights(&msgs[i])
		for _, carried := range fds {
			unix.Close(carried)
		}
	}
	return buf[:n]
}

// capturedConnMsg is a genuine CONN message, as handover.PassConn writes it, so tests can
// send variations of it without restating the C struct's layout.
func capturedConnMsg(t *testing.T) []byte {
	t.Helper()
	a, b := seqpacketPair(t)
	_, w := pipe(t)
	if err := handover.PassConn(a, w, netip.MustParseAddrPort("127.0.0.1:4242"), false); err != nil {
		t.Fatalf("PassConn: %v", err)
	}
	return recvRaw(t, b)
}

// capturedRegisterMsg is a genuine REGISTER message, as workertest.Register writes it.
func capturedRegisterMsg(t *testing.T) []byte {
	t.Helper()
	a, b := seqpacketPair(t)
	own, lifeline, err := workertest.Register(a)
	if err != nil {
		t.Fatalf("WorkerRegister: %v", err)
	}
	unix.Close(own)
	unix.Close(lifeline)
	return recvRaw(t, b)
}

// sendWithDescriptors sends msg carrying fd n times (n may be 0), as a misbehaving peer might.
func sendWithDescriptors(t *testing.T, sock int, msg []byte, fd, n int) {
	t.Helper()
	var oob []byte
	if n > 0 {
		fds := make([]int, n)
		for i := range fds {
			fds[i] = fd
		}
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(sock, msg, oob, nil, unix.MSG_DONTWAIT); err != nil {
		t.Fatalf("sendmsg: %v", err)
	}
}
