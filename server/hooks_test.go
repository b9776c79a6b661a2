package server

import (
	"fmt"
	"testing"
)

// serveOne makes w ready, connects a client and checks the worker gets it.
func serveOne(t *testing.T, s *Server, w *testWorker) {
	t.Helper()
	w.ready()
	client := dial(t, "127.0.0.1", s.Port())
	conn, peer := w.recvConn()
	assertHandedOver(t, client, conn, peer)
}

// waitServed waits for Served() to reach n (the count follows the hand-over the worker sees).
func waitServed(t *testing.T, worker *Worker, n uint64) {
	t.Helper()
	waitUntil(t, func() bool { return worker.Served() == n },
		func() string { return fmt.Sprintf("Served() = %d, want %d", worker.Served(), n) })
}

// OnFirstReady is called for the first READY only, however many follow; without
// MaxConnections a worker is never retired; Served counts each worker's own connections.
func TestOnFirstReadyOnceAndServedPerWorker(t *testing.T) {
	s, _ := listen(t, loopback())
	firstA, firstB, limit := newSignal(), newSignal(), newSignal()
	a, wa := addWorker(t, s, WorkerHooks{OnFirstReady: firstA.hook, OnLimit: limit.hook})
	b, wb := addWorker(t, s, WorkerHooks{OnFirstReady: firstB.hook, OnLimit: limit.hook})
	waitCounts(t, s, counts{Workers: 2})

	for i, w := range []*testWorker{wa, wa, wb, wa, wa} {
		serveOne(t, s, w)
		waitCounts(t, s, counts{Workers: 2, Accepted: uint64(i + 1), Dispatched: uint64(i + 1)})
	}
	waitServed(t, a, 4)
	waitServed(t, b, 1)
	firstA.wait(t, "OnFirstReady of a")
	firstB.wait(t, "OnFirstReady of b")
	firstA.assertNotCalled(t, "OnFirstReady of a")
	firstB.assertNotCalled(t, "OnFirstReady of b")
	limit.assertNotCalled(t, "OnLimit without MaxConnections")
}

// Retire is the pool's choice, not the limit: no hook is called, the worker reads
// end-of-file, and Served keeps its count.
func TestRetireCallsNoHooks(t *testing.T) {
	s, _ := listen(t, loopback())
	first, limit := newSignal(), newSignal()
	worker, w := addWorker(t, s, WorkerHooks{MaxConnections: 2, OnFirstReady: first.hook, OnLimit: limit.hook})
	serveOne(t, s, w)
	waitServed(t, worker, 1)
	first.wait(t, "OnFirstReady")
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1, Dispatched: 1})

	s.Retire(worker)
	w.assertServerGone()
	waitCounts(t, s, counts{Accepted: 1, Dispatched: 1})
	holdsFor(t, s, counts{Accepted: 1, Dispatched: 1})
	if worker.Served() != 1 {
		t.Errorf("Served() = %d after Retire, want 1", worker.Served())
	}
	first.assertNotCalled(t, "OnFirstReady")
	limit.assertNotCalled(t, "OnLimit after Retire")
}

// A worker retired at its limit loses the READYs it sent beyond it: the next connection
// goes to another worker, never to the closed pair, and the limit is announced once.
func TestLimitDropsTheWorkersOtherReadySlots(t *testing.T) {
	s, _ := listen(t, loopback())
	limit := newSignal()
	limited, wl := addWorker(t, s, WorkerHooks{MaxConnections: 1, OnLimit: limit.hook})
	for range 3 {
		wl.ready()
	}
	waitCounts(t, s, counts{Workers: 1, Ready: 3})
	other := registerWorker(t, s)
	other.ready()
	waitCounts(t, s, counts{Workers: 2, Ready: 4})

	first := dial(t, "127.0.0.1", s.Port())
	conn, peer := wl.recvConn()
	assertHandedOver(t, first, conn, peer)
	limit.wait(t, "OnLimit")
	wl.assertServerGone()
	waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: 1, Dispatched: 1})

	second := dial(t, "127.0.0.1", s.Port())
	conn, peer = other.recvConn()
	assertHandedOver(t, second, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 2, Dispatched: 2})
	if limited.Served() != 1 {
		t.Errorf("the limited worker's Served() = %d, want 1", limited.Served())
	}
	limit.assertNotCalled(t, "OnLimit")
}

// A worker that exits (its end closes) before its limit is simply gone: no hook.
func TestWorkerExitCallsNoHooks(t *testing.T) {
	s, _ := listen(t, loopback())
	first, limit := newSignal(), newSignal()
	_, w := addWorker(t, s, WorkerHooks{MaxConnections: 5, OnFirstReady: first.hook, OnLimit: limit.hook})
	w.ready()
	first.wait(t, "OnFirstReady")
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	w.close()
	waitCounts(t, s, counts{})
	first.assertNotCalled(t, "OnFirstReady")
	limit.assertNotCalled(t, "OnLimit after the worker exited")
}
