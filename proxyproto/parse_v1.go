package proxyproto

import (
	"bytes"
	"fmt"
	"net/netip"
)

// v1MaxLen is the longest version 1 line the specification allows, CRLF
// included: "PROXY UNKNOWN" followed by two full IPv6 addresses and two
// five-digit ports. A line with no CRLF within it is malformed.
const v1MaxLen = 107

// parseV1 parses a text header; buf is known to start with "PROXY ".
func parseV1(buf []byte) (Header, int, error) {
	line := buf[:min(len(buf), v1MaxLen)]
	pos := len(v1Signature)
	protocol, end := v1Token(line, pos)
	if end == len(line) {
		// A protocol name is at most 7 bytes, so a line cut inside it is far
		// from the length limit: only the name itself can be wrong yet.
		for _, name := range [...]string{"TCP4", "TCP6", "UNKNOWN"} {
			if bytes.HasPrefix([]byte(name), protocol) {
				return Header{}, 0, ErrIncomplete
			}
		}
		return Header{}, 0, malformed(fmt.Sprintf("unknown protocol %q", protocol))
	}
	switch string(protocol) {
	case "TCP4":
		return parseV1TCP(line, end, "TCP4", scanIPv4Addr, len("0.0.0.0"))
	case "TCP6":
		return parseV1TCP(line, end, "TCP6", scanIPv6Addr, len("::"))
	case "UNKNOWN":
		return parseV1Unknown(line, end)
	}
	return Header{}, 0, malformed(fmt.Sprintf("unknown protocol %q", protocol))
}

// parseV1Unknown finishes an UNKNOWN line, whose rest the specification says
// to ignore up to the CRLF. pos is just after "UNKNOWN", at a space, CR or LF.
func parseV1Unknown(line []byte, pos int) (Header, int, error) {
	lineEnd := bytes.IndexAny(line[pos:], "\r\n")
	if lineEnd < 0 {
		return Header{}, 0, v1CutShort(len(line) + len("\r\n"))
	}
	n, err := v1EndOfLine(line, pos+lineEnd)
	if err != nil {
		return Header{}, 0, err
	}
	return Header{Version: 1, Local: true}, n, nil
}

// parseV1TCP finishes a TCP4 or TCP6 line: pos is just after the protocol
// name, scanAddr reads the family's addresses and addrMinLen is the length of
// the family's shortest address text.
func parseV1TCP(line []byte, pos int, protocol string, scanAddr func([]byte) (netip.Addr, int, bool), addrMinLen int) (Header, int, error) {
	// Shortest text that can follow each field, separator included, used to
	// tell whether a line cut short can still end within v1MaxLen.
	const (
		afterDestPort   = len("\r\n")
		afterSourcePort = len(" 0") + afterDestPort
		afterDestAddr   = len(" 0") + afterSourcePort
	)
	afterSourceAddr := 1 + addrMinLen + afterDestAddr

	pos, err := v1Space(line, pos, protocol)
	if err != nil {
		return Header{}, 0, err
	}
	srcAddr, pos, err := v1Field(line, pos, "source address", scanAddr, afterSourceAddr)
	if err != nil {
		return Header{}, 0, err
	}
	if pos, err = v1Space(line, pos, "source address"); err != nil {
		return Header{}, 0, err
	}
	dstAddr, pos, err := v1Field(line, pos, "destination address", scanAddr, afterDestAddr)
	if err != nil {
		return Header{}, 0, err
	}
	if pos, err = v1Space(line, pos, "destination address"); err != nil {
		return Header{}, 0, err
	}
	srcPort, pos, err := v1Field(line, pos, "source port", scanPort, afterSourcePort)
	if err != nil {
		return Header{}, 0, err
	}
	if pos, err = v1Space(line, pos, "source port"); err != nil {
		return Header{}, 0, err
	}
	dstPort, pos, err := v1Field(line, pos, "destination port", scanPort, afterDestPort)
	if err != nil {
		return Header{}, 0, err
	}
	n, err := v1EndOfLine(line, pos)
	if err != nil {
		return Header{}, 0, err
	}
	return Header{
		Version: 1,
		Source:  netip.AddrPortFrom(srcAddr, srcPort),
		Dest:    netip.AddrPortFrom(dstAddr, dstPort),
	}, n, nil
}

// v1Token returns the bytes from pos up to the next space, CR or LF, and the
// index of that delimiter, or len(line) if the line stops first.
func v1Token(line []byte, pos int) ([]byte, int) {
	end := bytes.IndexAny(line[pos:], " \r\n")
	if end < 0 {
		return line[pos:], len(line)
	}
	return line[pos : pos+end], pos + end
}

// v1Field scans the field starting at pos with scan (see parse_v1_fields.go)
// and returns its value and the index of the delimiter after it. restMinLen
// is the length of the shortest text that can follow the field.
func v1Field[T any](line []byte, pos int, what string, scan func([]byte) (T, int, bool), restMinLen int) (T, int, error) {
	var zero T
	token, end := v1Token(line, pos)
	value, missing, ok := scan(token)
	switch {
	case !ok:
		return zero, 0, malformed(fmt.Sprintf("invalid %s %q", what, token))
	case end == len(line):
		return zero, 0, v1CutShort(end + missing + restMinLen)
	case missing > 0:
		return zero, 0, malformed(fmt.Sprintf("invalid %s %q", what, token))
	}
	return value, end, nil
}

// v1Space checks for the single space that must follow the field named after
// and returns the index just past it. line[pos] is a delimiter from v1Token.
func v1Space(line []byte, pos int, after string) (int, error) {
	if line[pos] != ' ' {
		return 0, malformed("expected a space after " + after)
	}
	return pos + 1, nil
}

// v1EndOfLine checks for the CRLF that must end the line at pos and returns
// the length of the line. line[pos] is a delimiter from v1Token.
func v1EndOfLine(line []byte, pos int) (int, error) {
	switch {
	case line[pos] == '\n':
		return 0, malformed("LF without CR")
	case line[pos] != '\r':
		return 0, malformed("expected CRLF after the destination port")
	case pos+1 == len(line):
		return 0, v1CutShort(pos + len("\r\n"))
	case line[pos+1] != '\n':
		return 0, malformed("CR not followed by LF")
	}
	return pos + len("\r\n"), nil
}

// v1CutShort reports a line that stops before its CRLF but is otherwise valid
// so far. shortestTotal is the length of its shortest valid completion: if
// even that is too long, waiting for more bytes cannot help.
func v1CutShort(shortestTotal int) error {
	if shortestTotal > v1MaxLen {
		return malformed("line longer than 107 bytes")
	}
	return ErrIncomplete
}
