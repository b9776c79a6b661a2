package proxyproto

import "net/netip"

// The scanners in this file read one field of a version 1 line: an IPv4
// address, an IPv6 address or a port. The field may be cut short by the end
// of the buffer, so besides the value each returns missing, the least number
// of bytes that appended to the field would make it valid (zero if it is
// valid as it is), and ok, false when no bytes appended could make it valid.
// That lets the line parser report ErrIncomplete only for prefixes of a
// possibly valid header, and know how long the shortest such header is.

// scanPort reads a TCP port: decimal 0-65535, with no sign and no leading
// zero (the specification forbids them to avoid any confusion with octal).
func scanPort(field []byte) (port uint16, missing int, ok bool) {
	if len(field) == 0 {
		return 0, 1, true
	}
	if field[0] == '0' && len(field) > 1 {
		return 0, 0, false
	}
	value := 0
	for _, c := range field {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		value = value*10 + int(c-'0')
		if value > 0xffff {
			return 0, 0, false
		}
	}
	return uint16(value), 0, true
}

func scanIPv4Addr(field []byte) (netip.Addr, int, bool) {
	ip, missing, ok := scanIPv4(field)
	return netip.AddrFrom4(ip), missing, ok
}

func scanIPv6Addr(field []byte) (netip.Addr, int, bool) {
	ip, missing, ok := scanIPv6(field)
	return netip.AddrFrom16(ip), missing, ok
}

// scanIPv4 reads a dotted quad: exactly four decimal numbers 0-255 separated
// by single dots, without leading zeros.
func scanIPv4(field []byte) (ip [4]byte, missing int, ok bool) {
	octet, digits, value := 0, 0, 0
	for _, c := range field {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && value == 0 {
				return ip, 0, false // leading zero
			}
			value = value*10 + int(c-'0')
			if value > 255 {
				return ip, 0, false
			}
			digits++
		case c == '.' && digits > 0 && octet < 3:
			ip[octet] = byte(value)
			octet, digits, value = octet+1, 0, 0
		default:
			return ip, 0, false
		}
	}
	ip[octet] = byte(value)
	// Each octet still missing needs at least ".0".
	missing = 2 * (3 - octet)
	if digits == 0 {
		missing++ // the current octet has no digit yet
	}
	return ip, missing, true
}

// scanIPv6 reads an IPv6 address as inet_ntop writes it: groups of one to
// four hex digits separated by colons, with at most one "::" standing for one
// or more zero groups, and optionally the last 32 bits as a dotted quad
// (HAProxy writes the IPv4 end of a mixed IPv4/IPv6 connection that way,
// as "::ffff:a.b.c.d").
// Zones ("%eth0") are not addresses and are rejected.
func scanIPv6(field []byte) (ip [16]byte, missing int, ok bool) {
	groups := 0    // 16-bit groups stored in ip so far
	ellipsis := -1 // group index where "::" stands, once seen
	maxGroups := 8 // explicit groups allowed; 7 once "::" stands for one
	i := 0
	switch {
	case len(field) == 1 && field[0] == ':':
		return ip, 1, true
	case len(field) >= 2 && field[0] == ':' && field[1] == ':':
		ellipsis, maxGroups, i = 0, 7, 2
	}
	for i < len(field) {
		start, value := i, 0
		for i < len(field) && i-start < 4 {
			digit, isHex := hexDigit(field[i])
			if !isHex {
				break
			}
			value = value<<4 | digit
			i++
		}
		if i < len(field) && field[i] == '.' {
			return scanIPv6Tail(ip, groups, ellipsis, field[start:])
		}
		if i == start || groups == maxGroups {
			return ip, 0, false
		}
		ip[2*groups], ip[2*groups+1] = byte(value>>8), byte(value)
		groups++
		if i == len(field) {
			break
		}
		if field[i] != ':' {
			return ip, 0, false // a fifth hex digit, a zone, or any other byte
		}
		i++
		switch {
		case i < len(field) && field[i] == ':':
			if ellipsis >= 0 || groups == 8 {
				return ip, 0, false
			}
			ellipsis, maxGroups = groups, 7
			i++
		case i == len(field):
			// A single colon must be followed by another group.
			if groups == maxGroups {
				return ip, 0, false
			}
			return ip, 1, true
		}
	}
	if ellipsis < 0 {
		if groups < 8 {
			return ip, len("::"), true
		}
		return ip, 0, true
	}
	expandEllipsis(&ip, groups, ellipsis)
	return ip, 0, true
}

// scanIPv6Tail reads the dotted quad that ends an IPv6 address, given the
// groups before it.
func scanIPv6Tail(ip [16]byte, groups, ellipsis int, tail []byte) ([16]byte, int, bool) {
	// The quad fills the last two groups: exactly six groups come before it,
	// or at most five when "::" stands for at least one more.
	if ellipsis < 0 && groups != 6 || ellipsis >= 0 && groups > 5 {
		return ip, 0, false
	}
	quad, missing, ok := scanIPv4(tail)
	if !ok {
		return ip, 0, false
	}
	copy(ip[2*groups:], quad[:])
	if ellipsis >= 0 {
		expandEllipsis(&ip, groups+2, ellipsis)
	}
	return ip, missing, true
}

// expandEllipsis moves the groups written after "::" to the end of the
// address and zeroes the groups "::" stands for.
func expandEllipsis(ip *[16]byte, groups, ellipsis int) {
	after := 2 * (groups - ellipsis)
	copy(ip[16-after:], ip[2*ellipsis:2*groups])
	clear(ip[2*ellipsis : 16-after])
}

func hexDigit(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
