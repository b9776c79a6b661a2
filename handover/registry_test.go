package handover_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// What a Go test can see of the registry: handover.Adopt fails with EEXIST for a
// descriptor already registered, so it tells which descriptors a forked child would close.
// That the child does close them is tested from Tcl (tests/fork.test): a Go test cannot
// fork without exec.

func isRegistered(t *testing.T, fd int) bool {
	t.Helper()
	err := handover.Adopt(fd)
	switch {
	case errors.Is(err, unix.EEXIST):
		return true
	case err != nil:
		t.Fatalf("Adopt(%d): %v", fd, err)
	}
	return false // and now it is: the caller closes it with handover.Close
}

// Every descriptor the package creates for the server is close-on-exec (none leaks into a
// program the server or a worker execs) and registered (a forked worker closes it), except
// the ones meant for workers: the workers' end of a registration pair, and a worker's own
// end, lifeline and connections.
func TestDescriptorsAreCloseOnExecAndRegisteredAsDocumented(t *testing.T) {
	makers := []struct {
		name       string
		registered bool
		make       func(t *testing.T) int
	}{
		{"Socket", true, func(t *testing.T) int {
			fd, err := handover.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
			must(t, err)
			return fd
		}},
		{"Epoll", true, func(t *testing.T) int {
			fd, err := handover.Epoll()
			must(t, err)
			return fd
		}},
		{"Eventfd", true, func(t *testing.T) int {
			fd, err := handover.Eventfd()
			must(t, err)
			return fd
		}},
		{"RegistrationPair server end", true, func(t *testing.T) int {
			server, workers, err := handover.RegistrationPair()
			must(t, err)
			t.Cleanup(func() { handover.CloseUnregistered(workers) })
			return server
		}},
		{"RegistrationPair workers' end", false, func(t *testing.T) int {
			server, workers, err := handover.RegistrationPair()
			must(t, err)
			t.Cleanup(func() { handover.Close(server) })
			return workers
		}},
		{"WorkerPair server end", true, func(t *testing.T) int {
			server, worker, err := handover.WorkerPair()
			must(t, err)
			t.Cleanup(func() { handover.Close(worker) })
			return server
		}},
		// A spawned worker gets its end by exec, not fork: until then it is the server's.
		{"WorkerPair worker end", true, func(t *testing.T) int {
			server, worker, err := handover.WorkerPair()
			must(t, err)
			t.Cleanup(func() { handover.Close(server) })
			return worker
		}},
		{"Accept", true, acceptOne},
		// The three descriptors of a registration are the server's.
		{"RecvRegistration server end", true, func(t *testing.T) int {
			r := registeredWorker(t)
			fd := r.reg.ServerEnd
			r.reg.ServerEnd = -1 // closed by the subtest
			return fd
		}},
		{"RecvRegistration copy of the worker's end", true, func(t *testing.T) int {
			r := registeredWorker(t)
			fd := r.reg.WorkerEnd
			r.reg.WorkerEnd = -1
			return fd
		}},
		{"RecvRegistration lifeline", true, func(t *testing.T) int {
			r := registeredWorker(t)
			fd := r.reg.Lifeline
			r.reg.Lifeline = -1
			return fd
		}},
		// What WorkerRegister keeps is the worker's.
		{"WorkerRegister own end", false, func(t *testing.T) int {
			r := registeredWorker(t)
			fd := r.own
			r.own = -1
			return fd
		}},
		{"WorkerRegister lifeline", false, func(t *testing.T) int {
			r := registeredWorker(t)
			fd := r.lifeline
			r.lifeline = -1
			return fd
		}},
		// A spawned worker's lifeline is the server's until its write end is handed over.
		{"Lifeline read end", true, func(t *testing.T) int {
			r, w, err := handover.Lifeline()
			must(t, err)
			t.Cleanup(func() { handover.Close(w) })
			return r
		}},
		{"Lifeline write end", true, func(t *testing.T) int {
			r, w, err := handover.Lifeline()
			must(t, err)
			t.Cleanup(func() { handover.Close(r) })
			return w
		}},
		{"RecvConn", false, func(t *testing.T) int {
			r := registeredWorker(t)
			_, w := pipe(t)
			must(t, handover.PassConn(r.reg.ServerEnd, w, netip.MustParseAddrPort("127.0.0.1:1"), false))
			conn, _, _, err := workertest.RecvConn(r.own)
			must(t, err)
			return conn
		}},
		{"TakeBack", true, func(t *testing.T) int {
			r := registeredWorker(t)
			_, w := pipe(t)
			must(t, handover.PassConn(r.reg.ServerEnd, w, netip.MustParseAddrPort("127.0.0.1:1"), false))
			conn, _, ok, _ := handover.TakeBack(r.reg.WorkerEnd)
			if !ok {
				t.Fatal("TakeBack: nothing taken back")
			}
			return conn
		}},
	}
	for _, m := range makers {
		t.Run(m.name, func(t *testing.T) {
			fd := m.make(t)
			defer handover.Close(fd) // registered by now, one way or the other
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil {
				t.Fatalf("F_GETFD: %v", err)
			}
			if flags&unix.FD_CLOEXEC == 0 {
				t.Errorf("descriptor %d has no FD_CLOEXEC", fd)
			}
			if got := isRegistered(t, fd); got != m.registered {
				t.Errorf("descriptor %d registered: %v, want %v", fd, got, m.registered)
			}
		})
	}
}

