package forksafe_test

import (
	"errors"
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
)

// registeredWorker runs the start of the protocol on a fresh registration pair: the worker
// registers, the server receives the registration. It returns the worker's end of its own
// pair and the server's end.
func registeredWorker(t *testing.T) (workerEnd, serverEnd int) {
	t.Helper()
	registration, workersEnd, err := forksafe.RegistrationPair()
	if err != nil {
		t.Fatalf("RegistrationPair: %v", err)
	}
	t.Cleanup(func() {
		forksafe.Close(registration)
		forksafe.CloseUnregistered(workersEnd)
	})
	workerEnd, err = forksafe.WorkerRegister(workersEnd)
	if err != nil {
		t.Fatalf("WorkerRegister: %v", err)
	}
	closeAtEnd(t, workerEnd)
	serverEnd, pid, err := forksafe.RecvRegistration(registration)
	if err != nil {
		t.Fatalf("RecvRegistration: %v", err)
	}
	if pid != os.Getpid() {
		t.Errorf("registration pid %d, want this process's %d", pid, os.Getpid())
	}
	return workerEnd, serverEnd
}

// The whole conversation: REGISTER, READY, CONN, with the peer address and port arriving
// exactly as the server saw them (an IPv4 client of a dual-stack listener as a dotted quad).
func TestProtocolRoundTrip(t *testing.T) {
	peers := []struct{ sent, want string }{
		{"127.0.0.1:1", "127.0.0.1:1"},
		{"[::1]:65535", "[::1]:65535"},
		{"[::ffff:127.0.0.1]:80", "127.0.0.1:80"},
		{"[fe80::1%lo]:8080", "[fe80::1%lo]:8080"},
		// The longest address a kernel can report: full IPv6 with a zone of IFNAMSIZ-1 bytes.
		{"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%abcdefghijklmno]:0", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%abcdefghijklmno]:0"},
	}
	for _, p := range peers {
		t.Run(p.sent, func(t *testing.T) {
			workerEnd, serverEnd := registeredWorker(t)
			defer forksafe.Close(serverEnd)

			if err := forksafe.WorkerReady(workerEnd); err != nil {
				t.Fatalf("WorkerReady: %v", err)
			}
			msg := recvRaw(t, serverEnd)
			if len(msg) < 2 || msg[1] != 'r' { // SS_MSG_READY
				t.Fatalf("server read %q, want a READY message", msg)
			}

			_, w := pipe(t)
			defer unix.Close(w)
			if err := forksafe.SendConn(serverEnd, w, netip.MustParseAddrPort(p.sent), false); err != nil {
				t.Fatalf("SendConn: %v", err)
			}
			conn, peer, ok, err := forksafe.WorkerRecvConn(workerEnd)
			if err != nil || !ok {
				t.Fatalf("WorkerRecvConn: ok=%v err=%v", ok, err)
			}
			unix.Close(conn)
			if want := netip.MustParseAddrPort(p.want); peer != want {
				t.Errorf("peer %v, want %v", peer, want)
			}
		})
	}
}

// A worker polls its pair: nothing there yet is EAGAIN; the server closing its end is
// end-of-file (ok=false, err=nil), which a worker takes as "server gone".
func TestWorkerRecvConnNothingYetThenEndOfFile(t *testing.T) {
	workerEnd, serverEnd := registeredWorker(t)

	if _, _, ok, err := forksafe.WorkerRecvConn(workerEnd); ok || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("before anything was sent: ok=%v err=%v, want EAGAIN", ok, err)
	}
	if err := forksafe.Close(serverEnd); err != nil {
		t.Fatalf("Close: %v", err)
	}
	fd, _, ok, err := forksafe.WorkerRecvConn(workerEnd)
	if ok || err != nil || fd != -1 {
		t.Fatalf("after the server closed: fd=%d ok=%v err=%v, want end of file", fd, ok, err)
	}
}

// A connection sent before the server closed is still delivered; end-of-file comes after it.
func TestConnectionSentBeforeCloseIsDelivered(t *testing.T) {
	workerEnd, serverEnd := registeredWorker(t)
	r, w := pipe(t)
	if err := forksafe.SendConn(serverEnd, w, netip.MustParseAddrPort("127.0.0.1:9"), false); err != nil {
		t.Fatalf("SendConn: %v", err)
	}
	forksafe.Close(serverEnd)
	conn, _, ok, err := forksafe.WorkerRecvConn(workerEnd)
	if !ok || err != nil {
		t.Fatalf("first receive: ok=%v err=%v, want the connection", ok, err)
	}
	unix.Close(conn)
	if _, _, ok, err := forksafe.WorkerRecvConn(workerEnd); ok || err != nil {
		t.Fatalf("second receive: ok=%v err=%v, want end of file", ok, err)
	}
	assertNoCopyOfWriteEnd(t, r, w)
}

