package server

import (
	"fmt"
	"net"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// tcpListener is a listening socket made outside the server, as a supervisor would pass one.
func tcpListener(t *testing.T) (fd, port int) {
	t.Helper()
	fd = boundTCP(t)
	if err := unix.Listen(fd, 8); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return fd, listeningPort(t, fd)
}

// boundTCP is a TCP socket bound to 127.0.0.1 on a free port, not listening. The caller
// closes it, unless a server takes it over (and closes it on Close).
func boundTCP(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	return fd
}

// -fd: the server takes over a listening socket it was given: it serves on its port,
// makes it non-blocking and close-on-exec, and closes it on Close (the port is free).
func TestAdoptDescriptor(t *testing.T) {
	fd, port := tcpListener(t)
	s, _ := listen(t, with(func(o *Options) { o.FD = &fd }))
	if s.Port() != port {
		t.Fatalf("adopted socket serves port %d, want its own port %d", s.Port(), port)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Error("adopted socket is blocking: the dispatch loop would hang in accept")
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Error("adopted socket is not close-on-exec")
	}
	assertServes(t, s, "127.0.0.1")

	closeWithin(t, s)
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), eventTimeout); err == nil {
		c.Close()
		t.Fatal("the adopted socket still accepts connections after Close")
	}
}

// A descriptor that cannot be a server's listening socket is refused with a message that
// names it, and stays the caller's (open).
func TestAdoptRefusesUnsuitableDescriptors(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T) (fd int, port int) // port: the server's port argument
		why  string                                // "%d" is the descriptor
	}{
		{"a pipe", func(t *testing.T) (int, int) {
			var p [2]int
			must(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
			t.Cleanup(func() { unix.Close(p[1]) })
			return p[0], 0
		}, "descriptor %d is not a TCP socket"},
		{"a UDP socket", func(t *testing.T) (int, int) {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			must(t, err)
			return fd, 0
		}, "descriptor %d is not a TCP socket"},
		{"a Unix-domain stream socket", func(t *testing.T) (int, int) {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			must(t, err)
			return fd, 0
		}, "descriptor %d is not an IPv4 or IPv6 socket"},
		{"a TCP socket not listening", func(t *testing.T) (int, int) { return boundTCP(t), 0 },
			"descriptor %d is not listening"},
		{"a listener on another port", func(t *testing.T) (int, int) {
			fd, port := tcpListener(t)
			return fd, port + 1
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fd, port := tc.make(t)
			defer unix.Close(fd)
			o := DefaultOptions(port)
			o.FD = &fd
			s, err := Listen(o, newRecorder().Report)
			if s != nil {
				s.Close()
				t.Fatal("Listen adopted it")
			}
			want := fmt.Sprintf(tc.why, fd)
			if tc.why == "" {
				want = fmt.Sprintf("descriptor %d is bound to port %d, not %d", fd, port-1, port)
			}
			assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", "-fd", strconv.Itoa(fd)}, want)
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
				t.Errorf("the refused descriptor was closed: %v", err)
			}
		})
	}
}

// A socket one server has adopted cannot be adopted by another.
func TestAdoptTwiceIsRefused(t *testing.T) {
	fd, _ := tcpListener(t)
	listen(t, with(func(o *Options) { o.FD = &fd }))
	s, err := Listen(with(func(o *Options) { o.FD = &fd }), newRecorder().Report)
	if s != nil {
		s.Close()
		t.Fatal("a second server adopted the same socket")
	}
	assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", "-fd", strconv.Itoa(fd)},
		fmt.Sprintf("descriptor %d is already in use by a socketserver server", fd))
}

// -systemd outside a process systemd started (LISTEN_PID not ours, or no LISTEN_FDS) is
// an error, not an adoption of whatever descriptor 3 happens to be.
func TestSystemdWithoutSockets(t *testing.T) {
	cases := []struct {
		name           string
		pid, listenFDs int
	}{
		{"LISTEN_PID of another process", unix.Getpid() + 1, 1},
		{"LISTEN_FDS 0", unix.Getpid(), 0},
		{"nothing set", 0, 0},
		{"LISTEN_FDS beyond any descriptor number", unix.Getpid(), maxListenFDs + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := with(func(o *Options) { o.Systemd, o.ListenPID, o.ListenFDs = true, tc.pid, tc.listenFDs })
			s, err := Listen(o, newRecorder().Report)
			if s != nil {
				s.Close()
				t.Fatal("Listen succeeded")
			}
			assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", "-systemd", "1"}, "")
		})
	}
}
