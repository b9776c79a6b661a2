package handover

/*
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"unsafe"
)

// PassiveAddrs is what getaddrinfo gives for the passive address (no host, AI_PASSIVE): the
// wildcard address of each family, in the order this host prefers (gai.conf). Tcl's own
// `socket -server` without -myaddr opens one listener on each.
func PassiveAddrs() ([]netip.Addr, error) {
	hints := C.struct_addrinfo{ai_flags: C.AI_PASSIVE, ai_family: C.AF_UNSPEC, ai_socktype: C.SOCK_STREAM}
	var list *C.struct_addrinfo
	if rc := C.getaddrinfo(nil, &[]C.char{'0', 0}[0], &hints, &list); rc != 0 {
		return nil, fmt.Errorf("getaddrinfo: %s", C.GoString(C.gai_strerror(rc)))
	}
	defer C.freeaddrinfo(list)
	var addrs []netip.Addr
	for ai := list; ai != nil; ai = ai.ai_next {
		if addr := sockaddrToAddrPort(unsafe.Pointer(ai.ai_addr)).Addr(); addr.IsValid() && !slices.Contains(addrs, addr) {
			addrs = append(addrs, addr)
		}
	}
	return addrs, nil
}

// FormatIP writes an address the way a Tcl script expects to see it: an IPv4 client of a
// dual-stack listener (::ffff:a.b.c.d) as a dotted quad, IPv6 in its canonical short form,
// with the zone (interface name) of a link-local address kept.
func FormatIP(addr netip.Addr) string { return addr.Unmap().String() }

// sockaddrToAddrPort decodes a sockaddr_in or sockaddr_in6; anything else is the zero value.
func sockaddrToAddrPort(sa unsafe.Pointer) netip.AddrPort {
	switch (*C.struct_sockaddr)(sa).sa_family {
	case C.AF_INET:
		in := (*C.struct_sockaddr_in)(sa)
		addr := netip.AddrFrom4(*(*[4]byte)(unsafe.Pointer(&in.sin_addr)))
		return netip.AddrPortFrom(addr, networkPort(unsafe.Pointer(&in.sin_port)))
	case C.AF_INET6:
		in6 := (*C.struct_sockaddr_in6)(sa)
		addr := netip.AddrFrom16(*(*[16]byte)(unsafe.Pointer(&in6.sin6_addr)))
		if in6.sin6_scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(in6.sin6_scope_id)); err == nil {
				addr = addr.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(addr, networkPort(unsafe.Pointer(&in6.sin6_port)))
	}
	return netip.AddrPort{}
}

func networkPort(p unsafe.Pointer) uint16 { return binary.BigEndian.Uint16((*[2]byte)(p)[:]) }
