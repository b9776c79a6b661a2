package server

import (
	"fmt"
	"net"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
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

// -queue 2: the server accepts two connections ahead of any worker, no more; once a worker
// asks, the queued ones are handed over first, in the order they arrived: one answers its
// call, the next are sent ahead to it (busy now, it has asked before), and the queue's room
// takes the third.
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

	w.ready()
	waitCounts(t, s, counts{Workers: 1, Accepted: 3, Dispatched: 3})
	w.waitUnread(3)
	for _, client := range clients {
		conn, peer := w.recvConn()
		assertHandedOver(t, client, conn, peer)
	}
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

// How a worker can disappear after sending READY: it exits (its end and its lifeline close;
// the server sees the lifeline end), its lifeline alone closes (the same, to the server:
// the lifeline is how it learns of a death, its copy of the worker's end keeps the pair
// open), or it stops reading (the server only finds out when a hand-over fails).
var workerDeaths = []struct {
	name string
	kill func(w *testWorker)
}{
	{"exited", func(w *testWorker) { w.close() }},
	{"lifeline closed", func(w *testWorker) { w.closeLifeline() }},
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
	workerDeaths[2].kill(dead) // stopped reading: the server learns it at hand-over

	client := dial(t, "127.0.0.1", s.Port())
	waitCounts(t, s, counts{Accepted: 1, Queued: 1})

	next := registerWorker(t, s)
	next.ready()
	conn, peer := next.recvConn()
	assertHandedOver(t, client, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
}

// The server closes its copy of a connection as soon as it is sent (no ACK to wait for): once
// the worker closes the one it received, the client sees the connection end, though the
// server never heard from the worker again.
func TestServerClosesItsCopyOnceSent(t *testing.T) {
	s, rec := listen(t, loopback())
	w := registerWorker(t, s)
	w.ready()
	client := dial(t, "127.0.0.1", s.Port())
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
	conn, peer := w.recvConn()
	assertHandedOver(t, client, conn, peer)
	conn.Close()
	assertClosedByServer(t, client)
	rec.AssertNone(t)
}

// A connection sent to a worker that dies before reading it is not lost: when the worker's
// lifeline ends, the server takes it back from its copy of the worker's end and gives it to
// the next ready worker (counted as dispatched once). Nothing is left in the dead worker's
// pair.
func TestUnreadConnectionIsTakenBackFromADeadWorker(t *testing.T) {
	for _, death := range workerDeaths[:2] { // the ones the lifeline tells of
		t.Run(death.name, func(t *testing.T) {
			s, rec := listen(t, loopback())
			dying := registerWorker(t, s)
			dying.ready()
			waitCounts(t, s, counts{Workers: 1, Ready: 1})
			client := dial(t, "127.0.0.1", s.Port())
			dying.waitUnread(1) // in its pair, unread
			waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})

			next := registerWorker(t, s)
			next.ready()
			waitCounts(t, s, counts{Workers: 2, Ready: 1, Accepted: 1, Dispatched: 1})
			holdsFor(t, s, counts{Workers: 2, Ready: 1, Accepted: 1, Dispatched: 1})
			death.kill(dying)

			conn, peer := next.recvConn()
			assertHandedOver(t, client, conn, peer)
			waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
			if !dying.closed {
				dying.assertServerGone() // its pair is closed, and nothing was left in it
			}
			rec.AssertNone(t)
		})
	}
}

// A pool's worker (added with AddWorker) that dies with several connections unread: they
// are taken back and requeued first, in the order they were sent, ahead of one that was
// waiting in the server; the next worker gets all of them, in that order.
func TestTakenBackConnectionsGoFirstInOrder(t *testing.T) {
	o := loopback()
	o.Queue = 1 // a pool's worker is never sent one ahead: the third waits in the server
	s, rec := listen(t, o)
	dying, dw := addWorker(t, s, WorkerHooks{})
	dw.ready()
	dw.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 2})
	var clients []net.Conn
	for i := 1; i <= 2; i++ {
		clients = append(clients, dial(t, "127.0.0.1", s.Port()))
		dw.waitUnread(i)
	}
	clients = append(clients, dial(t, "127.0.0.1", s.Port()))
	waitCounts(t, s, counts{Workers: 1, Accepted: 3, Dispatched: 2, Queued: 1})
	waitServed(t, dying, 2)

	dw.close()
	waitCounts(t, s, counts{Accepted: 3, Queued: 3})
	if dying.Served() != 0 {
		t.Errorf("Served() of the dead worker = %d, want 0: it took none", dying.Served())
	}

	_, next := addWorker(t, s, WorkerHooks{})
	for range clients {
		next.ready()
	}
	waitCounts(t, s, counts{Workers: 1, Accepted: 3, Dispatched: 3})
	for _, client := range clients {
		conn, peer := next.recvConn()
		assertHandedOver(t, client, conn, peer)
	}
	rec.AssertNone(t)
}

