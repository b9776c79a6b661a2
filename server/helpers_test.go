package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"socketserver/internal/reporttest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// eventTimeout bounds every wait for something the server does in the background.
const eventTimeout = 5 * time.Second

// quietPeriod is how long a test watches for something that must not happen (an accept
// while no worker is ready); the server reacts to a connection within microseconds.
const quietPeriod = 300 * time.Millisecond

// --- servers and reports -----------------------------------------------------------------

// recorder keeps what a server or pool reports (see internal/reporttest).
type recorder = reporttest.Recorder

type report = reporttest.Report

var newRecorder = reporttest.New

// loopback is the options of a server on 127.0.0.1 on a port the kernel picks.
func loopback() Options {
	o := DefaultOptions(0)
	o.MyAddr = "127.0.0.1"
	return o
}

// listen starts a server that the test closes when it ends.
func listen(t *testing.T, o Options) (*Server, *recorder) {
	t.Helper()
	rec := newRecorder()
	s, err := Listen(o, rec.Report)
	if err != nil {
		t.Fatalf("Listen(%+v): %v", o, err)
	}
	t.Cleanup(func() { closeWithin(t, s) })
	return s, rec
}

// closeWithin closes a server, failing the test if Close does not return in time.
func closeWithin(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(eventTimeout):
		t.Fatalf("Close did not return within %v", eventTimeout)
	}
}

func haveIPv6() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err == nil {
		l.Close()
	}
	return err == nil
}

func requireIPv6(t *testing.T) {
	t.Helper()
	if !haveIPv6() {
		t.Skip("no IPv6 loopback")
	}
}

// --- counters ----------------------------------------------------------------------------

// counts is the part of Info that changes as the server runs.
type counts struct {
	Workers, Ready, Queued                 int
	Accepted, Dispatched, Rejected, Silent uint64
}

func countsOf(i Info) counts {
	return counts{Workers: i.Workers, Ready: i.Ready, Queued: i.Queued,
		Accepted: i.Accepted, Dispatched: i.Dispatched, Rejected: i.Rejected, Silent: i.Silent}
}

// waitCounts waits for the server's counters to reach want.
func waitCounts(t *testing.T, s *Server, want counts) {
	t.Helper()
	var got counts
	waitUntil(t, func() bool { got = countsOf(s.Info()); return got == want },
		func() string { return fmt.Sprintf("counters %+v, want %+v", got, want) })
}

// waitUntil polls cond until it holds, failing the test with describe() after eventTimeout.
// For state the dispatch goroutine updates after the event a test can see (a counter is
// incremented just after the worker could have received its connection).
func waitUntil(t *testing.T, cond func() bool, describe func() string) {
	t.Helper()
	for deadline := time.Now().Add(eventTimeout); !cond(); time.Sleep(time.Millisecond) {
		if !time.Now().Before(deadline) {
			t.Fatalf("%s (waited %v)", describe(), eventTimeout)
		}
	}
}

// holdsFor checks, throughout quietPeriod, that the server's counters stay at want.
func holdsFor(t *testing.T, s *Server, want counts) {
	t.Helper()
	for end := time.Now().Add(quietPeriod); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if got := countsOf(s.Info()); got != want {
			t.Fatalf("counters changed to %+v, want them to stay %+v", got, want)
		}
	}
}

// --- workers -----------------------------------------------------------------------------

// testWorker is a worker in the test process, speaking the protocol through workertest's Go
// wrappers of the C worker side as that side does: it keeps the state a READY says, how many calls wait
// (each ready() is one more `client` call) and how many connections it has taken.
type testWorker struct {
	t        *testing.T
	fd       int             // its end of its own pair
	lifeline int             // the write end of its lifeline (-1: the test does not hold it)
	closeFD  func(int) error // unix.Close, or handover.Close for a registered end
	closed   bool
	waiting  uint32 // calls waiting for a connection
	taken    uint64 // connections taken from the pair
}

// registerWorker finds the server the way a worker does (the published port table) and
// registers with it.
func registerWorker(t *testing.T, s *Server) *testWorker {
	t.Helper()
	port, registration := workertest.Lookup(s.Port())
	if port != s.Port() {
		t.Fatalf("Lookup(%d) found port %d", s.Port(), port)
	}
	fd, lifeline, err := workertest.Register(registration)
	if err != nil {
		t.Fatalf("WorkerRegister: %v", err)
	}
	return newTestWorker(t, fd, lifeline, unix.Close)
}

func newTestWorker(t *testing.T, fd, lifeline int, closeFD func(int) error) *testWorker {
	w := &testWorker{t: t, fd: fd, lifeline: lifeline, closeFD: closeFD}
	t.Cleanup(w.close)
	return w
}

// close is the worker exiting: its end of its pair and its lifeline close.
func (w *testWorker) close() {
	if !w.closed {
		w.closeFD(w.fd)
		w.closeLifeline()
		w.closed = true
	}
}

// closeLifeline closes the lifeline alone: to the server, the worker has died.
func (w *testWorker) closeLifeline() {
	if w.lifeline >= 0 {
		w.closeFD(w.lifeline)
		w.lifeline = -1
	}
}

// ready is one more `client` call waiting: a READY saying so.
func (w *testWorker) ready() {
	w.t.Helper()
	w.waiting++
	w.tell()
}

// tell sends a READY with the worker's state as it is.
func (w *testWorker) tell() {
	w.t.Helper()
	w.tellState(handover.WorkerState{Waiting: w.waiting, Taken: w.taken})
}

// tellState sends a READY saying state, whatever the worker's own is.
func (w *testWorker) tellState(state handover.WorkerState) {
	w.t.Helper()
	if err := workertest.Ready(w.fd, state); err != nil {
		w.t.Fatalf("WorkerReady(%+v): %v", state, err)
	}
}

