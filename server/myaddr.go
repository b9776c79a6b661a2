package server

import (
	"net"
	"net/netip"
	"strconv"
)

// resolveError is a -myaddr that names no address to listen on.
func resolveError(myaddr, reason string) *Error {
	return &Error{
		Msg:  "couldn't open socket: cannot resolve \"" + myaddr + "\": " + reason,
		Code: []string{"SOCKETSERVER", "RESOLVE", myaddr},
	}
}

// EmptyMyAddr is the error for `-myaddr ""`: Tcl's own socket refuses it, and in Options an
// empty MyAddr means every address, which the caller did not ask for.
func EmptyMyAddr() error { return resolveError("", "an empty -myaddr names no address") }

// zoneIndex is the interface index of an IPv6 address's zone (fe80::1%eth0, or %2 by
// number), 0 for none. A zone naming no interface is an error, not ignored.
func zoneIndex(addr netip.Addr) (uint32, error) {
	zone := addr.Zone()
	if zone == "" {
		return 0, nil
	}
	if index, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(index), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, resolveError(addr.String(), "no network interface \""+zone+"\"")
	}
	return uint32(ifi.Index), nil
}
