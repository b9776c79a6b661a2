package proxyproto

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Layout of the fixed part of a version 2 header: the signature, then one
// byte of version and command, one byte of address family and transport,
// and the big-endian length of everything that follows (addresses, TLVs).
const (
	v2VersionCommandAt = 12
	v2FamilyAt         = 13
	v2LengthAt         = 14
	v2FixedLen         = 16

	// v2MaxLength is the largest length field accepted, so that the whole
	// header fits in MaxHeaderLen.
	v2MaxLength = MaxHeaderLen - v2FixedLen
)

// Commands (low nibble of the version/command byte).
const (
	v2CommandLocal = 0x0
	v2CommandProxy = 0x1
)

// Address family and transport combinations defined by the specification
// (family in the high nibble, transport in the low one).
const (
	v2Unspec     = 0x00
	v2TCP4       = 0x11
	v2UDP4       = 0x12
	v2TCP6       = 0x21
	v2UDP6       = 0x22
	v2UnixStream = 0x31
	v2UnixDgram  = 0x32
)

// parseV2 parses a binary header; buf is known to start with the signature.
// Each fixed byte is checked as soon as it is present, so that a header
// which cannot be valid is rejected without waiting for the rest.
func parseV2(buf []byte) (Header, int, error) {
	if len(buf) <= v2VersionCommandAt {
		return Header{}, 0, ErrIncomplete
	}
	versionCommand := buf[v2VersionCommandAt]
	if version := versionCommand >> 4; version != 2 {
		return Header{}, 0, malformed(fmt.Sprintf("unsupported version %d", version))
	}
	command := versionCommand & 0x0f
	if command != v2CommandLocal && command != v2CommandProxy {
		return Header{}, 0, malformed(fmt.Sprintf("unknown command %#x", command))
	}

	if len(buf) <= v2FamilyAt {
		return Header{}, 0, ErrIncomplete
	}
	family := buf[v2FamilyAt]
	addrLen, err := v2AddressLen(command, family)
	if err != nil {
		return Header{}, 0, err
	}

	if len(buf) < v2FixedLen {
		return Header{}, 0, ErrIncomplete
	}
	length := int(binary.BigEndian.Uint16(buf[v2LengthAt:]))
	if length > v2MaxLength {
		return Header{}, 0, malformed(fmt.Sprintf("length %d exceeds the %d bytes accepted", length, v2MaxLength))
	}
	if length < addrLen {
		return Header{}, 0, malformed(fmt.Sprintf("length %d is shorter than the %d-byte address block", length, addrLen))
	}
	total := v2FixedLen + length
	if len(buf) < total {
		return Header{}, 0, ErrIncomplete
	}

	// Whatever follows the addresses (TLVs) is skipped.
	addrs := buf[v2FixedLen:total]
	header := Header{Version: 2}
	switch {
	case addrLen == 0:
		header.Local = true
	case family == v2TCP4:
		header.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(addrs[0:4])), binary.BigEndian.Uint16(addrs[8:]))
		header.Dest = netip.AddrPortFrom(netip.AddrFrom4([4]byte(addrs[4:8])), binary.BigEndian.Uint16(addrs[10:]))
	case family == v2TCP6:
		header.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(addrs[0:16])), binary.BigEndian.Uint16(addrs[32:]))
		header.Dest = netip.AddrPortFrom(netip.AddrFrom16([16]byte(addrs[16:32])), binary.BigEndian.Uint16(addrs[34:]))
	}
	return header, total, nil
}

// v2AddressLen returns the size of the address block the family byte
// announces, or zero when the addresses are to be ignored and the real peer
// used instead.
func v2AddressLen(command, family byte) (int, error) {
	switch family {
	case v2Unspec, v2TCP4, v2UDP4, v2TCP6, v2UDP6, v2UnixStream, v2UnixDgram:
	default:
		// The specification requires receivers to reject undefined values.
		return 0, malformed(fmt.Sprintf("invalid address family and transport 0x%02x", family))
	}
	// A LOCAL header describes a connection the proxy made on its own (a
	// health check): the specification says to accept it and ignore the
	// family and addresses, whatever they are.
	if command == v2CommandLocal {
		return 0, nil
	}
	switch family {
	case v2TCP4:
		return 4 + 4 + 2 + 2, nil
	case v2TCP6:
		return 16 + 16 + 2 + 2, nil
	case v2UDP4, v2UDP6:
		return 0, malformed("UDP is not supported by a TCP server")
	case v2UnixStream, v2UnixDgram:
		return 0, malformed("AF_UNIX is not supported by a TCP server")
	}
	// AF_UNSPEC: the proxy could not tell the original addresses.
	return 0, nil
}
