package handover_test

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

func TestFormatIP(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"127.0.0.1", "127.0.0.1"},
		{"::ffff:127.0.0.1", "127.0.0.1"}, // an IPv4 client of a dual-stack listener
		{"::ffff:7f00:2", "127.0.0.2"},
		{"::1", "::1"},
		{"::", "::"},
		{"2001:DB8:0:0:0:0:0:A", "2001:db8::a"},
		{"2001:db8:0:1:0:0:1:0", "2001:db8:0:1::1:0"},
		{"fe80::1%lo", "fe80::1%lo"},
		{"fe80:0::0:1%eth0", "fe80::1%eth0"},
	}
	for _, tc := range cases {
		if got := handover.FormatIP(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("FormatIP(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// Accept decodes the kernel's sockaddr into the client's address and port, for an IPv4
// listener, an IPv6 one, and a dual-stack one reached over IPv4 (an IPv4-mapped address).
func TestAcceptReportsThePeerAddress(t *testing.T) {
	cases := []struct {
		name      string
		family    int
		bind      unix.Sockaddr
		v6only    int
		dial      string
		wantAddr4 bool // the peer as Accept returns it is a plain IPv4 address
	}{
		{"IPv4 listener", unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, -1, "127.0.0.1", true},
		{"IPv6 listener", unix.AF_INET6, &unix.SockaddrInet6{Addr: netip.IPv6Loopback().As16()}, 1, "::1", false},
		{"dual-stack listener, IPv4 client", unix.AF_INET6, &unix.SockaddrInet6{}, 0, "127.0.0.1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			listener, err := handover.Socket(tc.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
			if err != nil {
				t.Skipf("no socket of family %d: %v", tc.family, err)
			}
			defer handover.Close(listener)
			if tc.v6only >= 0 {
				if err := unix.SetsockoptInt(listener, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, tc.v6only); err != nil {
					t.Fatalf("IPV6_V6ONLY: %v", err)
				}
			}
			if err := unix.Bind(listener, tc.bind); err != nil {
				t.Skipf("bind: %v", err)
			}
			if err := unix.Listen(listener, 4); err != nil {
				t.Fatalf("listen: %v", err)
			}
			port := localPort(t, listener)

			client, err := net.DialTimeout("tcp", net.JoinHostPort(tc.dial, port), 5*time.Second)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer client.Close()
			waitReadable(t, listener)
			conn, peer, err := handover.Accept(listener)
			if err != nil {
				t.Fatalf("Accept: %v", err)
			}
			handover.Close(conn)

			want := client.LocalAddr().(*net.TCPAddr).AddrPort()
			if peer.Addr().Is4() != tc.wantAddr4 || peer.Addr().Unmap() != want.Addr().Unmap() || peer.Port() != want.Port() {
				t.Errorf("peer %v, want %v (IPv4 form: %v)", peer, want, tc.wantAddr4)
			}
			if got := handover.FormatIP(peer.Addr()); got != want.Addr().Unmap().String() {
				t.Errorf("FormatIP(peer) = %q, want %q", got, want.Addr().Unmap())
			}
		})
	}
}

func localPort(t *testing.T, fd int) string {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return strconv.Itoa(sa.Port)
	case *unix.SockaddrInet6:
		return strconv.Itoa(sa.Port)
	}
	t.Fatalf("getsockname: unexpected %T", sa)
	return ""
}

// waitReadable waits, at most five seconds, for fd to become readable.
func waitReadable(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := unix.Poll(fds, int(time.Until(deadline)/time.Millisecond)+1)
		if n > 0 {
			return
		}
		if err != nil && err != unix.EINTR {
			t.Fatalf("poll: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("descriptor %d not readable after 5s", fd)
		}
	}
}
