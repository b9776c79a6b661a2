package server

import (
	"fmt"
	"net"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// listenerOn is a listening TCP socket made the way a supervisor makes one (socket, bind,
// listen: inheritable and blocking), on a free port of addr. A server that adopts it
// closes it; otherwise the caller does.
func listenerOn(t *testing.T, family int, sa unix.Sockaddr) (fd, port int) {
	t.Helper()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		t.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		unix.Close(fd)
		t.Fatalf("listen: %v", err)
	}
	return fd, listeningPort(t, fd)
}

// An adopted socket serves workers the pool adds: the server reports the socket's own
// port (whether or not the caller named it), and connections that were waiting in the
// socket's queue before the server took it over are handed over like later ones.
func TestAdoptedSocketServesAnAddedWorker(t *testing.T) {
	cases := []struct {
		name   string
		family int
		sa     unix.Sockaddr
		host   string
		ipv6   bool
		named  bool // the caller gives the port too
	}{
		{"IPv4", unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, "127.0.0.1", false, false},
		{"IPv4, port named", unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, "127.0.0.1", false, true},
		{"IPv6", unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}, "::1", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ipv6 {
				requireIPv6(t)
			}
			fd, port := listenerOn(t, tc.family, tc.sa)
			early := dial(t, tc.host, port) // completes in the socket's queue before adoption
			o := with(func(o *Options) { o.FD = &fd })
			if tc.named {
				o.Port = port
			}
			s, rec := listen(t, o)
			if s.Port() != port || s.Info().Port != port {
				t.Fatalf("Port() %d, Info().Port %d; want the adopted socket's port %d", s.Port(), s.Info().Port, port)
			}
			holdsFor(t, s, counts{}) // nobody is ready: the early connection stays queued

			worker, w := addWorker(t, s, WorkerHooks{})
			for i, client := range []net.Conn{early, nil} {
				w.ready()
				if client == nil {
					client = dial(t, tc.host, port)
				}
				conn, peer := w.recvConn()
				assertHandedOver(t, client, conn, peer)
				waitCounts(t, s, counts{Workers: 1, Accepted: uint64(i + 1), Dispatched: uint64(i + 1)})
			}
			if worker.Served() != 2 {
				t.Errorf("Served() = %d after 2 connections", worker.Served())
			}
			rec.AssertNone(t)
		})
	}
}

// A refused descriptor is not taken over in any way: once it is made a listening socket
// it can be adopted.
func TestAdoptAfterARefusal(t *testing.T) {
	fd := boundTCP(t)
	if s, err := Listen(with(func(o *Options) { o.FD = &fd }), newRecorder().Report); err == nil {
		s.Close()
		t.Fatal("a socket that is not listening was adopted")
	} else {
		assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", "-fd", strconv.Itoa(fd)},
			fmt.Sprintf("descriptor %d is not listening", fd))
	}
	must(t, unix.Listen(fd, 4))
	s, _ := listen(t, with(func(o *Options) { o.FD = &fd }))
	assertServes(t, s, "127.0.0.1")
}

// Info shows an adopted socket's backlog: its own (16 here) unless -backlog was given, in
// which case the socket gets that one.
func TestAdoptedSocketBacklog(t *testing.T) {
	cases := []struct {
		name    string
		given   bool
		backlog int
		want    int
	}{
		{"its own", false, DefaultBacklog, 16},
		{"-backlog 3", true, 3, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fd, _ := listenerOn(t, unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
			s, _ := listen(t, with(func(o *Options) { o.FD, o.Backlog, o.BacklogGiven = &fd, tc.backlog, tc.given }))
			if got := s.Info().Backlog; got != tc.want {
				t.Errorf("Info().Backlog = %d, want %d", got, tc.want)
			}
			// For a listening socket the kernel reports its backlog as TCP_INFO's tcpi_sacked.
			info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
			if err != nil {
				t.Fatalf("TCP_INFO: %v", err)
			}
			if int(info.Sacked) != tc.want {
				t.Errorf("the socket's backlog is %d, want %d", info.Sacked, tc.want)
			}
			assertServes(t, s, "127.0.0.1")
		})
	}
}
