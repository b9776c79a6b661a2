// Package proxyproto parses the HAProxy PROXY protocol header, versions 1
// (text) and 2 (binary), that a trusted proxy puts in front of a TCP
// connection to tell the server who the original client was.
//
// The parser is strict: whatever the specification does not allow is
// rejected, because a header that is accepted loosely lets a peer lie about
// its address. Only what a TCP server can use is supported: TCP over IPv4
// and IPv6, plus the forms that say "no address, use the real peer"
// (v1 UNKNOWN, v2 LOCAL, v2 AF_UNSPEC). A server must only expect the header
// from trusted proxies; this package does not guess whether one is present.
//
// Specification: https://www.haproxy.org/download/3.0/doc/proxy-protocol.txt
package proxyproto

import (
	"bytes"
	"errors"
	"net/netip"
)

// Header is what a PROXY header says about the original connection.
type Header struct {
	Version int            // 1 or 2
	Local   bool           // v1 "UNKNOWN" or v2 LOCAL command: no original address; use the real peer
	Source  netip.AddrPort // original client address (zero if Local)
	Dest    netip.AddrPort // original destination (zero if Local)
}

// MaxHeaderLen is the longest header Parse accepts, in bytes.
//
// A version 1 line is at most 107 bytes by the specification. A version 2
// header is 16 fixed bytes followed by as many bytes as its length field
// says, which could be up to 65535. The specification designs both formats
// to fit in 536 bytes, the smallest TCP segment every host must accept
// (a 576-byte datagram less 40 bytes of IP and TCP headers), so that the
// whole header arrives in the first segment of the connection. We enforce
// that as the bound: a version 2 length field above 520 is malformed. This
// leaves 508 bytes of TLVs after IPv4 addresses and 484 after IPv6 ones,
// room for the TLVs proxies send in practice, while a peer can never make a
// reader buffer more than 536 bytes before it learns whether the header is
// acceptable.
//
// Parse never returns ErrIncomplete for a buffer of MaxHeaderLen bytes or
// more, so a buffer of this size is always enough to read a header into.
const MaxHeaderLen = 536

var (
	// ErrIncomplete means the buffer holds a proper prefix of what may still
	// become a valid header: read more bytes and call Parse again.
	ErrIncomplete = errors.New("proxyproto: incomplete PROXY header")

	// ErrMalformed is wrapped by every error about bytes that cannot start a
	// valid header, whatever follows them.
	ErrMalformed = errors.New("proxyproto: malformed PROXY header")
)

// malformedError carries the reason a header was rejected.
type malformedError struct{ reason string }

func (e *malformedError) Error() string { return ErrMalformed.Error() + ": " + e.reason }
func (e *malformedError) Unwrap() error { return ErrMalformed }

func malformed(reason string) error { return &malformedError{reason} }

var (
	v1Signature = []byte("PROXY ")
	v2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// Parse parses a complete header at the start of buf. It returns the header
// and the number of bytes it occupies. If buf holds only a prefix of a
// possibly valid header it returns ErrIncomplete (the caller reads more and
// calls again); anything malformed returns an error wrapping ErrMalformed
// with a message naming what is wrong. It never reads past the header, does
// not modify or retain buf, and does not allocate unless it returns a
// malformed error.
//
// ErrIncomplete is returned only while some continuation of buf would be a
// valid header: a prefix that can no longer become one is reported as
// malformed at once, so a reader never waits for bytes that cannot help.
//
// Version 2 TLVs are skipped, but counted in the returned length. IPv4-mapped
// IPv6 addresses are returned as sent, not unmapped.
func Parse(buf []byte) (Header, int, error) {
	if len(buf) == 0 {
		return Header{}, 0, ErrIncomplete
	}
	// The two signatures differ in their first byte.
	signature, parse := v1Signature, parseV1
	if buf[0] == v2Signature[0] {
		signature, parse = v2Signature, parseV2
	}
	seen := min(len(buf), len(signature))
	if !bytes.Equal(buf[:seen], signature[:seen]) {
		return Header{}, 0, malformed("no PROXY header")
	}
	if seen < len(signature) {
		return Header{}, 0, ErrIncomplete
	}
	return parse(buf)
}
