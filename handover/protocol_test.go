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

// registered is both sides of one worker's registration: what the worker keeps and what
// the server received.
type registered struct {
	own, lifeline int // the worker's end of its pair, the write end of its lifeline
	reg           handover.Registration
}

// registeredWorker runs the start of the protocol on a fresh registration pair: the worker
// registers, the server receives the registration. Every descriptor is closed when the test
// ends, unless the test closed it itself (the cleanups ignore EBADF).
func registeredWorker(t *testing.T) *registered {
	t.Helper()
	registration, workersEnd, err := handover.RegistrationPair()
	if err != nil {
		t.Fatalf("RegistrationPair: %v", err)
	}
	t.Cleanup(func() {
		handover.Close(registration)
		handover.CloseUnregistered(workersEnd)
	})
	own, lifeline, err := workertest.Register(workersEnd)
	if err != nil {
		t.Fatalf("WorkerRegister: %v", err)
	}
	reg, pid, err := handover.RecvRegistration(registration)
	if err != nil {
		unix.Close(own)
		unix.Close(lifeline)
		t.Fatalf("RecvRegistration: %v", err)
	}
	r := &registered{own: own, lifeline: lifeline, reg: reg}
	t.Cleanup(r.closeAll)
	if pid != os.Getpid() {
		t.Errorf("registration pid %d, want this process's %d", pid, os.Getpid())
	}
	return r
}

// closeAll closes what is still open of both sides (what a test closed itself is -1).
func (r *registered) closeAll() {
	for _, fd := range []int{r.own, r.lifeline} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	for _, fd := range []int{r.reg.ServerEnd, r.reg.WorkerEnd, r.reg.Lifeline} {
		if fd >= 0 {
			handover.Close(fd)
		}
	}
}

// closeWorker closes the worker's side, as its exit would; closeServerEnd the server's end
// of the pair alone (the server closing: its copy of the worker's end is closed with it
// when it retires a worker, but this tests the pair's own behaviour).
func (r *registered) closeWorker() {
	unix.Close(r.own)
	unix.Close(r.lifeline)
	r.own, r.lifeline = -1, -1
}

func (r *registered) closeServerEnd(t *testing.T) {
	t.Helper()
	must(t, handover.Close(r.reg.ServerEnd))
	r.reg.ServerEnd = -1
}

// sendConn passes a pipe's write end as a connection with the given peer (PassConn closes
// it); it returns the read end, and a copy of the write end that the test keeps, to see
// where the one passed went and whether a copy of it survives.
func sendConn(t *testing.T, serverEnd int, peer string) (r, w int) {
	t.Helper()
	r, passed := pipe(t)
	w, err := unix.FcntlInt(uintptr(passed), unix.F_DUPFD_CLOEXEC, 0)
	must(t, err)
	if err := handover.PassConn(serverEnd, passed, netip.MustParseAddrPort(peer), false); err != nil {
		t.Fatalf("PassConn: %v", err)
	}
	return r, w
}

// The whole conversation: REGISTER, READY with the worker's state, CONN, with the peer
// address and port arriving exactly as the server saw them (an IPv4 client of a dual-stack
// listener as a dotted quad).
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
			r := registeredWorker(t)

			sent := handover.WorkerState{Waiting: 1, Taken: 0}
			if err := workertest.Ready(r.own, sent); err != nil {
				t.Fatalf("WorkerReady: %v", err)
			}
			state, got, ok, err := handover.ReadWorker(r.reg.ServerEnd)
			if !got || !ok || err != nil || state != sent {
				t.Fatalf("ReadWorker = %+v, got=%v, ok=%v, err=%v; want %+v", state, got, ok, err, sent)
			}

			_, w := sendConn(t, r.reg.ServerEnd, p.sent)
			unix.Close(w)
			conn, peer, ok, err := workertest.RecvConn(r.own)
			if err != nil || !ok {
				t.Fatalf("RecvConn: ok=%v err=%v", ok, err)
			}
			unix.Close(conn)
			if want := netip.MustParseAddrPort(p.want); peer != want {
				t.Errorf("peer %v, want %v", peer, want)
			}
		})
	}
}

