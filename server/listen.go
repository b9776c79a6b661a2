package server

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

// resolveTimeout bounds a -myaddr lookup, so a dead resolver cannot hang the interpreter.
const resolveTimeout = 10 * time.Second

// listenAddrs says which local addresses to bind: the -myaddr literal, every address its
// name resolves to, or without -myaddr every address getaddrinfo gives for the passive
// address (0.0.0.0 and ::), one listener each, as Tcl's own socket -server does. So a
// worker's channel shows its addresses as Tcl's server channels show them: an IPv4 client
// as 127.0.0.1, never as ::ffff:127.0.0.1.
func listenAddrs(myaddr string) (addrs []netip.Addr, err error) {
	if myaddr == "" {
		return handover.PassiveAddrs()
	}
	if addr, err := netip.ParseAddr(myaddr); err == nil {
		return []netip.Addr{addr}, nil
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
		return nil, resolveError(myaddr, reason)
	}
	seen := make(map[netip.Addr]bool)
	for _, addr := range found {
		addr = addr.Unmap()
		if !seen[addr] {
			seen[addr] = true
			addrs = append(addrs, addr)
		}
	}
	return addrs, nil
}

// portChoices bounds how often port 0 is chosen again (see openListeners).
const portChoices = 16

// openListeners binds and listens on every address, all on one port. Adopted sockets are
// taken as they are.
func openListeners(o Options) (fds []int, port int, err error) {
	if o.adopting() {
		return adoptListeners(o)
	}
	addrs, err := listenAddrs(o.MyAddr)
	if err != nil {
		return nil, 0, err
	}
	for range portChoices {
		fds, port, err = openOnOnePort(addrs, o)
		// With port 0 the kernel picks the first address's port, which a socket of the
		// other family may hold: pick another.
		if o.Port != 0 || !failedWith(err, unix.EADDRINUSE) {
			break
		}
	}
	return fds, port, err
}

// openOnOnePort opens a listener on each address, on o.Port or, for 0, the one the first
// listener got. Without -myaddr, a family this host does not have (IPv6 turned off) is left
// out, as Tcl leaves it out; any other failure closes them all.
func openOnOnePort(addrs []netip.Addr, o Options) (fds []int, port int, err error) {
	port = o.Port
	for _, addr := range addrs {
		fd, bound, err := openListener(addr, port, o)
		if failedWith(err, unix.EAFNOSUPPORT) && o.MyAddr == "" {
			continue
		}
		if err != nil {
			closeAll(fds)
			return nil, 0, err
		}
		fds = append(fds, fd)
		port = bound
	}
	if len(fds) == 0 {
		return nil, 0, &SocketError{Errno: unix.EAFNOSUPPORT}
	}
	return fds, port, nil
}

func openListener(addr netip.Addr, port int, o Options) (fd, bound int, err error) {
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
	fd, err = handover.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, 0, socketError(err)
	}
	err = configureAndListen(fd, family, sa, o)
	if err == nil {
		bound, err = boundPort(fd)
	}
	if err != nil {
		handover.Close(fd)
		return -1, 0, socketError(err)
	}
	return fd, bound, nil
}

func configureAndListen(fd, family int, sa unix.Sockaddr, o Options) error {
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
	// IPv6 only, as Tcl has it: IPv4 clients come to the IPv4 listener, if there is one.
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
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

// failedWith says whether err is a SocketError for errno.
func failedWith(err error, errno unix.Errno) bool {
	var se *SocketError
	return errors.As(err, &se) && se.Errno == errno
}

func closeAll(fds []int) {
	for _, fd := range fds {
		handover.Close(fd)
	}
}