// A READY says how many calls wait and how many connections the worker has taken; the
// server sends what the calls lack, no more. Waiting 2, Taken 0 gets exactly two (a third
// client waits in the kernel); the same READY again, its calls covered by the two unread,
// gets none; Waiting 3 with the two still unread gets one more; once all are taken, a READY
// with one call waiting is one place in line.
func TestReadyIsAnsweredWithWhatTheCallsLack(t *testing.T) {
	s, rec := listen(t, loopback())
	w := registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})
	var clients []net.Conn
	for range 3 {
		clients = append(clients, dial(t, "127.0.0.1", s.Port()))
	}

	w.tellState(handover.WorkerState{Waiting: 2, Taken: 0})
	want := counts{Workers: 1, Accepted: 2, Dispatched: 2}
	waitCounts(t, s, want)
	w.waitUnread(2)
	holdsFor(t, s, want)

	w.tellState(handover.WorkerState{Waiting: 2, Taken: 0}) // covered by the two unread
	holdsFor(t, s, want)
	if n := w.unread(); n != 2 {
		t.Fatalf("%d unread after a READY its unread connections cover, want 2", n)
	}

	w.tellState(handover.WorkerState{Waiting: 3, Taken: 0})
	want = counts{Workers: 1, Accepted: 3, Dispatched: 3}
	waitCounts(t, s, want)
	w.waitUnread(3)
	holdsFor(t, s, want)

	w.waiting = 3
	for _, client := range clients {
		conn, peer := w.recvConn()
		assertHandedOver(t, client, conn, peer)
	}
	w.ready() // Waiting 1, Taken 3
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 3, Dispatched: 3})
	client := dial(t, "127.0.0.1", s.Port())
	conn, peer := w.recvConn()
	assertHandedOver(t, client, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 4, Dispatched: 4})
	rec.AssertNone(t)
}

// A worker that sends anything but READY is disconnected: it reads end-of-file.
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
	_, registration := workertest.Lookup(s.Port())
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
	a.waiting = requests
	a.tell() // one READY says all of them
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
// handover.AheadMax connections ahead of its calls (there in its pair, counted as
// dispatched), the rest wait in the server, and no more than n are accepted ahead in all. A
// READY with no call waiting, sent after taking one that was sent ahead (as a worker does
// when few are left), gets it replaced.
func TestQueueSendsAheadToBusyWorkers(t *testing.T) {
	o := loopback()
	o.Queue = 2*handover.AheadMax + 1
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
	// -queue accepted ahead: AheadMax in each worker's pair, one in the server; 2 more wait
	// in the kernel.
	want := counts{Workers: 2, Accepted: uint64(2 + o.Queue), Dispatched: 2 + 2*handover.AheadMax, Queued: 1}
	waitCounts(t, s, want)
	a.waitUnread(handover.AheadMax)
	b.waitUnread(handover.AheadMax)
	holdsFor(t, s, want)

	conn, _ := a.recvConn() // a takes one that was sent ahead, and says so: no call waits
	conn.Close()
	a.tell()
	// a is sent the queued one ahead in its place, and the queue's room takes another.
	want = counts{Workers: 2, Accepted: uint64(3 + o.Queue), Dispatched: 3 + 2*handover.AheadMax, Queued: 1}
	waitCounts(t, s, want)
	a.waitUnread(handover.AheadMax)
	holdsFor(t, s, want)
	if n := b.unread(); n != handover.AheadMax {
		t.Errorf("b has %d unread, want %d: never more than AheadMax ahead", n, handover.AheadMax)
	}
	for i := 0; i < handover.AheadMax; i++ {
		conn, _ = a.recvConn()
		conn.Close()
		b.recvConn()
	}
	rec.AssertNone(t)
}

// A pool's worker (added with AddWorker) is never sent a connection ahead, even with -queue
// n once it has asked: the connections wait in the server for its next call.
func TestQueueSendsNothingAheadToAPoolsWorker(t *testing.T) {
	o := loopback()
	o.Queue = 2
	s, rec := listen(t, o)
	_, w := addWorker(t, s, WorkerHooks{})
	w.ready()
	first := dial(t, "127.0.0.1", s.Port())
	conn, peer := w.recvConn()
	assertHandedOver(t, first, conn, peer)
	second, third := dial(t, "127.0.0.1", s.Port()), dial(t, "127.0.0.1", s.Port())
	want := counts{Workers: 1, Accepted: 3, Dispatched: 1, Queued: 2}
	waitCounts(t, s, want)
	holdsFor(t, s, want)
	w.assertNothingYet()
	for _, client := range []net.Conn{second, third} {
		w.ready()
		conn, peer := w.recvConn()
		assertHandedOver(t, client, conn, peer)
	}
	waitCounts(t, s, counts{Workers: 1, Accepted: 3, Dispatched: 3})
	rec.AssertNone(t)
}