// A worker polls its pair: nothing there yet is EAGAIN; the server closing its end is
// end-of-file (ok=false, err=nil), which a worker takes as "server gone". The server's copy
// of the worker's end does not keep the worker from seeing it.
func TestRecvConnNothingYetThenEndOfFile(t *testing.T) {
	r := registeredWorker(t)

	if _, _, ok, err := workertest.RecvConn(r.own); ok || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("before anything was sent: ok=%v err=%v, want EAGAIN", ok, err)
	}
	r.closeServerEnd(t)
	fd, _, ok, err := workertest.RecvConn(r.own)
	if ok || err != nil || fd != -1 {
		t.Fatalf("after the server closed: fd=%d ok=%v err=%v, want end of file", fd, ok, err)
	}
}

// A connection sent before the server closed is still delivered; end-of-file comes after
// it. Once the worker closes it, no copy is left anywhere: the sender closed its own.
func TestConnectionSentBeforeCloseIsDelivered(t *testing.T) {
	r := registeredWorker(t)
	rd, w := sendConn(t, r.reg.ServerEnd, "127.0.0.1:9")
	r.closeServerEnd(t)
	conn, _, ok, err := workertest.RecvConn(r.own)
	if !ok || err != nil {
		t.Fatalf("first receive: ok=%v err=%v, want the connection", ok, err)
	}
	unix.Close(conn)
	if _, _, ok, err := workertest.RecvConn(r.own); ok || err != nil {
		t.Fatalf("second receive: ok=%v err=%v, want end of file", ok, err)
	}
	assertNoCopyOfWriteEnd(t, rd, w)
}

// Registering with a server whose end is closed fails, and leaves no descriptor behind
// (WorkerRegister makes a pair and a lifeline of its own first).
func TestWorkerRegisterWithServerGone(t *testing.T) {
	registration, workersEnd, err := handover.RegistrationPair()
	if err != nil {
		t.Fatalf("RegistrationPair: %v", err)
	}
	defer handover.CloseUnregistered(workersEnd)
	handover.Close(registration)

	before := openFDCount(t)
	if fd, lifeline, err := workertest.Register(workersEnd); err == nil {
		unix.Close(fd)
		unix.Close(lifeline)
		t.Fatal("WorkerRegister succeeded with the server's end closed")
	}
	if after := openFDCount(t); after != before {
		t.Errorf("open descriptors: %d before, %d after the failed registration", before, after)
	}
}

// The server's end of a registration pair: EAGAIN when no worker has registered,
// ECONNRESET once every workers' end is closed (no worker can register any more).
func TestRecvRegistrationNothingThenReset(t *testing.T) {
	registration, workersEnd, err := handover.RegistrationPair()
	if err != nil {
		t.Fatalf("RegistrationPair: %v", err)
	}
	defer handover.Close(registration)

	if _, _, err := handover.RecvRegistration(registration); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("no registration yet: %v, want EAGAIN", err)
	}
	handover.CloseUnregistered(workersEnd)
	if _, _, err := handover.RecvRegistration(registration); !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("workers' end closed: %v, want ECONNRESET", err)
	}
}

// ReadWorker drains every READY a worker sent, however many (more than one recvmmsg batch
// here), and keeps the newest state: each READY says the whole state, so only the last
// counts. With nothing waiting it says so (got=false) and the worker is still there.
func TestReadWorkerKeepsTheNewestState(t *testing.T) {
	r := registeredWorker(t)
	const readies = 40
	var last handover.WorkerState
	for i := range readies {
		last = handover.WorkerState{Waiting: uint32(readies - i), Taken: uint64(1<<40 + i)} // 64 bits of Taken
		must(t, workertest.Ready(r.own, last))
	}
	state, got, ok, err := handover.ReadWorker(r.reg.ServerEnd)
	if state != last || !got || !ok || err != nil {
		t.Fatalf("ReadWorker = %+v, got=%v, ok=%v, err=%v; want %+v, got, ok", state, got, ok, err, last)
	}
	if _, got, ok, err := handover.ReadWorker(r.reg.ServerEnd); got || !ok {
		t.Fatalf("ReadWorker with nothing waiting: got=%v, ok=%v, err=%v; want nothing, ok", got, ok, err)
	}
}

