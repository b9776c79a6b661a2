package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// resolveLoopback turns -addr into the one address every connection dials,
// refusing anything that is not loopback. The name is resolved once, here,
// and the workers dial the resulting IP: resolving again per dial could
// return a different, non-loopback answer, and would cost a lookup per
// connection.
func resolveLoopback(addr string, timeout time.Duration) (netip.AddrPort, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("-addr %q: %v", addr, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("-addr %q: port must be a number from 1 to 65535", addr)
	}
	// An empty host would make the dialer pick the local system on its own;
	// the target must be spelled out so the check below sees it.
	if host == "" {
		return netip.AddrPort{}, fmt.Errorf("-addr %q: host is empty; use 127.0.0.1, ::1 or localhost", addr)
	}

	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("-addr %q: resolving %s: %v", addr, host, err)
		}
	}
	ip, err := pickLoopback(host, addrs)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// pickLoopback checks every address a host resolved to, because a name with
// one loopback and one routable address could be dialed on either. It
// prefers IPv4 since servers under test commonly listen on 127.0.0.1 only.
func pickLoopback(host string, addrs []netip.Addr) (netip.Addr, error) {
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("refusing %s: it resolves to no address", host)
	}
	for _, a := range addrs {
		if !isLoopback(a) {
			return netip.Addr{}, fmt.Errorf("refusing %s: %s is not a loopback address (only 127.0.0.0/8 and ::1 are allowed)", host, a)
		}
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return addrs[0], nil
}

var loopbackV4 = netip.MustParsePrefix("127.0.0.0/8")

// isLoopback accepts 127.0.0.0/8, also in its IPv4-mapped IPv6 form, which
// reaches the same place, and ::1 with or without a zone.
func isLoopback(a netip.Addr) bool {
	return loopbackV4.Contains(a.Unmap()) || a.WithZone("") == netip.IPv6Loopback()
}