// Registering with a server whose end is closed fails, and leaves no descriptor behind
// (WorkerRegister makes a pair of its own first).
func TestWorkerRegisterWithServerGone(t *testing.T) {
	registration, workersEnd, err := forksafe.RegistrationPair()
	if err != nil {
		t.Fatalf("RegistrationPair: %v", err)
	}
	defer forksafe.CloseUnregistered(workersEnd)
	forksafe.Close(registration)

	before := openFDCount(t)
	if fd, err := forksafe.WorkerRegister(workersEnd); err == nil {
		unix.Close(fd)
		t.Fatal("WorkerRegister succeeded with the server's end closed")
	}
	if after := openFDCount(t); after != before {
		t.Errorf("open descriptors: %d before, %d after the failed registration", before, after)
	}
}

// The server's end of a registration pair: EAGAIN when no worker has registered,
// ECONNRESET once every workers' end is closed (no worker can register any more).
func TestRecvRegistrationNothingThenReset(t *testing.T) {
	registration, workersEnd, err := forksafe.RegistrationPair()
	if err != nil {
		t.Fatalf("RegistrationPair: %v", err)
	}
	defer forksafe.Close(registration)

	if _, _, err := forksafe.RecvRegistration(registration); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("no registration yet: %v, want EAGAIN", err)
	}
	forksafe.CloseUnregistered(workersEnd)
	if _, _, err := forksafe.RecvRegistration(registration); !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("workers' end closed: %v, want ECONNRESET", err)
	}
}

// ReadWorker drains every message a worker sent, however many (more than one recvmmsg
// batch here), and counts READYs and ACKs; WorkerRecvConn sends the ACK by itself.
func TestReadWorkerCountsReadiesAndAcks(t *testing.T) {
	workerEnd, serverEnd := registeredWorker(t)
	defer forksafe.Close(serverEnd)
	const readies, conns = 40, 3
	for range readies {
		must(t, forksafe.WorkerReady(workerEnd))
	}
	for range conns {
		_, w := pipe(t)
		must(t, forksafe.SendConn(serverEnd, w, netip.MustParseAddrPort("127.0.0.1:1"), false))
		unix.Close(w)
		conn, _, ok, err := forksafe.WorkerRecvConn(workerEnd)
		if !ok || err != nil {
			t.Fatalf("WorkerRecvConn: ok=%v err=%v", ok, err)
		}
		unix.Close(conn)
	}
	r, a, ok, err := forksafe.ReadWorker(serverEnd)
	if r != readies || a != conns || !ok || err != nil {
		t.Fatalf("ReadWorker = %d readies, %d acks, ok=%v, err=%v; want %d, %d, ok", r, a, ok, err, readies, conns)
	}
	if r, a, ok, err := forksafe.ReadWorker(serverEnd); r != 0 || a != 0 || !ok {
		t.Fatalf("ReadWorker with nothing waiting = %d, %d, ok=%v, err=%v; want 0, 0, ok", r, a, ok, err)
	}
}

// A worker that is gone (end of file) or breaks the protocol is reported as not ok; a
// descriptor smuggled in with its messages is never kept by the server.
func TestReadWorkerEndOfFileAndMalformed(t *testing.T) {
	t.Run("end of file", func(t *testing.T) {
		workerEnd, serverEnd := registeredWorker(t)
		defer forksafe.Close(serverEnd)
		must(t, forksafe.WorkerReady(workerEnd))
		unix.Close(workerEnd)
		// The READY and the end of file may come in one call or two.
		total := 0
		for range 2 {
			r, _, ok, err := forksafe.ReadWorker(serverEnd)
			total += r
			if err != nil {
				t.Fatalf("ReadWorker: %v, want end of file without an error", err)
			}
			if !ok {
				if total != 1 {
					t.Fatalf("%d readies before end of file, want the 1 sent", total)
				}
				return
			}
		}
		t.Fatal("ReadWorker never reported end of file")
	})
	t.Run("unknown message type", func(t *testing.T) {
		workerEnd, serverEnd := registeredWorker(t)
		defer forksafe.Close(serverEnd)
		ready := readyMsg(t)
		ready[1] = 'X'
		sendWithDescriptors(t, workerEnd, ready, -1, 0)
		if _, _, ok, err := forksafe.ReadWorker(serverEnd); ok || !errors.Is(err, unix.EPROTO) {
			t.Fatalf("ReadWorker: ok=%v err=%v, want EPROTO", ok, err)
		}
	})
	t.Run("READY carrying a descriptor", func(t *testing.T) {
		workerEnd, serverEnd := registeredWorker(t)
		defer forksafe.Close(serverEnd)
		r, w := pipe(t)
		sendWithDescriptors(t, workerEnd, readyMsg(t), w, 1)
		forksafe.ReadWorker(serverEnd) // taking it as a READY or refusing it are both fine
		assertNoCopyOfWriteEnd(t, r, w)
	})
}

// readyMsg is a genuine READY message, as forksafe.WorkerReady writes it.
func readyMsg(t *testing.T) []byte {
	t.Helper()
	a, b := seqpacketPair(t)
	must(t, forksafe.WorkerReady(a))
	return recvRaw(t, b)
}
