package proxyproto

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// validCase is a complete, valid header and what Parse must make of it.
type validCase struct {
	name   string
	header []byte
	want   Header
}

// invalidCase is a buffer that is malformed however it continues; reason is
// a fragment of the error message.
type invalidCase struct {
	name   string
	input  []byte
	reason string
}

func allValidCases() []validCase {
	return append(append([]validCase{}, validV1Cases...), validV2Cases...)
}

func allInvalidCases() []invalidCase {
	return append(append(append([]invalidCase{}, commonInvalidCases...), invalidV1Cases...), invalidV2Cases...)
}

var commonInvalidCases = []invalidCase{
	{"HTTP request", []byte("GET / HTTP/1.1\r\n\r\n"), "no PROXY header"},
	{"TLS hello", []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), "no PROXY header"},
	{"single NUL", []byte{0}, "no PROXY header"},
}

func addrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestParseValid(t *testing.T) {
	const appData = "GET / HTTP/1.1\r\nHost: example\r\n\r\n"
	for _, tc := range allValidCases() {
		t.Run(tc.name, func(t *testing.T) {
			// Alone, and followed by application data that must not be
			// counted, looked at or changed.
			for _, buf := range [][]byte{tc.header, append(bytes.Clone(tc.header), appData...)} {
				before := bytes.Clone(buf)
				got, n, err := Parse(buf)
				if err != nil {
					t.Fatalf("Parse(%q) error: %v", buf, err)
				}
				if got != tc.want {
					t.Errorf("Parse(%q) = %+v, want %+v", buf, got, tc.want)
				}
				if n != len(tc.header) {
					t.Errorf("Parse(%q) length = %d, want %d", buf, n, len(tc.header))
				}
				if !bytes.Equal(buf, before) {
					t.Errorf("Parse modified its buffer")
				}
				if string(buf[n:]) != string(before[len(tc.header):]) {
					t.Errorf("bytes after the header = %q, want %q", buf[n:], before[len(tc.header):])
				}
			}
		})
	}
}

func TestParseEveryProperPrefixIsIncomplete(t *testing.T) {
	for _, tc := range allValidCases() {
		t.Run(tc.name, func(t *testing.T) {
			for k := range len(tc.header) {
				got, n, err := Parse(tc.header[:k])
				if err != ErrIncomplete || n != 0 || got != (Header{}) {
					t.Errorf("Parse(%q) = %+v, %d, %v; want ErrIncomplete", tc.header[:k], got, n, err)
				}
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range allInvalidCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := Parse(tc.input)
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrIncomplete) {
				t.Fatalf("Parse(%q) error = %v, want one wrapping ErrMalformed", tc.input, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("Parse(%q) error = %q, want it to mention %q", tc.input, err, tc.reason)
			}
			if n != 0 || got != (Header{}) {
				t.Errorf("Parse(%q) = %+v, %d along with an error", tc.input, got, n)
			}
		})
	}
}

// Parse runs once per read on every new connection; the common outcomes
// must not allocate.
func TestParseDoesNotAllocate(t *testing.T) {
	for _, tc := range allValidCases() {
		whole, half := tc.header, tc.header[:len(tc.header)/2]
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := Parse(whole); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Parse(half); err != ErrIncomplete {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Parse, want 0", tc.name, allocs)
		}
	}
}

func TestIncompleteOnlyBelowMaxHeaderLen(t *testing.T) {
	// The longest possible incomplete inputs of each kind.
	longV1 := []byte("PROXY UNKNOWN " + strings.Repeat("x", v1MaxLen-len("PROXY UNKNOWN ")-len("\r\n")) + "\r")
	longV2 := v2Raw(0x21, v2TCP6, v2MaxLength, make([]byte, v2MaxLength-1))
	for _, buf := range [][]byte{longV1, longV2} {
		if _, _, err := Parse(buf); err != ErrIncomplete {
			t.Fatalf("Parse(%d bytes) = %v, want ErrIncomplete", len(buf), err)
		}
		if len(buf) >= MaxHeaderLen {
			t.Errorf("ErrIncomplete for %d bytes, MaxHeaderLen is %d", len(buf), MaxHeaderLen)
		}
	}
}