// recvConn waits for the server to hand over a connection and returns it with the peer
// address the server reported; it answers a waiting call, if one waits.
func (w *testWorker) recvConn() (net.Conn, netip.AddrPort) {
	w.t.Helper()
	waitReadable(w.t, w.fd)
	fd, peer, ok, err := workertest.RecvConn(w.fd)
	if err != nil || !ok {
		w.t.Fatalf("RecvConn: ok=%v err=%v", ok, err)
	}
	w.taken++
	if w.waiting > 0 {
		w.waiting--
	}
	f := os.NewFile(uintptr(fd), "connection")
	defer f.Close()
	conn, err := net.FileConn(f)
	if err != nil {
		w.t.Fatalf("FileConn: %v", err)
	}
	w.t.Cleanup(func() { conn.Close() })
	return conn, peer
}

// unread is how many connections wait in the worker's pair.
func (w *testWorker) unread() int {
	w.t.Helper()
	n, err := workertest.Unread(w.fd)
	if err != nil {
		w.t.Fatalf("WorkerUnread: %v", err)
	}
	return n
}

// waitUnread waits for exactly n connections to be in the worker's pair.
func (w *testWorker) waitUnread(n int) {
	w.t.Helper()
	var got int
	waitUntil(w.t, func() bool { got = w.unread(); return got == n },
		func() string { return fmt.Sprintf("%d connections unread in the pair, want %d", got, n) })
}

// assertNothingYet checks that no connection has been handed to this worker.
func (w *testWorker) assertNothingYet() {
	w.t.Helper()
	if n := w.unread(); n != 0 {
		w.t.Fatalf("worker has %d connections in its pair, want nothing", n)
	}
	if _, _, ok, err := workertest.RecvConn(w.fd); ok || !errors.Is(err, unix.EAGAIN) {
		w.t.Fatalf("worker has something: ok=%v err=%v, want nothing (EAGAIN)", ok, err)
	}
}

// assertServerGone waits for the server to close its end of the worker's pair. The worker
// sees end-of-file, or ECONNRESET when the server closed with messages of the worker's still
// unread (a SOCK_SEQPACKET socket closed with data in its queue resets its peer); the C
// worker takes both as the server gone, and so does this.
func (w *testWorker) assertServerGone() {
	w.t.Helper()
	waitReadable(w.t, w.fd)
	fd, _, ok, err := workertest.RecvConn(w.fd)
	if ok {
		unix.Close(fd)
	}
	if ok || (err != nil && !errors.Is(err, unix.ECONNRESET)) {
		w.t.Fatalf("RecvConn: ok=%v err=%v, want end of file or a reset", ok, err)
	}
}

// waitReadable waits for fd to become readable (or to reach end of file).
func waitReadable(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(eventTimeout)
	for {
		n, err := unix.Poll(fds, int(time.Until(deadline)/time.Millisecond)+1)
		if n > 0 {
			return
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			t.Fatalf("poll: %v", err)
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("descriptor %d not readable within %v", fd, eventTimeout)
		}
	}
}

// --- clients -----------------------------------------------------------------------------

// dial connects a client to the server's port on host; the test closes it when it ends.
func dial(t *testing.T, host string, port int) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), eventTimeout)
	if err != nil {
		t.Fatalf("dial %s port %d: %v", host, port, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func localAddrPort(c net.Conn) netip.AddrPort {
	ap := c.LocalAddr().(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// assertHandedOver checks that the worker's connection is the client's: the peer address
// the server reported is the client's own, and bytes flow both ways.
func assertHandedOver(t *testing.T, client, conn net.Conn, peer netip.AddrPort) {
	t.Helper()
	if want := localAddrPort(client); peer != want {
		t.Errorf("worker was told the peer is %v; the client is %v", peer, want)
	}
	exchange(t, client, conn, "request from "+client.LocalAddr().String())
	exchange(t, conn, client, "reply to "+client.LocalAddr().String())
}

// exchange writes msg on one end and reads it on the other.
func exchange(t *testing.T, from, to net.Conn, msg string) {
	t.Helper()
	write(t, from, msg)
	expectRead(t, to, msg)
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// expectRead reads len(want) bytes from c and checks they are want.
func expectRead(t *testing.T, c net.Conn, want string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(eventTimeout))
	got := make([]byte, len(want))
	if n, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("read %q, %v; want %q", got[:n], err, want)
	}
}

// assertClosedByServer waits for the client to see the server close the connection: end
// of file, or a reset if the server closed it with the client's bytes unread.
func assertClosedByServer(t *testing.T, client net.Conn) {
	t.Helper()
	client.SetReadDeadline(time.Now().Add(eventTimeout))
	var b [1]byte
	if n, err := client.Read(b[:]); err != io.EOF && !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("client read %d bytes, %v; want end of file or a reset", n, err)
	}
}

// listeningPort is the port fd listens on; it fails the test if fd is not a listening socket.
func listeningPort(t *testing.T, fd int) int {
	t.Helper()
	if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on != 1 {
		t.Fatalf("descriptor %d is not a listening socket (SO_ACCEPTCONN %d, %v)", fd, on, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port
	case *unix.SockaddrInet6:
		return sa.Port
	}
	t.Fatalf("descriptor %d: unexpected address %T", fd, sa)
	return 0
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openFDCount(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("reading /proc/self/fd: %v", err)
	}
	return len(entries)
}

func (c counts) String() string {
	return fmt.Sprintf("{workers %d ready %d queued %d accepted %d dispatched %d rejected %d silent %d}",
		c.Workers, c.Ready, c.Queued, c.Accepted, c.Dispatched, c.Rejected, c.Silent)
}
