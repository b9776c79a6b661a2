package server

import (
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
)

// The whole path, with the counters at each step: register, READY, a client connects, the
// worker gets the connection with the client's address, and bytes flow both ways.
func TestEndToEnd(t *testing.T) {
	cases := []struct {
		name, myaddr, client string
		ipv6                 bool
	}{
		{name: "IPv4", myaddr: "127.0.0.1", client: "127.0.0.1"},
		{name: "IPv6", myaddr: "::1", client: "::1", ipv6: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ipv6 {
				requireIPv6(t)
			}
			o := loopback()
			o.MyAddr = tc.myaddr
			s, rec := listen(t, o)
			waitCounts(t, s, counts{})

			w := registerWorker(t, s)
			waitCounts(t, s, counts{Workers: 1})
			w.ready()
			waitCounts(t, s, counts{Workers: 1, Ready: 1})

			client := dial(t, tc.client, s.Port())
			conn, peer := w.recvConn()
			waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
			assertHandedOver(t, client, conn, peer)

			// A second request on the same registration.
			w.ready()
			client2 := dial(t, tc.client, s.Port())
			conn2, peer2 := w.recvConn()
			waitCounts(t, s, counts{Workers: 1, Accepted: 2, Dispatched: 2})
			assertHandedOver(t, client2, conn2, peer2)
			rec.AssertNone(t)
		})
	}
}

// Back pressure: with no worker ready and no -queue the server leaves a connection in the
// kernel's listen queue; one READY makes it accept and hand the connection over.
func TestNoAcceptUntilAWorkerIsReady(t *testing.T) {
	s, _ := listen(t, loopback())
	w := registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})

	client := dial(t, "127.0.0.1", s.Port()) // completes in the kernel's listen queue
	holdsFor(t, s, counts{Workers: 1})

	w.ready()
	conn, peer := w.recvConn()
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
	assertHandedOver(t, client, conn, peer)
}

// -queue 2: the server accepts two connections ahead of any worker, no more; once workers
// ask, the queued ones are handed over first, in the order they arrived.
func TestQueueAcceptsAheadOfReadyWorkers(t *testing.T) {
	o := loopback()
	o.Queue = 2
	s, _ := listen(t, o)
	w := registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})

	var clients []net.Conn
	for i := 1; i <= 2; i++ {
		clients = append(clients, dial(t, "127.0.0.1", s.Port()))
		waitCounts(t, s, counts{Workers: 1, Accepted: uint64(i), Queued: i})
	}
	clients = append(clients, dial(t, "127.0.0.1", s.Port()))
	holdsFor(t, s, counts{Workers: 1, Accepted: 2, Queued: 2})

	for _, client := range clients {
		w.ready()
		conn, peer := w.recvConn()
		assertHandedOver(t, client, conn, peer)
	}
	// After the third READY the queue has room again, but nobody is left to accept.
	waitCounts(t, s, counts{Workers: 1, Accepted: 3, Dispatched: 3})
}

// Ready slots are served oldest first, whichever worker they belong to.
func TestReadyWorkersAreServedInOrder(t *testing.T) {
	s, _ := listen(t, loopback())
	a, b := registerWorker(t, s), registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 2})

	order := []*testWorker{a, a, b}
	for i, w := range order {
		w.ready()
		waitCounts(t, s, counts{Workers: 2, Ready: i + 1})
	}
	for i, w := range order {
		client := dial(t, "127.0.0.1", s.Port())
		conn, peer := w.recvConn()
		assertHandedOver(t, client, conn, peer)
		for _, other := range []*testWorker{a, b} {
			if other != w {
				other.assertNothingYet()
			}
		}
		waitCounts(t, s, counts{Workers: 2, Ready: len(order) - i - 1, Accepted: uint64(i + 1), Dispatched: uint64(i + 1)})
	}
}

