package proxyproto

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that each result is
// consistent on its own, and the contract a reader relies on across the
// prefixes of the input: Parse answers ErrIncomplete for a while, then either
// malformed for good or the same header and length for good. So more bytes
// never rescue a prefix reported malformed, nor change an accepted header.
func FuzzParse(f *testing.F) {
	for _, tc := range allValidCases() {
		f.Add(tc.header)
		f.Add(append(bytes.Clone(tc.header), "GET / HTTP/1.1\r\n"...))
	}
	for _, tc := range allInvalidCases() {
		f.Add(tc.input)
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		header, n, err := Parse(buf)
		checkResult(t, buf, header, n, err)

		// The first answer other than ErrIncomplete, and the prefix length
		// that gave it. Past MaxHeaderLen+1 bytes nothing may change, so
		// longer prefixes are left to the check of the whole input below.
		settledAt := -1
		var settledHeader Header
		var settledN int
		var settledErr error
		for k := range min(len(buf), MaxHeaderLen+1) + 1 {
			h, m, e := Parse(buf[:k])
			if settledAt < 0 {
				if e == ErrIncomplete {
					continue
				}
				settledAt, settledHeader, settledN, settledErr = k, h, m, e
				if e == nil && m != k {
					t.Fatalf("Parse(%q) = length %d, but its prefixes were incomplete", buf[:k], m)
				}
				continue
			}
			if e == ErrIncomplete || (e == nil) != (settledErr == nil) || h != settledHeader || m != settledN {
				t.Fatalf("Parse(%q) = %+v, %d, %v; but Parse of its first %d bytes = %+v, %d, %v",
					buf[:k], h, m, e, settledAt, settledHeader, settledN, settledErr)
			}
		}
		if settledAt < 0 && err != ErrIncomplete ||
			settledAt >= 0 && ((err == nil) != (settledErr == nil) || header != settledHeader || n != settledN) {
			t.Fatalf("Parse(%q) = %+v, %d, %v; but its prefixes settled on %+v, %d, %v",
				buf, header, n, err, settledHeader, settledN, settledErr)
		}
	})
}

// checkResult checks one result of Parse(buf) on its own.
func checkResult(t *testing.T, buf []byte, header Header, n int, err error) {
	t.Helper()
	switch {
	case err == nil:
		if n <= 0 || n > len(buf) || n > MaxHeaderLen {
			t.Fatalf("Parse(%q) length = %d", buf, n)
		}
		again, n2, err2 := Parse(buf[:n])
		if err2 != nil || again != header || n2 != n {
			t.Fatalf("Parse(%q) = %+v, %d, %v; but Parse of its first %d bytes = %+v, %d, %v",
				buf, header, n, err, n, again, n2, err2)
		}
		checkHeader(t, buf[:n], header)
	case err == ErrIncomplete:
		if n != 0 || header != (Header{}) || len(buf) >= MaxHeaderLen {
			t.Fatalf("Parse(%q) = %+v, %d, ErrIncomplete", buf, header, n)
		}
	case errors.Is(err, ErrMalformed):
		if n != 0 || header != (Header{}) || errors.Is(err, ErrIncomplete) {
			t.Fatalf("Parse(%q) = %+v, %d, %v", buf, header, n, err)
		}
	default:
		t.Fatalf("Parse(%q) error = %v, neither ErrIncomplete nor ErrMalformed", buf, err)
	}
}

// checkHeader checks an accepted header against its own bytes.
func checkHeader(t *testing.T, raw []byte, header Header) {
	t.Helper()
	switch {
	case header.Version != 1 && header.Version != 2:
		t.Fatalf("Parse(%q) version = %d", raw, header.Version)
	case header.Local:
		if header.Source != (netip.AddrPort{}) || header.Dest != (netip.AddrPort{}) {
			t.Fatalf("Parse(%q) = %+v: addresses in a local header", raw, header)
		}
	case !header.Source.IsValid() || !header.Dest.IsValid() || header.Source.Addr().Is4() != header.Dest.Addr().Is4():
		t.Fatalf("Parse(%q) = %+v: addresses missing or of different families", raw, header)
	case header.Version == 1:
		// The text must say exactly what net/netip reads in it.
		fields := bytes.Fields(raw)
		if len(fields) != 6 {
			t.Fatalf("Parse(%q) accepted %d fields", raw, len(fields))
		}
		src, srcErr := netip.ParseAddr(string(fields[2]))
		dst, dstErr := netip.ParseAddr(string(fields[3]))
		if srcErr != nil || dstErr != nil || src != header.Source.Addr() || dst != header.Dest.Addr() {
			t.Fatalf("Parse(%q) = %+v; net/netip reads %v, %v (%v, %v)", raw, header, src, dst, srcErr, dstErr)
		}
	}
}
