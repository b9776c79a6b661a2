package server

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// A port another server holds: *SocketError EADDRINUSE, worded as Tcl's own socket -server
// words it, and nothing left open by the attempt.
func TestListenPortInUse(t *testing.T) {
	first, _ := listen(t, loopback())
	o := loopback()
	o.Port = first.Port()

	before := openFDCount(t)
	s, err := Listen(o, newRecorder().Report)
	if s != nil {
		s.Close()
		t.Fatalf("a second Listen on port %d succeeded", o.Port)
	}
	var se *SocketError
	if !errors.As(err, &se) || se.Errno != unix.EADDRINUSE {
		t.Fatalf("error %v (%T), want *SocketError EADDRINUSE", err, err)
	}
	if want := "couldn't open socket: address already in use"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if after := openFDCount(t); after != before {
		t.Errorf("open descriptors: %d before, %d after the failed Listen", before, after)
	}
	if port, _ := workertest.Lookup(o.Port); port != o.Port {
		t.Errorf("the failed Listen withdrew the first server's port from the table")
	}
}

func TestListenUnresolvableHost(t *testing.T) {
	const host = "no.such.host.invalid"
	o := loopback()
	o.MyAddr = host
	s, err := Listen(o, newRecorder().Report)
	if s != nil {
		s.Close()
		t.Fatalf("Listen on -myaddr %s succeeded", host)
	}
	assertTclError(t, err, []string{"SOCKETSERVER", "RESOLVE", host}, "")
	if prefix := `couldn't open socket: cannot resolve "` + host + `": `; !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("message %q, want it to start with %q", err.Error(), prefix)
	}
}

// One round trip through the server: a worker registers and asks, a client on host
// connects, and the worker gets that client's connection.
func assertServes(t *testing.T, s *Server, host string) {
	t.Helper()
	w := registerWorker(t, s)
	w.ready()
	client := dial(t, host, s.Port())
	conn, peer := w.recvConn()
	assertHandedOver(t, client, conn, peer)
}

// -myaddr with a name listens on every address the name resolves to, all on one port.
func TestListenOnHostName(t *testing.T) {
	const host = "localhost"
	resolved, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil || len(resolved) == 0 {
		t.Skipf("%s does not resolve here: %v", host, err)
	}
	o := loopback()
	o.MyAddr = host
	s, _ := listen(t, o)
	for _, addr := range resolved {
		assertServes(t, s, addr.Unmap().String())
	}
}

// Without -myaddr the server listens as Tcl's own socket -server does: one socket per
// address getaddrinfo gives for the passive address, all on one port, the IPv6 one IPv6
// only. Each client reaches a listener of its own family, so the worker's socket has the
// client's address as it is (127.0.0.1, not ::ffff:127.0.0.1), and so is its own address.
func TestListenDefaultOneListenerPerFamily(t *testing.T) {
	s, _ := listen(t, DefaultOptions(0))
	passive, err := handover.PassiveAddrs()
	if err != nil {
		t.Fatalf("PassiveAddrs: %v", err)
	}
	var families []int
	s.Listeners(func(fds []int) {
		for _, fd := range fds {
			if port := listeningPort(t, fd); port != s.Port() {
				t.Errorf("descriptor %d listens on port %d, want %d", fd, port, s.Port())
			}
			family, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
			families = append(families, family)
			if family == unix.AF_INET6 {
				if only, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); err != nil || only != 1 {
					t.Errorf("the IPv6 listener has IPV6_V6ONLY %d (%v), want 1", only, err)
				}
			}
		}
	})
	var want []int
	for _, addr := range passive {
		if addr.Is4() {
			want = append(want, unix.AF_INET)
		} else if haveIPv6() {
			want = append(want, unix.AF_INET6)
		}
	}
	if !slices.Equal(families, want) {
		t.Fatalf("listener families %v, want %v (one per passive address %v)", families, want, passive)
	}

	hosts := []string{"127.0.0.1"}
	if haveIPv6() {
		hosts = append(hosts, "::1")
	}
	for _, host := range hosts {
		w := registerWorker(t, s)
		w.ready()
		client := dial(t, host, s.Port())
		conn, peer := w.recvConn()
		assertHandedOver(t, client, conn, peer)
		clientAddr := client.LocalAddr().(*net.TCPAddr).AddrPort()
		if got := conn.RemoteAddr().(*net.TCPAddr).AddrPort(); got != clientAddr || got.Addr().Is4In6() {
			t.Errorf("%s client: the worker's socket has peer %v, want %v", host, got, clientAddr)
		}
		if got := conn.LocalAddr().(*net.TCPAddr).AddrPort(); got.Addr() != netip.MustParseAddr(host) {
			t.Errorf("%s client: the worker's socket has local address %v, want %s", host, got, host)
		}
	}
}

