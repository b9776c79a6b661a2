package server

import (
	"net"
	"testing"

	"socketserver/internal/workertest"
)

// Close: workers read end-of-file, a connection accepted ahead of them is closed, the port
// is free and withdrawn from the table, the live counters are zero, and Close again is a
// no-op.
func TestClose(t *testing.T) {
	o := loopback()
	o.Queue = aheadPerWorker + 1
	s, rec := listen(t, o)
	idle, ready := registerWorker(t, s), registerWorker(t, s)
	ready.ready()
	waitCounts(t, s, counts{Workers: 2, Ready: 1})
	served := dial(t, "127.0.0.1", s.Port())
	conn, peer := ready.recvConn()
	// The first connections accepted ahead are sent ahead to the busy worker (which has
	// asked before), and count as dispatched once sent; the next one waits in the server.
	var sentAhead []net.Conn
	for i := 0; i < aheadPerWorker; i++ {
		sentAhead = append(sentAhead, dial(t, "127.0.0.1", s.Port()))
		waitCounts(t, s, counts{Workers: 2, Accepted: uint64(i + 2), Dispatched: uint64(i + 2)})
	}
	queued := dial(t, "127.0.0.1", s.Port())
	waitCounts(t, s, counts{Workers: 2, Accepted: aheadPerWorker + 2, Dispatched: aheadPerWorker + 1, Queued: 1})
	ready.waitUnread(aheadPerWorker)
	port := s.Port()

	closeWithin(t, s)

	idle.assertServerGone()
	assertClosedByServer(t, queued)
	// Connections already handed over belong to the worker and outlive the server.
	assertHandedOver(t, served, conn, peer)
	for _, client := range sentAhead {
		aheadConn, aheadPeer := ready.recvConn()
		assertHandedOver(t, client, aheadConn, aheadPeer)
	}
	ready.assertServerGone()

	if info := s.Info(); info.Workers != 0 || info.Ready != 0 || info.Queued != 0 {
		t.Errorf("Info after Close: %+v, want no workers, ready slots or queued connections", info)
	}
	if found, _ := workertest.Lookup(port); found != 0 {
		t.Errorf("port %d is still published after Close", port)
	}
	o.Port = port
	again, _ := listen(t, o)
	if again.Port() != port {
		t.Errorf("reopened on port %d, want %d", again.Port(), port)
	}
	closeWithin(t, s)
	rec.AssertNone(t)
}

// Close does not wait for a worker or a client to do anything.
func TestCloseWithNothingConnected(t *testing.T) {
	s, _ := listen(t, loopback())
	closeWithin(t, s)
	if found, _ := workertest.Lookup(s.Port()); found != 0 {
		t.Errorf("port %d is still published after Close", s.Port())
	}
}
