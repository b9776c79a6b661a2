package server

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// v2Header is a version 2 header: the signature, version 2 with command (0 LOCAL, 1 PROXY),
// the family/transport byte and a body (addresses, then TLVs) of the length it announces.
func v2Header(command, family byte, body []byte) []byte {
	h := append([]byte(v2Signature), 0x20|command, family)
	h = binary.BigEndian.AppendUint16(h, uint16(len(body)))
	return append(h, body...)
}

// v2TCP6 is a version 2 PROXY header for an IPv6 TCP connection from src to dst.
func v2TCP6(src, dst netip.AddrPort) []byte {
	s, d := src.Addr().As16(), dst.Addr().As16()
	body := append(append([]byte{}, s[:]...), d[:]...)
	body = binary.BigEndian.AppendUint16(body, src.Port())
	return v2Header(1, 0x21, binary.BigEndian.AppendUint16(body, dst.Port()))
}

// withTLVs appends TLVs (an ALPN and a NOOP of padding) to a version 2 header, fixing
// its length: the server skips them and takes exactly the header.
func withTLVs(h []byte) []byte {
	tlvs := []byte{0x01, 0, 2, 'h', '2', 0x04, 0, 100}
	tlvs = append(tlvs, make([]byte, 100)...)
	out := append(slices.Clip(h), tlvs...)
	binary.BigEndian.PutUint16(out[14:], binary.BigEndian.Uint16(h[14:])+uint16(len(tlvs)))
	return out
}

// afterHeader is what a client sends once its header is done: it looks like another
// header (which the server must leave alone) and is longer than any header buffer.
var afterHeader = "PROXY TCP4 10.9.9.9 10.0.0.1 9 9\r\n" + strings.Repeat("application data ", 300)

// A header delivery: how the client sends its header and what follows it.
type delivery struct {
	name string
	data string // the application's bytes after the header
	send func(t *testing.T, c net.Conn, header []byte, data string)
}

var deliveries = []delivery{
	{"in one write with the data", afterHeader, func(t *testing.T, c net.Conn, h []byte, data string) {
		write(t, c, string(h)+data)
	}},
	{"a byte at a time, then the data", afterHeader, func(t *testing.T, c net.Conn, h []byte, data string) {
		trickle(t, c, h, 2*time.Millisecond)
		write(t, c, data)
	}},
	{"header, a pause, then the data", afterHeader, func(t *testing.T, c net.Conn, h []byte, data string) {
		write(t, c, string(h))
		time.Sleep(20 * time.Millisecond) // lets the server take the header alone; either way must work
		write(t, c, data)
	}},
	{"the header only", "", func(t *testing.T, c net.Conn, h []byte, _ string) { write(t, c, string(h)) }},
}

// trickle writes b one byte at a time, pause apart (the client has TCP_NODELAY, so each
// byte is a segment of its own), failing the test if a write fails.
func trickle(t *testing.T, c net.Conn, b []byte, pause time.Duration) {
	t.Helper()
	if i, err := trickleUntilError(c, b, pause); err != nil {
		t.Fatalf("write byte %d: %v", i, err)
	}
}

// trickleUntilError is trickle for bytes the server may refuse before the last: it stops
// at the first failed write and says which.
func trickleUntilError(c net.Conn, b []byte, pause time.Duration) (int, error) {
	for i := range b {
		if _, err := c.Write(b[i : i+1]); err != nil {
			return i, err
		}
		time.Sleep(pause)
	}
	return len(b), nil
}

// With -proxyprotocol, however the header arrives, the worker is told its Source (or the
// real peer for LOCAL, UNKNOWN and AF_UNSPEC) and reads exactly the bytes after it: none
// lost, none of the header, nothing else.
func TestProxyWorkerReadsExactlyWhatFollowsTheHeader(t *testing.T) {
	src4, dst4 := netip.MustParseAddrPort("198.51.100.7:50123"), netip.MustParseAddrPort("127.0.0.1:443")
	src6, dst6 := netip.MustParseAddrPort("[2001:db8::7]:50124"), netip.MustParseAddrPort("[::1]:443")
	headers := []struct {
		name   string
		header []byte
		peer   func(client net.Conn) netip.AddrPort
	}{
		{"v1 TCP4", []byte("PROXY TCP4 198.51.100.7 127.0.0.1 50123 443\r\n"), fixed(src4)},
		{"v1 TCP6", []byte("PROXY TCP6 2001:db8::7 ::1 50124 443\r\n"), fixed(src6)},
		{"v1 UNKNOWN", []byte("PROXY UNKNOWN ff::1 ff::2 1 2\r\n"), localAddrPort},
		{"v2 TCP4", v2TCP4(src4, dst4), fixed(src4)},
		{"v2 TCP6", v2TCP6(src6, dst6), fixed(src6)},
		{"v2 TCP4 with TLVs", withTLVs(v2TCP4(src4, dst4)), fixed(src4)},
		{"v2 LOCAL", v2Local(), localAddrPort},
		{"v2 PROXY AF_UNSPEC", v2Header(1, 0x00, nil), localAddrPort},
	}
	for _, h := range headers {
		for _, d := range deliveries {
			t.Run(h.name+", "+d.name, func(t *testing.T) {
				s, rec, w := proxyServer(t, eventTimeout)
				w.ready()
				client := dial(t, "127.0.0.1", s.Port())
				d.send(t, client, h.header, d.data)
				client.(*net.TCPConn).CloseWrite()

				conn, peer := w.recvConn()
				if want := h.peer(client); peer != want {
					t.Errorf("worker was told the peer is %v, want %v", peer, want)
				}
				conn.SetReadDeadline(time.Now().Add(eventTimeout))
				got, err := io.ReadAll(conn)
				if err != nil {
					t.Fatalf("worker reading the connection: %v", err)
				}
				if string(got) != d.data {
					t.Errorf("worker read %d bytes starting %.60q, want the %d bytes after the header starting %.60q",
						len(got), got, len(d.data), d.data)
				}
				exchange(t, conn, client, "reply")
				waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
				rec.AssertNone(t)
			})
		}
	}
}

