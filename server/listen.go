package server

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
)

// resolveTimeout bounds a -myaddr lookup, so a dead resolver cannot hang the interpreter.
const resolveTimeout = 10 * time.Second

// listenAddrs says which local addresses to bind: the -myaddr literal or every address its
// name resolves to (as Tcl's own socket -server does), or, without -myaddr, the IPv6
// wildcard accepting IPv4 too.
func listenAddrs(myaddr string) (addrs []netip.Addr, dualStack bool, err error) {
	if myaddr == "" {
		return []netip.Addr{netip.IPv6Unspecified()}, true, nil
	}
	if addr, err := netip.ParseAddr(myaddr); err == nil {
		return []netip.Addr{addr}, false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	found, err := net.DefaultResolver.LookupNetIP(ctx, "ip", myaddr)
	if err != nil || len(found) == 0 {
		reason := "no address found"
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			reason = dnsErr.Err
		}
		return nil, false, resolveError(myaddr, reason)
	}
	seen := make(map[netip.Addr]bool)
	for _, addr := range found {
		addr = addr.Unmap()
		if !seen[addr] {
			seen[addr] = true
			addrs = append(addrs, addr)
		}
	}
	return addrs, false, nil
}

// openListeners binds and listens on every address, all on one port: the first address
// picks it when port is 0, the others follow it. Adopted sockets are taken as they are.
func openListeners(o Options) (fds []int, port int, err error) {
	if o.adopting() {
		return adoptListeners(o)
	}
	addrs, dualStack, err := listenAddrs(o.MyAddr)
	if err != nil {
		return nil, 0, err
	}
	port = o.Port
	for _, addr := range addrs {
		fd, bound, err := openListener(addr, port, o, dualStack)
		if errors.Is(err, unix.EAFNOSUPPORT) && dualStack {
			// No IPv6 on this host: the IPv4 wildcard serves every address there is.
			fd, bound, err = openListener(netip.IPv4Unspecified(), port, o, false)
		}
		if err != nil {
			closeAll(fds)
			return nil, 0, err
		}
		fds = append(fds, fd)
		port = bound
	}
	return fds, port, nil
}

func openListener(addr netip.Addr, port int, o Options, dualStack bool) (fd, bound int, err error) {
	family, sa := unix.AF_INET6, unix.Sockaddr(nil)
	if addr.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: port, Addr: addr.As4()}
	} else {
		zoneID, err := zoneIndex(addr)
		if err != nil {
			return -1, 0, err
		}
		sa = &unix.SockaddrInet6{Port: port, Addr: addr.As16(), ZoneId: zoneID}
	}
	fd, err = forksafe.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, 0, socketError(err)
	}
	err = configureAndListen(fd, family, sa, o, dualStack)
	if err == nil {
		bound, err = boundPort(fd)
	}
	if err != nil {
		forksafe.Close(fd)
		return -1, 0, socketError(err)
	}
	return fd, bound, nil
}

func configureAndListen(fd, family int, sa unix.Sockaddr, o Options, dualStack bool) error {
	// SO_REUSEADDR as Tcl's own server sockets have it: a restarted server is not kept
	// off its port by connections of the last one in TIME_WAIT.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if o.ReusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return err
		}
	}
	if family == unix.AF_INET6 {
		v6only := 1
		if dualStack {
			v6only = 0
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	return unix.Listen(fd, o.Backlog)
}

func boundPort(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port, nil
	case *unix.SockaddrInet6:
		return sa.Port, nil
	}
	return 0, unix.EAFNOSUPPORT
}

func socketError(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return &SocketError{Errno: errno}
	}
	return err
}

func closeAll(fds []int) {
	for _, fd := range fds {
		forksafe.Close(fd)
	}
}