// A worker that is gone (end of file) or breaks the protocol is reported as not ok; a
// descriptor smuggled in with its messages is never kept by the server.
func TestReadWorkerEndOfFileAndMalformed(t *testing.T) {
	t.Run("end of file", func(t *testing.T) {
		// The pair reads end of file only once every copy of the worker's end is closed:
		// the worker's own and the server's (which a retiring server closes).
		r := registeredWorker(t)
		sent := handover.WorkerState{Waiting: 3, Taken: 7}
		must(t, workertest.Ready(r.own, sent))
		r.closeWorker()
		must(t, handover.Close(r.reg.WorkerEnd))
		r.reg.WorkerEnd = -1
		// The READY and the end of file may come in one call or two.
		var newest handover.WorkerState
		for range 2 {
			state, got, ok, err := handover.ReadWorker(r.reg.ServerEnd)
			if got {
				newest = state
			}
			if err != nil {
				t.Fatalf("ReadWorker: %v, want end of file without an error", err)
			}
			if !ok {
				if newest != sent {
					t.Fatalf("state %+v before end of file, want the %+v sent", newest, sent)
				}
				return
			}
		}
		t.Fatal("ReadWorker never reported end of file")
	})
	malformed := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"unknown message type", func(m []byte) []byte { m[1] = 'X'; return m }},
		{"a CONN's type", func(m []byte) []byte { m[1] = 'C'; return m }},
		{"protocol version 2", func(m []byte) []byte { m[0] = 2; return m }},
		{"shorter than a READY (version 2's size)", func(m []byte) []byte { return m[:4] }},
		{"longer than a READY", func(m []byte) []byte { return append(m, 0) }},
	}
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			r := registeredWorker(t)
			sendWithDescriptors(t, r.own, tc.mutate(readyMsg(t)), -1, 0)
			if _, _, ok, err := handover.ReadWorker(r.reg.ServerEnd); ok || !errors.Is(err, unix.EPROTO) {
				t.Fatalf("ReadWorker: ok=%v err=%v, want EPROTO", ok, err)
			}
		})
	}
	t.Run("READY carrying a descriptor", func(t *testing.T) {
		r := registeredWorker(t)
		rd, w := pipe(t)
		sendWithDescriptors(t, r.own, readyMsg(t), w, 1)
		handover.ReadWorker(r.reg.ServerEnd) // taking it as a READY or refusing it are both fine
		assertNoCopyOfWriteEnd(t, rd, w)
	})
}

// readyMsg is a genuine READY message, as workertest.Ready writes it.
func readyMsg(t *testing.T) []byte {
	t.Helper()
	a, b := seqpacketPair(t)
	must(t, workertest.Ready(a, handover.WorkerState{Waiting: 1, Taken: 2}))
	return recvRaw(t, b)
}

// The lifeline tells the server the worker is gone; the pair cannot, since the server's
// copy of the worker's end keeps it open. While the worker lives its lifeline is quiet;
// once the worker's descriptors are closed (as its exit closes them) the lifeline reads
// end of file (and polls as hung up), while the server's end of the pair still does not.
func TestLifelineEndsWithTheWorker(t *testing.T) {
	r := registeredWorker(t)
	if ev := pollNow(t, r.reg.Lifeline); ev != 0 {
		t.Fatalf("lifeline of a live worker polls %#x, want nothing", ev)
	}
	r.closeWorker()
	if ev := pollNow(t, r.reg.Lifeline); ev&(unix.POLLHUP|unix.POLLIN) == 0 {
		t.Fatalf("lifeline of a dead worker polls %#x, want POLLHUP", ev)
	}
	var b [1]byte
	if n, err := unix.Read(r.reg.Lifeline, b[:]); n != 0 || err != nil {
		t.Fatalf("read on the lifeline of a dead worker: %d, %v; want end of file", n, err)
	}
	if _, got, ok, err := handover.ReadWorker(r.reg.ServerEnd); got || !ok {
		t.Fatalf("ReadWorker after the worker closed its end: got=%v ok=%v err=%v; want the pair still open", got, ok, err)
	}
}

