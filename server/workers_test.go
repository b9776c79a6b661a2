package server

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// addWorker adds a worker the way a pool adds one it spawns: a pair and a lifeline made by
// the server, handed to AddWorker with its copy of the worker's end. The test plays the
// spawned process, with copies of the worker's end and of the lifeline's write end (what
// the process inherits; the server closes its copy of the write end after spawning).
func addWorker(t *testing.T, s *Server, hooks WorkerHooks) (*Worker, *testWorker) {
	t.Helper()
	reg, own, lifeline := spawnedRegistration(t)
	w, err := s.AddWorker(reg, os.Getpid(), hooks)
	if err != nil {
		unix.Close(own)
		unix.Close(lifeline)
		t.Fatalf("AddWorker: %v", err)
	}
	return w, newTestWorker(t, own, lifeline, unix.Close)
}

// spawnedRegistration makes what a pool makes for a worker it spawns: the registration for
// the server, and the descriptors the process gets (unregistered copies).
func spawnedRegistration(t *testing.T) (reg handover.Registration, own, lifeline int) {
	t.Helper()
	serverEnd, workerEnd, err := handover.WorkerPair()
	if err != nil {
		t.Fatalf("WorkerPair: %v", err)
	}
	readEnd, writeEnd, err := handover.Lifeline()
	if err != nil {
		t.Fatalf("Lifeline: %v", err)
	}
	own, err = unix.FcntlInt(uintptr(workerEnd), unix.F_DUPFD_CLOEXEC, 0)
	must(t, err)
	lifeline, err = unix.FcntlInt(uintptr(writeEnd), unix.F_DUPFD_CLOEXEC, 0)
	must(t, err)
	handover.Close(writeEnd)
	return handover.Registration{ServerEnd: serverEnd, WorkerEnd: workerEnd, Lifeline: readEnd}, own, lifeline
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

// After Close: AddWorker refuses (ESHUTDOWN) and closes what it was given, Listeners does not run its function, and Done
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

	reg, own, lifeline := spawnedRegistration(t)
	defer unix.Close(own)
	defer unix.Close(lifeline)
	if _, err := s.AddWorker(reg, os.Getpid(), WorkerHooks{}); !errors.Is(err, unix.ESHUTDOWN) {
		t.Errorf("AddWorker after Close: %v, want ESHUTDOWN", err)
	}
	// Refused, the registration is closed all the same (the server owns it once given):
	// the process's end of its pair reads end of file, its lifeline has no reader.
	if fd, _, ok, err := workertest.RecvConn(own); ok || err != nil {
		if ok {
			unix.Close(fd)
		}
		t.Errorf("the refused worker's pair: ok=%v err=%v, want end of file (ServerEnd and WorkerEnd closed)", ok, err)
	}
	if _, err := unix.Write(lifeline, []byte("x")); !errors.Is(err, unix.EPIPE) {
		t.Errorf("writing the refused worker's lifeline: %v, want EPIPE (Lifeline closed)", err)
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