// Back pressure holds across a port's listeners: clients of both families wait in their
// listen queues while no worker is ready, and each READY takes exactly one of them.
func TestListenDefaultBackPressureAcrossListeners(t *testing.T) {
	requireIPv6(t)
	s, _ := listen(t, DefaultOptions(0))
	w := registerWorker(t, s)
	waitCounts(t, s, counts{Workers: 1})
	clients := map[netip.AddrPort]net.Conn{}
	for _, host := range []string{"127.0.0.1", "::1"} {
		c := dial(t, host, s.Port())
		clients[c.LocalAddr().(*net.TCPAddr).AddrPort()] = c
	}
	holdsFor(t, s, counts{Workers: 1})

	for i := 1; i <= 2; i++ {
		w.ready()
		conn, peer := w.recvConn()
		client := clients[peer]
		if client == nil {
			t.Fatalf("handed over a connection from %v, not one of the clients %v", peer, clients)
		}
		delete(clients, peer)
		assertHandedOver(t, client, conn, peer)
		waitCounts(t, s, counts{Workers: 1, Accepted: uint64(i), Dispatched: uint64(i)})
	}
}

// With ReusePort several servers share a port; a server without it cannot join them.
func TestReusePortSharesThePort(t *testing.T) {
	o := loopback()
	o.ReusePort = true
	first, _ := listen(t, o)
	o.Port = first.Port()
	second, _ := listen(t, o)
	if second.Port() != first.Port() {
		t.Fatalf("second server on port %d, want %d", second.Port(), first.Port())
	}

	o.ReusePort = false
	if s, err := Listen(o, newRecorder().Report); err == nil {
		s.Close()
		t.Fatal("a server without ReusePort joined the shared port")
	}
}

// Two servers of this process share a port; the one opened last closes. Workers looking
// the port up must find the one still open, not the closed one's registration pair.
func TestReusePortClosingOneLeavesTheOtherFindable(t *testing.T) {
	o := loopback()
	o.ReusePort = true
	first, _ := listen(t, o)
	o.Port = first.Port()
	second, _ := listen(t, o)
	closeWithin(t, second)

	port, registration := workertest.Lookup(first.Port())
	if port != first.Port() || registration != first.registrationForWorkers {
		t.Fatalf("Lookup(%d) = port %d, registration fd %d; want the open server's fd %d",
			first.Port(), port, registration, first.registrationForWorkers)
	}
	registerWorker(t, first)
	waitCounts(t, first, counts{Workers: 1})
}

// Closing one server withdraws its port only: other servers stay findable.
func TestCloseWithdrawsOnlyItsOwnPort(t *testing.T) {
	a, _ := listen(t, loopback())
	b, _ := listen(t, loopback())
	closeWithin(t, a)
	if port, _ := workertest.Lookup(a.Port()); port != 0 {
		t.Errorf("closed server's port %d is still in the table", a.Port())
	}
	if port, _ := workertest.Lookup(b.Port()); port != b.Port() {
		t.Errorf("open server's port %d is no longer in the table", b.Port())
	}
}

// listenAddrs turns a host name's answers into unique, unmapped addresses (a resolver may
// return ::ffff:127.0.0.1 for an IPv4 name, and the same address more than once).
func TestListenAddrs(t *testing.T) {
	addrs, err := listenAddrs("")
	passive, perr := handover.PassiveAddrs()
	if err != nil || perr != nil || !slices.Equal(addrs, passive) {
		t.Errorf(`listenAddrs("") = %v, %v; want the passive addresses %v (%v)`, addrs, err, passive, perr)
	}
	for _, a := range addrs {
		if !a.IsUnspecified() {
			t.Errorf(`listenAddrs("") = %v: %v is not a wildcard address`, addrs, a)
		}
	}
	if !slices.Contains(addrs, netip.IPv4Unspecified()) {
		t.Errorf(`listenAddrs("") = %v, want 0.0.0.0 among them`, addrs)
	}
	addrs, err = listenAddrs("::1")
	if err != nil || !slices.Equal(addrs, []netip.Addr{netip.IPv6Loopback()}) {
		t.Errorf(`listenAddrs("::1") = %v, %v; want [::1]`, addrs, err)
	}
	addrs, err = listenAddrs("localhost")
	if err != nil {
		t.Skipf("localhost does not resolve: %v", err)
	}
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if a.Is4In6() || seen[a] {
			t.Errorf("listenAddrs(localhost) = %v: mapped or repeated address %v", addrs, a)
		}
		seen[a] = true
	}
}