// How a worker can disappear after sending READY: it exits (its end closes, which the
// server sees), or it stops reading (the server only finds out when a hand-over fails).
var workerDeaths = []struct {
	name string
	kill func(w *testWorker)
}{
	{"closed its end", func(w *testWorker) { w.close() }},
	{"stopped reading", func(w *testWorker) {
		if err := unix.Shutdown(w.fd, unix.SHUT_RD); err != nil {
			w.t.Fatalf("shutdown: %v", err)
		}
	}},
}

// A connection meant for a worker that died goes to the next ready worker: nothing is lost.
func TestDeadWorkerIsSkipped(t *testing.T) {
	for _, death := range workerDeaths {
		t.Run(death.name, func(t *testing.T) {
			s, _ := listen(t, loopback())
			dead, alive := registerWorker(t, s), registerWorker(t, s)
			waitCounts(t, s, counts{Workers: 2})
			dead.ready()
			waitCounts(t, s, counts{Workers: 2, Ready: 1})
			alive.ready()
			waitCounts(t, s, counts{Workers: 2, Ready: 2})
			death.kill(dead)

			client := dial(t, "127.0.0.1", s.Port())
			conn, peer := alive.recvConn()
			assertHandedOver(t, client, conn, peer)
			waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
		})
	}
}

// When the only ready worker turns out to be dead, the connection waits at the head of the
// queue (even with -queue 0) for the next worker that asks.
func TestConnectionOutlivesTheOnlyReadyWorker(t *testing.T) {
	s, _ := listen(t, loopback())
	dead := registerWorker(t, s)
	dead.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	workerDeaths[1].kill(dead) // stopped reading: the server learns it at hand-over

	client := dial(t, "127.0.0.1", s.Port())
	waitCounts(t, s, counts{Accepted: 1, Queued: 1})

	next := registerWorker(t, s)
	next.ready()
	conn, peer := next.recvConn()
	assertHandedOver(t, client, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
}

// The server keeps its copy of a connection until the worker acknowledges it, so a worker
// that dies with the connection unread in its pair loses nothing: the kernel discards the
// dead worker's copy, and the server gives its own to the next ready worker.
func TestUnacknowledgedConnectionOutlivesItsWorker(t *testing.T) {
	s, _ := listen(t, loopback())
	dying := registerWorker(t, s)
	dying.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	client := dial(t, "127.0.0.1", s.Port())
	waitReadable(t, dying.fd) // the connection is in its pair, unread and unacknowledged
	waitCounts(t, s, counts{Workers: 1, Accepted: 1})

	next := registerWorker(t, s)
	next.ready()
	waitCounts(t, s, counts{Workers: 2, Ready: 1, Accepted: 1})
	dying.close()

	conn, peer := next.recvConn()
	assertHandedOver(t, client, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
}

// A worker that sends anything but READY or ACK is disconnected: it reads end-of-file.
func TestWorkerSendingGarbageIsDisconnected(t *testing.T) {
	s, rec := listen(t, loopback())
	w := registerWorker(t, s)
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	if _, err := unix.Write(w.fd, []byte("not a READY message")); err != nil {
		t.Fatalf("write: %v", err)
	}
	w.assertServerGone()
	waitCounts(t, s, counts{})
	rec.AssertNone(t)
}

// A registration that breaks the protocol is reported to the server's interpreter and
// ignored; the server keeps taking registrations.
func TestBadRegistrationIsReported(t *testing.T) {
	s, rec := listen(t, loopback())
	_, registration := forksafe.Lookup(s.Port())
	if _, err := unix.Write(registration, []byte("no descriptor here")); err != nil {
		t.Fatalf("write: %v", err)
	}
	rep := rec.Next(t, eventTimeout)
	if want := []string{"SOCKETSERVER", "PROTOCOL"}; len(rep.Code) < 2 || !slices.Equal(rep.Code[:2], want) {
		t.Errorf("report code %q, want it to start with %q (message %q)", rep.Code, want, rep.Msg)
	}
	registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})
}