// Adopt registers a descriptor once; Close unregisters it, so the number is free for a
// descriptor the server does not own.
func TestAdoptOnceThenCloseUnregisters(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	must(t, handover.Adopt(fd))
	if err := handover.Adopt(fd); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("adopting twice: %v, want EEXIST", err)
	}
	must(t, handover.Close(fd))

	again, err := unix.Dup(0) // the lowest free number, fd's unless something else took it
	must(t, err)
	defer handover.Close(again)
	if again != fd {
		t.Skipf("descriptor number %d was not reused (got %d)", fd, again)
	}
	if isRegistered(t, again) {
		t.Fatalf("descriptor %d (reused number %d) is registered: Close left it marked", again, fd)
	}
}

// The Go runtime's own descriptors (its CPU-quota cgroup files; its poller, when the call
// opens it) are registered, so a forked worker does not keep them.
func TestAdoptRuntimeDescriptors(t *testing.T) {
	handover.AdoptRuntimeDescriptors()
	entries, err := os.ReadDir("/proc/self/fd")
	must(t, err)
	poller, cgroupFiles := false, 0
	for _, e := range entries {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		poller = poller || target == "anon_inode:[eventpoll]"
		if !strings.HasPrefix(target, "/sys/fs/cgroup/") {
			continue
		}
		cgroupFiles++
		fd, err := strconv.Atoi(e.Name())
		must(t, err)
		if !isRegistered(t, fd) {
			t.Errorf("runtime descriptor %d (%s) is not registered", fd, target)
		}
	}
	if !poller {
		t.Error("no epoll instance open after AdoptRuntimeDescriptors: the runtime's poller was not started")
	}
	if cgroupFiles == 0 {
		t.Skip("the runtime holds no cgroup files on this host: nothing more to check")
	}
}

// The dispatcher's wake-up eventfd must never block the goroutine that writes it.
func TestEventfdIsNonBlocking(t *testing.T) {
	fd, err := handover.Eventfd()
	must(t, err)
	defer handover.Close(fd)
	var buf [8]byte
	if _, err := unix.Read(fd, buf[:]); err != unix.EAGAIN {
		t.Fatalf("reading an empty eventfd: %v, want EAGAIN", err)
	}
}

// Close reports a failure (here: a descriptor that is not open) instead of hiding it.
func TestCloseReportsErrors(t *testing.T) {
	fd, err := handover.Eventfd()
	must(t, err)
	must(t, handover.Close(fd))
	if err := handover.Close(fd); err != unix.EBADF {
		t.Fatalf("closing twice: %v, want EBADF", err)
	}
}

// acceptOne returns a connection accepted with handover.Accept on a loopback listener.
func acceptOne(t *testing.T) int {
	listener, err := handover.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	must(t, err)
	defer handover.Close(listener)
	must(t, unix.Bind(listener, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	must(t, unix.Listen(listener, 1))
	client, err := net.DialTimeout("tcp", "127.0.0.1:"+localPort(t, listener), 5*time.Second)
	must(t, err)
	t.Cleanup(func() { client.Close() })
	waitReadable(t, listener)
	fd, _, err := handover.Accept(listener)
	must(t, err)
	return fd
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
