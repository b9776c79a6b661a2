package server

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
)

// addWorker adds a worker the way a pool adds one it spawns: a pair made by the server,
// whose server end is handed to AddWorker. The test plays the spawned process.
func addWorker(t *testing.T, s *Server, hooks WorkerHooks) (*Worker, *testWorker) {
	t.Helper()
	serverEnd, workerEnd, err := forksafe.WorkerPair()
	if err != nil {
		t.Fatalf("WorkerPair: %v", err)
	}
	w, err := s.AddWorker(serverEnd, os.Getpid(), hooks)
	if err != nil {
		forksafe.Close(serverEnd)
		forksafe.Close(workerEnd)
		t.Fatalf("AddWorker: %v", err)
	}
	return w, newTestWorker(t, workerEnd, forksafe.Close)
}

// signal is a hook that records each call, for the test to wait on.
type signal chan struct{}

func newSignal() signal { return make(signal, 10) }

func (s signal) hook() { s <- struct{}{} }

func (s signal) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-s:
	case <-time.After(eventTimeout):
		t.Fatalf("%s: not called within %v", what, eventTimeout)
	}
}

// assertNotCalled checks the hook was not called again since the last wait.
func (s signal) assertNotCalled(t *testing.T, what string) {
	t.Helper()
	if len(s) > 0 {
		t.Errorf("%s called %d more times than expected", what, len(s))
	}
}

// After Close: AddWorker refuses (ESHUTDOWN), Listeners does not run its function, and Done
// is closed.
func TestClosedServerRefusesWork(t *testing.T) {
	s, _ := listen(t, loopback())
	select {
	case <-s.Done():
		t.Fatal("Done is closed while the server runs")
	default:
	}
	closeWithin(t, s)
	select {
	case <-s.Done():
	default:
		t.Fatal("Done is not closed after Close")
	}

	serverEnd, workerEnd, err := forksafe.WorkerPair()
	if err != nil {
		t.Fatalf("WorkerPair: %v", err)
	}
	defer forksafe.Close(serverEnd)
	defer forksafe.Close(workerEnd)
	if _, err := s.AddWorker(serverEnd, os.Getpid(), WorkerHooks{}); !errors.Is(err, unix.ESHUTDOWN) {
		t.Errorf("AddWorker after Close: %v, want ESHUTDOWN", err)
	}
	if s.Listeners(func([]int) { t.Error("Listeners ran its function after Close") }) {
		t.Error("Listeners returned true after Close")
	}
}

// Listeners lends the listening descriptors: listening TCP sockets on the server's port.
func TestListeners(t *testing.T) {
	s, _ := listen(t, loopback())
	var fds []int
	if !s.Listeners(func(l []int) { fds = append(fds, l...) }) {
		t.Fatal("Listeners returned false on an open server")
	}
	if len(fds) != 1 {
		t.Fatalf("%d listeners for -myaddr 127.0.0.1, want 1", len(fds))
	}
	if port := listeningPort(t, fds[0]); port != s.Port() {
		t.Errorf("descriptor %d listens on port %d, want %d", fds[0], port, s.Port())
	}
}