// Every registered worker counts, and a worker's READYs add up.
func TestCountersFollowWorkers(t *testing.T) {
	s, _ := listen(t, loopback())
	workers := []*testWorker{registerWorker(t, s), registerWorker(t, s), registerWorker(t, s)}
	waitCounts(t, s, counts{Workers: 3})
	for range 4 {
		workers[0].ready()
	}
	workers[1].ready()
	waitCounts(t, s, counts{Workers: 3, Ready: 5})
	workers[0].close()
	waitCounts(t, s, counts{Workers: 2, Ready: 1})
}

// A worker with more requests outstanding than its pair can hold connections: once
// sendmsg says the pair is full, its requests stay READY (none is dropped), the connection
// that did not fit goes to another ready worker, and the rest follow as the first worker
// reads what it was sent.
func TestFullPairKeepsItsReadies(t *testing.T) {
	const requests = 600 // more than a pair holds (about 300 connections)
	s, rec := listen(t, loopback())
	a := registerWorker(t, s)
	for i := 0; i < requests; i++ {
		for forksafe.WorkerReady(a.fd) != nil {
			time.Sleep(time.Millisecond) // the server reads READYs as they come; only a burst fills the pair
		}
	}
	waitCounts(t, s, counts{Workers: 1, Ready: requests})
	for i := 0; i < requests; i++ {
		dial(t, "127.0.0.1", s.Port())
	}
	// The pair fills: the connection that did not fit waits at the head of the queue, and
	// the server accepts no more (-queue 0), but every request not answered stays READY.
	var info Info
	waitUntil(t, func() bool { info = s.Info(); return info.Queued == 1 },
		func() string { return fmt.Sprintf("counters %+v, want one connection queued", countsOf(info)) })
	holdsFor(t, s, countsOf(info))
	sent := int(info.Accepted) - 1
	if sent >= requests || info.Ready != requests-sent {
		t.Fatalf("with the pair full after %d connections: ready %d, want %d (every unanswered request)",
			sent, info.Ready, requests-sent)
	}

	b := registerWorker(t, s)
	b.ready()
	conn, _ := b.recvConn()
	conn.Close()

	for got := 0; got < requests-1; got++ {
		c, _ := a.recvConn()
		c.Close()
	}
	waitCounts(t, s, counts{Workers: 2, Ready: 1, Accepted: requests, Dispatched: requests})
	rec.AssertNone(t)
}

// -queue n with busy workers: each worker that has asked before is sent up to
// aheadPerWorker connections ahead of its next READYs, the rest wait in the server, and no
// more than n are accepted ahead in all; a READY from a worker that was sent one ahead is
// answered by it.
func TestQueueSendsAheadToBusyWorkers(t *testing.T) {
	o := loopback()
	o.Queue = 2*aheadPerWorker + 1
	s, rec := listen(t, o)
	a, b := registerWorker(t, s), registerWorker(t, s)
	a.ready()
	b.ready()
	waitCounts(t, s, counts{Workers: 2, Ready: 2})
	for _, w := range []*testWorker{a, b} {
		dial(t, "127.0.0.1", s.Port())
		w.recvConn()
	}
	for i := 0; i < o.Queue+2; i++ {
		dial(t, "127.0.0.1", s.Port())
	}
	// -queue accepted ahead: aheadPerWorker in each worker's pair, one in the server; 2
	// more wait in the kernel.
	want := counts{Workers: 2, Accepted: uint64(2 + o.Queue), Dispatched: 2, Queued: 1}
	waitCounts(t, s, want)
	holdsFor(t, s, want)
	conn, _ := a.recvConn() // a takes one that was sent ahead, and asks again
	conn.Close()
	a.ready()
	// That READY was answered already: no place in line; a gets the queued one ahead.
	want = counts{Workers: 2, Accepted: uint64(3 + o.Queue), Dispatched: 3, Queued: 1}
	waitCounts(t, s, want)
	holdsFor(t, s, want)
	for i := 0; i < aheadPerWorker; i++ {
		conn, _ = a.recvConn()
		conn.Close()
		b.recvConn()
	}
	rec.AssertNone(t)
}
