package server

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"
)

// waitDataServer is a -waitdata server on loopback with one registered worker.
func waitDataServer(t *testing.T, wait time.Duration) (*Server, *recorder, *testWorker) {
	t.Helper()
	o := loopback()
	o.WaitData = Millis(wait.Milliseconds())
	s, rec := listen(t, o)
	w := registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})
	return s, rec, w
}

// With -waitdata a connection reaches the worker only once it has sent something: its
// bytes are all there for the worker. One that closes without sending goes on too (the
// worker sees its end, as it would have).
func TestWaitDataHandsOverOnceBytesArrive(t *testing.T) {
	s, _, w := waitDataServer(t, time.Minute)
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	c := dial(t, "127.0.0.1", s.Port())
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1})
	holdsFor(t, s, counts{Workers: 1, Ready: 1, Accepted: 1})
	w.assertNothingYet()
	write(t, c, "first bytes")
	conn, peer := w.recvConn()
	expectRead(t, conn, "first bytes")
	assertHandedOver(t, c, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})

	w.ready()
	closing := dial(t, "127.0.0.1", s.Port())
	closing.(*net.TCPConn).CloseWrite()
	conn, _ = w.recvConn()
	assertClosedByServer(t, conn) // the worker reads the client's end of file
	waitCounts(t, s, counts{Workers: 1, Accepted: 2, Dispatched: 2})
}

// A connection that sends nothing within -waitdata is closed, counted as silent and
// reported; the worker stays ready for the next one.
func TestWaitDataClosesSilentConnections(t *testing.T) {
	s, rec, w := waitDataServer(t, 100*time.Millisecond)
	w.ready()
	silent := dial(t, "127.0.0.1", s.Port())
	assertClosedByServer(t, silent)
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1, Silent: 1})
	rep := rec.Next(t, eventTimeout)
	if want := []string{"SOCKETSERVER", "WAITDATA", "127.0.0.1"}; !slices.Equal(rep.Code, want) ||
		rep.Msg != "socketserver port "+strconv.Itoa(s.Port())+": closed a connection from 127.0.0.1: no data within 100ms" {
		t.Errorf("report %q code %q, want code %q", rep.Msg, rep.Code, want)
	}
	w.assertNothingYet()
	good := dial(t, "127.0.0.1", s.Port())
	write(t, good, "hello")
	conn, _ := w.recvConn()
	expectRead(t, conn, "hello")
}

// The attack -waitdata is for: many more silent connections than workers, connected before
// a real client. None takes the worker, and the real client is served at once, long before
// any deadline: the silent ones make room for it.
func TestWaitDataSilentCrowdDoesNotStarveRealClients(t *testing.T) {
	s, _, w := waitDataServer(t, time.Minute)
	w.ready()
	const crowd = 4 * maxHeld
	for range crowd {
		dial(t, "127.0.0.1", s.Port())
	}
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: crowd, Silent: crowd - maxHeld})
	real := dial(t, "127.0.0.1", s.Port())
	write(t, real, "request")
	conn, _ := w.recvConn()
	expectRead(t, conn, "request")
	// One more silent one goes if the server took the real one before its bytes arrived.
	var got counts
	waitUntil(t, func() bool {
		got = countsOf(s.Info())
		return got.Dispatched == 1 && (got.Silent == crowd-maxHeld || got.Silent == crowd-maxHeld+1)
	}, func() string { return fmt.Sprintf("counters %+v", got) })
}

// With -proxyprotocol and -waitdata, the header is read first, then the connection waits for
// its first byte of data.
func TestWaitDataAfterProxyHeader(t *testing.T) {
	o := loopback()
	o.ProxyProtocol, o.ProxyTimeout, o.WaitData = true, 60000, 60000 // a minute
	s, _ := listen(t, o)
	w := registerWorker(t, s)
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	c := dial(t, "127.0.0.1", s.Port())
	write(t, c, "PROXY TCP4 127.0.0.9 127.0.0.1 4321 80\r\n")
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1})
	holdsFor(t, s, counts{Workers: 1, Ready: 1, Accepted: 1})
	w.assertNothingYet()
	write(t, c, "data")
	conn, _ := w.recvConn()
	expectRead(t, conn, "data")
}

// No held connection makes room before it has been held makeRoomAfter, however many
// connect at once: a real client always gets that long to send its first bytes.
func TestHeldMakesRoomOnlyAfterItsGrace(t *testing.T) {
	s, _, w := waitDataServer(t, time.Minute)
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	start := time.Now()
	first := dial(t, "127.0.0.1", s.Port())
	for range maxHeld {
		dial(t, "127.0.0.1", s.Port())
	}
	assertClosedByServer(t, first)
	if held := time.Since(start); held < makeRoomAfter {
		t.Errorf("the oldest held connection was closed after %v, before its %v", held, makeRoomAfter)
	}
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: maxHeld + 1, Silent: 1})
}