// pollNow is what poll reports for fd right away.
func pollNow(t *testing.T, fd int) int16 {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, 0)
		if err == nil {
			return fds[0].Revents
		}
		if !errors.Is(err, unix.EINTR) {
			t.Fatalf("poll: %v", err)
		}
	}
}

// WorkerUnread counts the CONN messages waiting in the worker's pair, not bytes and not
// the first message only: 0, then each one sent, less each one taken.
func TestWorkerUnreadCountsConnections(t *testing.T) {
	r := registeredWorker(t)
	unread := func() int {
		t.Helper()
		n, err := workertest.Unread(r.own)
		must(t, err)
		return n
	}
	if n := unread(); n != 0 {
		t.Fatalf("WorkerUnread of an empty pair = %d, want 0", n)
	}
	const sent = 5
	for i := 1; i <= sent; i++ {
		_, w := sendConn(t, r.reg.ServerEnd, "[::1]:80")
		unix.Close(w)
		if n := unread(); n != i {
			t.Fatalf("WorkerUnread after %d sent = %d, want %d", i, n, i)
		}
	}
	for i := sent - 1; i >= 0; i-- {
		conn, _, ok, err := workertest.RecvConn(r.own)
		if !ok || err != nil {
			t.Fatalf("RecvConn: ok=%v err=%v", ok, err)
		}
		unix.Close(conn)
		if n := unread(); n != i {
			t.Fatalf("WorkerUnread after taking %d of %d = %d, want %d", sent-i, sent, n, i)
		}
	}
	if _, err := workertest.Unread(-1); err == nil {
		t.Error("WorkerUnread of a bad descriptor did not fail")
	}
}

// TakeBack, through the server's copy of a dead worker's end, takes back the connections
// it had not read, in the order sent, each with its peer and the same open file: and each
// registered (the server's own now, closed by a forked child). Those the worker took are
// not taken back; none is left in the pair after; with none left it says so.
func TestTakeBackReturnsUnreadConnectionsInOrder(t *testing.T) {
	r := registeredWorker(t)
	_, w := sendConn(t, r.reg.ServerEnd, "127.0.0.1:1")
	unix.Close(w)
	conn, _, ok, err := workertest.RecvConn(r.own) // the worker took the first
	if !ok || err != nil {
		t.Fatalf("RecvConn: ok=%v err=%v", ok, err)
	}
	unix.Close(conn)
	peers := []string{"127.0.0.1:2", "[::1]:3", "10.0.0.1:4"}
	var reads, writes []int
	for _, p := range peers {
		rd, w := sendConn(t, r.reg.ServerEnd, p)
		reads, writes = append(reads, rd), append(writes, w)
	}
	r.closeWorker() // it died with three unread

	for i, p := range peers {
		fd, peer, ok, _ := handover.TakeBack(r.reg.WorkerEnd)
		if !ok {
			t.Fatalf("TakeBack %d: nothing, want the connection from %s", i, p)
		}
		if want := netip.MustParseAddrPort(p); peer != want {
			t.Errorf("TakeBack %d: peer %v, want %v (in the order sent)", i, peer, want)
		}
		if !sameFile(t, fd, writes[i]) {
			t.Errorf("TakeBack %d: descriptor is not the connection sent", i)
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		must(t, err)
		if flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("TakeBack %d: descriptor %d has no FD_CLOEXEC", i, fd)
		}
		if !isRegistered(t, fd) {
			t.Errorf("TakeBack %d: descriptor %d is not registered", i, fd)
		}
		must(t, handover.Close(fd))
		assertNoCopyOfWriteEnd(t, reads[i], writes[i])
	}
	if fd, _, ok, _ := handover.TakeBack(r.reg.WorkerEnd); ok {
		handover.Close(fd)
		t.Fatal("TakeBack after the last: got one more, want none")
	}
}
