package server

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// v2Signature starts every PROXY protocol version 2 header.
const v2Signature = "\r\n\r\n\x00\r\nQUIT\n"

// v2TCP4 is a version 2 PROXY header for an IPv4 TCP connection from src to dst.
func v2TCP4(src, dst netip.AddrPort) []byte {
	h := []byte(v2Signature)
	h = append(h, 0x21, 0x11) // version 2, PROXY; TCP over IPv4
	h = binary.BigEndian.AppendUint16(h, 12)
	s, d := src.Addr().As4(), dst.Addr().As4()
	h = append(append(h, s[:]...), d[:]...)
	h = binary.BigEndian.AppendUint16(h, src.Port())
	return binary.BigEndian.AppendUint16(h, dst.Port())
}

// v2Local is a version 2 LOCAL header: a health check from the proxy itself, no address.
func v2Local() []byte { return append([]byte(v2Signature), 0x20, 0x00, 0, 0) }

// proxyServer is a -proxyprotocol server on loopback with one registered worker.
func proxyServer(t *testing.T, timeout time.Duration) (*Server, *recorder, *testWorker) {
	t.Helper()
	o := loopback()
	o.ProxyProtocol, o.ProxyTimeout = true, Millis(timeout.Milliseconds())
	s, rec := listen(t, o)
	w := registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})
	return s, rec, w
}

// fixed is a peer expectation that does not depend on the client (the header's address).
func fixed(ap netip.AddrPort) func(net.Conn) netip.AddrPort {
	return func(net.Conn) netip.AddrPort { return ap }
}

// A connection that ends mid-header, or says nothing until its deadline, is closed and
// counted as rejected; the server's interpreter hears of it; the ready worker stays ready
// for the next, good, connection. (Malformed and trickling headers: proxy_stream_test.go.)
func TestProxyIncompleteHeaderIsRejected(t *testing.T) {
	const timeout = 100 * time.Millisecond
	cases := []struct {
		name string
		send func(t *testing.T, client net.Conn)
	}{
		{"end of file mid-header", func(t *testing.T, c net.Conn) {
			write(t, c, "PROXY TCP4 127.0")
			c.(*net.TCPConn).CloseWrite()
		}},
		{"nothing within the timeout", func(t *testing.T, c net.Conn) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, rec, w := proxyServer(t, timeout)
			w.ready()
			waitCounts(t, s, counts{Workers: 1, Ready: 1})

			bad := dial(t, "127.0.0.1", s.Port())
			tc.send(t, bad)
			assertClosedByServer(t, bad)
			waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1, Rejected: 1})
			rep := rec.Next(t, eventTimeout)
			if want := []string{"SOCKETSERVER", "PROXY", "127.0.0.1"}; !slices.Equal(rep.Code, want) {
				t.Errorf("report %q code %q, want code %q", rep.Msg, rep.Code, want)
			}
			w.assertNothingYet()

			good := dial(t, "127.0.0.1", s.Port())
			write(t, good, "PROXY TCP4 127.0.0.9 127.0.0.1 4321 80\r\n")
			conn, peer := w.recvConn()
			if peer != netip.MustParseAddrPort("127.0.0.9:4321") {
				t.Errorf("next connection's peer %v, want the header's 127.0.0.9:4321", peer)
			}
			exchange(t, good, conn, "after the rejected one")
			waitCounts(t, s, counts{Workers: 1, Accepted: 2, Dispatched: 1, Rejected: 1})
		})
	}
}

// Silent connections cannot take every descriptor: at most maxHeld are held for their
// header. One more makes the oldest give up its place (closed, rejected, reported), so a
// crowd of silent connections cannot keep a real one waiting in the kernel's queue.
func TestProxySilentHeadersAreBoundedOldestMakesRoom(t *testing.T) {
	s, rec, w := proxyServer(t, time.Minute) // no deadline passes during the test
	w.ready()
	var silent []net.Conn
	for i := range maxHeld {
		silent = append(silent, dial(t, "127.0.0.1", s.Port()))
		waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: uint64(i + 1)}) // accepted in order
	}
	holdsFor(t, s, counts{Workers: 1, Ready: 1, Accepted: maxHeld})

	dial(t, "127.0.0.1", s.Port()) // one more silent one: the oldest makes room
	assertClosedByServer(t, silent[0])
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: maxHeld + 1, Rejected: 1})

	real := dial(t, "127.0.0.1", s.Port())
	write(t, real, "PROXY TCP4 127.0.0.9 127.0.0.1 4321 80\r\n")
	conn, peer := w.recvConn()
	if peer != netip.MustParseAddrPort("127.0.0.9:4321") {
		t.Errorf("peer %v, want the header's 127.0.0.9:4321", peer)
	}
	exchange(t, real, conn, "past the silent ones")
	// One more silent one goes if the server took the real one before its header arrived.
	var got counts
	waitUntil(t, func() bool {
		got = countsOf(s.Info())
		return got.Accepted == maxHeld+2 && got.Dispatched == 1 && (got.Rejected == 1 || got.Rejected == 2)
	}, func() string { return fmt.Sprintf("counters %+v", got) })
	rep := rec.Next(t, eventTimeout)
	if want := []string{"SOCKETSERVER", "PROXY", "127.0.0.1"}; !slices.Equal(rep.Code, want) ||
		!strings.Contains(rep.Msg, fmt.Sprintf("no complete PROXY header yet, and %d connections were held already", maxHeld)) {
		t.Errorf("report %q code %q, want code %q and why", rep.Msg, rep.Code, want)
	}
}

// Reports of rejected headers are rate-limited like accept failures (one a second); every
// rejection is counted all the same.
func TestProxyRejectionReportsAreRateLimited(t *testing.T) {
	const n = 5
	s, rec, w := proxyServer(t, eventTimeout)
	for range n {
		w.ready() // each READY makes room for one connection awaiting its header
	}
	waitCounts(t, s, counts{Workers: 1, Ready: n})
	start := time.Now()
	for i := range n {
		c := dial(t, "127.0.0.1", s.Port())
		write(t, c, "not a header\r\n")
		assertClosedByServer(t, c)
		waitCounts(t, s, counts{Workers: 1, Ready: n, Accepted: uint64(i + 1), Rejected: uint64(i + 1)})
	}
	allowed := 1 + int(time.Since(start)/time.Second)
	reports := 0
	for len(rec.Reports) > 0 {
		<-rec.Reports
		reports++
	}
	if reports < 1 || reports > allowed {
		t.Errorf("%d reports of %d rejections within %v, want 1 to %d", reports, n, time.Since(start), allowed)
	}
}