// A header that cannot be valid is refused as soon as a byte says so, even when it
// arrives a byte at a time (the client's later bytes then meet a closed connection) and
// the client then waits, long before the deadline: the connection is closed, counted as
// rejected and reported (SOCKETSERVER PROXY address), and the worker gets nothing.
func TestProxyMalformedHeadersAreRejectedAtOnce(t *testing.T) {
	v2TCP4Header := v2TCP4(netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("127.0.0.1:2"))
	cases := []struct {
		name  string
		bytes []byte
	}{
		{"v1, bad keyword", []byte("PROXX")},
		{"v1, no CRLF within 107 bytes", []byte("PROXY TCP4 " + strings.Repeat("1", 120))},
		{"v1, bad port", []byte("PROXY TCP4 192.0.2.1 127.0.0.1 65536 80\r\n")},
		{"v2, version 1", append(append([]byte(v2Signature), 0x11, 0x11), v2TCP4Header[14:]...)},
		{"v2, unknown command", append([]byte(v2Signature), 0x2f)},
		{"v2, undefined family", append([]byte(v2Signature), 0x21, 0x99)},
		{"v2, UDP", append([]byte(v2Signature), 0x21, 0x12)},
		{"v2, length beyond 520", append([]byte(v2Signature), 0x21, 0x11, 0x02, 0x09)},
		{"v2, length short of the addresses", append([]byte(v2Signature), 0x21, 0x11, 0x00, 0x0b)},
		{"binary that is neither", []byte("\r\n\r\nXYZ")},
	}
	for _, tc := range cases {
		for _, pieces := range []string{"one write", "a byte at a time"} {
			t.Run(tc.name+", "+pieces, func(t *testing.T) {
				s, rec, w := proxyServer(t, time.Minute) // far beyond any wait here
				w.ready()
				client := dial(t, "127.0.0.1", s.Port())
				if pieces == "one write" {
					write(t, client, string(tc.bytes))
				} else {
					trickleUntilError(client, tc.bytes, time.Millisecond)
				}
				assertClosedByServer(t, client) // the client sends nothing more: no timeout involved
				waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1, Rejected: 1})
				assertProxyReport(t, rec)
				w.assertNothingYet()
			})
		}
	}
}

// assertProxyReport waits for the report of a rejected header from a loopback client.
func assertProxyReport(t *testing.T, rec *recorder) report {
	t.Helper()
	rep := rec.Next(t, eventTimeout)
	if want := []string{"SOCKETSERVER", "PROXY", "127.0.0.1"}; !slices.Equal(rep.Code, want) {
		t.Errorf("report %q has code %q, want %q", rep.Msg, rep.Code, want)
	}
	return rep
}

// A header still incomplete at its deadline is rejected at the deadline, although its bytes
// keep coming: arriving bytes do not extend it.
func TestProxyTricklingHeaderMissesItsDeadline(t *testing.T) {
	const timeout = 200 * time.Millisecond
	s, rec, w := proxyServer(t, timeout)
	w.ready()
	// The server's deadline runs from its accept, which can come before Dial returns here:
	// start the clock before dialing, so the deadline cannot seem to come early.
	start := time.Now()
	client := dial(t, "127.0.0.1", s.Port())
	stop := make(chan struct{})
	defer close(stop)
	go func() { // 20 ms a byte: the 40-byte header would take 800 ms
		for _, b := range []byte("PROXY TCP4 127.0.0.9 127.0.0.1 4321 80\r\n") {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := client.Write([]byte{b}); err != nil {
				return // the server closed it
			}
		}
	}()
	assertClosedByServer(t, client)
	if elapsed := time.Since(start); elapsed < timeout || elapsed > timeout+time.Second {
		t.Errorf("closed %v after connecting, want at the %v deadline", elapsed, timeout)
	}
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1, Rejected: 1})
	if rep := assertProxyReport(t, rec); !strings.Contains(rep.Msg, "no complete PROXY header within 200ms") {
		t.Errorf("report %q does not name the timeout", rep.Msg)
	}
	w.assertNothingYet()
}

