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

// FuzzAddressScanners checks the hand-written address scanners against
// net/netip: they accept exactly the complete addresses it accepts (less
// zones, and each only its own family), with the same value, and they never
// reject a prefix of such an address nor overstate what it lacks, which is
// what keeps Parse from calling a valid header's prefix malformed.
func FuzzAddressScanners(f *testing.F) {
	for _, seed := range []string{"1.2.3.4", "::", "2001:db8::1", "::ffff:192.0.2.1", "1:2:3:4:5:6:7:8", "fe80::1%eth0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, err := netip.ParseAddr(text)
		for _, scanner := range []struct {
			name     string
			scan     func([]byte) (netip.Addr, int, bool)
			inFamily bool
		}{
			{"scanIPv4", scanIPv4Addr, err == nil && want.Is4()},
			{"scanIPv6", scanIPv6Addr, err == nil && want.Is6() && want.Zone() == ""},
		} {
			got, missing, ok := scanner.scan([]byte(text))
			if accepted := ok && missing == 0; accepted != scanner.inFamily || accepted && got != want {
				t.Fatalf("%s(%q) = %v, %d, %v; net/netip: %v, %v", scanner.name, text, got, missing, ok, want, err)
			}
			if !scanner.inFamily {
				continue
			}
			for k := range len(text) {
				_, missing, ok := scanner.scan([]byte(text[:k]))
				if !ok || missing > len(text)-k {
					t.Fatalf("%s(%q) = missing %d, ok %v; but %q is valid", scanner.name, text[:k], missing, ok, text)
				}
			}
		}
	})
}