// Connections slow to send their header hold up nobody: with one worker ready, three that
// have sent nothing, half a v1 header or half a v2 signature are waiting when a fourth
// sends its whole header; the fourth is handed over at once, and each slow one as soon as
// its header is done and a worker is ready.
func TestProxySlowHeadersDoNotBlockOthers(t *testing.T) {
	s, rec, w := proxyServer(t, eventTimeout)
	w.ready()
	v2 := v2TCP4(netip.MustParseAddrPort("127.0.0.12:1002"), netip.MustParseAddrPort("127.0.0.1:80"))
	slow := []struct {
		first, rest string
		peer        string
	}{
		{"", "PROXY TCP4 127.0.0.10 127.0.0.1 1000 80\r\n", "127.0.0.10:1000"},
		{"PROXY TCP4 127.0", ".0.11 127.0.0.1 1001 80\r\n", "127.0.0.11:1001"},
		{string(v2[:6]), string(v2[6:]), "127.0.0.12:1002"},
	}
	var conns []net.Conn
	for i, sc := range slow {
		c := dial(t, "127.0.0.1", s.Port())
		if sc.first != "" {
			write(t, c, sc.first)
		}
		conns = append(conns, c)
		waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: uint64(i + 1)})
	}

	fast := dial(t, "127.0.0.1", s.Port())
	write(t, fast, "PROXY TCP4 127.0.0.7 127.0.0.1 1000 80\r\nfast")
	conn, peer := w.recvConn()
	if peer != netip.MustParseAddrPort("127.0.0.7:1000") {
		t.Fatalf("worker got the connection from %v, want the complete header's 127.0.0.7:1000", peer)
	}
	expectRead(t, conn, "fast")
	waitCounts(t, s, counts{Workers: 1, Accepted: 4, Dispatched: 1})

	for i := len(slow) - 1; i >= 0; i-- {
		w.ready()
		write(t, conns[i], slow[i].rest+"slow")
		conn, peer := w.recvConn()
		if want := netip.MustParseAddrPort(slow[i].peer); peer != want {
			t.Errorf("slow connection %d: peer %v, want %v", i, peer, want)
		}
		expectRead(t, conn, "slow")
	}
	waitCounts(t, s, counts{Workers: 1, Accepted: 4, Dispatched: 4})
	rec.AssertNone(t)
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// While a header trickles in (or stalls half-sent) the dispatch loop sleeps between its
// bytes: over 300 ms the whole process uses a small fraction of the CPU a spinning loop
// would (300 ms). The regression test for a loop that peeked at an incomplete header
// without reading it, so that the level-triggered socket stayed readable.
func TestProxyPendingHeaderDoesNotSpin(t *testing.T) {
	const (
		window  = 300 * time.Millisecond
		maxCPU  = 100 * time.Millisecond
		header  = "PROXY TCP4 127.0.0.9 127.0.0.1 4321 80\r\n"
		holdOut = 2 // bytes kept back until the measurement ends
	)
	pending := header[:len(header)-holdOut]
	cases := []struct {
		name string
		// send sends some of pending during the window and returns how much.
		send func(t *testing.T, c net.Conn, stop <-chan struct{}) int
	}{
		{"trickling", func(t *testing.T, c net.Conn, stop <-chan struct{}) int {
			for i := range len(pending) {
				select {
				case <-stop:
					return i
				case <-time.After(10 * time.Millisecond):
				}
				if _, err := c.Write([]byte{pending[i]}); err != nil {
					t.Errorf("write: %v", err)
					return i
				}
			}
			return len(pending)
		}},
		{"stalled mid-header", func(t *testing.T, c net.Conn, _ <-chan struct{}) int {
			write(t, c, pending)
			return len(pending)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, rec, w := proxyServer(t, eventTimeout)
			w.ready()
			client := dial(t, "127.0.0.1", s.Port())
			waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1})

			stop, sent := make(chan struct{}), make(chan int, 1)
			before := cpuTime(t)
			go func() { sent <- tc.send(t, client, stop) }()
			<-time.After(window)
			used := cpuTime(t) - before
			close(stop)
			n := <-sent
			t.Logf("CPU used in %v with a pending header: %v", window, used)
			if used > maxCPU {
				t.Errorf("the process used %v of CPU in %v while a PROXY header was pending, want under %v: "+
					"the dispatch loop spins", used, window, maxCPU)
			}

			write(t, client, header[n:]+"data")
			conn, peer := w.recvConn()
			if peer != netip.MustParseAddrPort("127.0.0.9:4321") {
				t.Errorf("peer %v, want the header's 127.0.0.9:4321", peer)
			}
			expectRead(t, conn, "data")
			rec.AssertNone(t)
		})
	}
}
