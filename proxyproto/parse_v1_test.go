package proxyproto

import (
	"net/netip"
	"strings"
	"testing"
)

const (
	longestIPv6  = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"       // 39 bytes
	longestMixed = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" // 45 bytes
)

var validV1Cases = []validCase{
	{
		name:   "v1 TCP4",
		header: []byte("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
		want:   Header{Version: 1, Source: addrPort("192.168.0.1:56324"), Dest: addrPort("192.168.0.11:443")},
	},
	{
		name:   "v1 TCP4 longest",
		header: []byte("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
		want:   Header{Version: 1, Source: addrPort("255.255.255.255:65535"), Dest: addrPort("255.255.255.255:65535")},
	},
	{
		name:   "v1 TCP4 zeros",
		header: []byte("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n"),
		want:   Header{Version: 1, Source: addrPort("0.0.0.0:0"), Dest: addrPort("10.0.0.1:0")},
	},
	{
		name:   "v1 TCP6",
		header: []byte("PROXY TCP6 2001:db8::1 2001:DB8:0:0:1:0:0:2 1234 443\r\n"),
		want:   Header{Version: 1, Source: addrPort("[2001:db8::1]:1234"), Dest: addrPort("[2001:db8::1:0:0:2]:443")},
	},
	{
		name:   "v1 TCP6 longest",
		header: []byte("PROXY TCP6 " + longestIPv6 + " " + longestIPv6 + " 65535 65535\r\n"),
		want:   Header{Version: 1, Source: addrPort("[" + longestIPv6 + "]:65535"), Dest: addrPort("[" + longestIPv6 + "]:65535")},
	},
	{
		name:   "v1 TCP6 shortest addresses",
		header: []byte("PROXY TCP6 :: ::1 1 2\r\n"),
		want:   Header{Version: 1, Source: addrPort("[::]:1"), Dest: addrPort("[::1]:2")},
	},
	{
		name:   "v1 TCP6 IPv4-mapped source",
		header: []byte("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::7 40000 443\r\n"),
		want:   Header{Version: 1, Source: addrPort("[::ffff:192.0.2.1]:40000"), Dest: addrPort("[2001:db8::7]:443")},
	},
	{
		name:   "v1 TCP6 ellipsis at the end",
		header: []byte("PROXY TCP6 1:2:3:4:5:6:7:: fe80:: 8 9\r\n"),
		want:   Header{Version: 1, Source: addrPort("[1:2:3:4:5:6:7:0]:8"), Dest: addrPort("[fe80::]:9")},
	},
	{
		name:   "v1 TCP6 107 bytes",
		header: []byte("PROXY TCP6 " + longestMixed + " " + longestMixed[:44] + " 1 2\r\n"),
		want:   Header{Version: 1, Source: addrPort("[" + longestMixed + "]:1"), Dest: addrPort("[" + longestMixed[:44] + "]:2")},
	},
	{
		name:   "v1 UNKNOWN",
		header: []byte("PROXY UNKNOWN\r\n"),
		want:   Header{Version: 1, Local: true},
	},
	{
		name:   "v1 UNKNOWN with empty rest",
		header: []byte("PROXY UNKNOWN \r\n"),
		want:   Header{Version: 1, Local: true},
	},
	{
		name:   "v1 UNKNOWN longest",
		header: []byte("PROXY UNKNOWN " + longestIPv6 + " " + longestIPv6 + " 65535 65535\r\n"),
		want:   Header{Version: 1, Local: true},
	},
}

var invalidV1Cases = []invalidCase{
	{"PROXZ", []byte("PROXZ"), "no PROXY header"},
	{"lowercase proxy", []byte("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "no PROXY header"},
	{"PROXY without space", []byte("PROXY\r\n"), "no PROXY header"},
	{"unknown protocol", []byte("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), `unknown protocol "TCP5"`},
	{"unknown protocol prefix", []byte("PROXY TCP5"), `unknown protocol "TCP5"`},
	{"lowercase protocol", []byte("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"), "unknown protocol"},
	{"UDP4", []byte("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), "unknown protocol"},
	{"double space before protocol", []byte("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), `unknown protocol ""`},
	{"protocol then CRLF", []byte("PROXY TCP4\r\n"), "expected a space after TCP4"},
	{"protocol too long", []byte("PROXY " + strings.Repeat("A", 200)), "unknown protocol"},
	{"UNKNOWN suffix", []byte("PROXY UNKNOWNX\r\n"), "unknown protocol"},
	{"UNKNOWN then LF", []byte("PROXY UNKNOWN\n"), "LF without CR"},
	{"UNKNOWN then CR without LF", []byte("PROXY UNKNOWN\rX"), "CR not followed by LF"},
	{"UNKNOWN rest with bare CR", []byte("PROXY UNKNOWN a\rb\r\n"), "CR not followed by LF"},
	{"UNKNOWN rest with bare LF", []byte("PROXY UNKNOWN a\nb\r\n"), "LF without CR"},
	{"108 bytes without CRLF", []byte("PROXY UNKNOWN " + strings.Repeat("x", 94)), "line longer than 107 bytes"},
	{"108-byte UNKNOWN line", []byte("PROXY UNKNOWN " + strings.Repeat("x", 92) + "\r\n"), "line longer than 107 bytes"},
	{"107 bytes ending in CR", []byte("PROXY UNKNOWN " + strings.Repeat("x", 92) + "\r"), "line longer than 107 bytes"},
	// 106 bytes that could only end with a CRLF at 107 and 108.
	{"UNKNOWN line that cannot end in time", []byte("PROXY UNKNOWN " + strings.Repeat("x", 92)), "line longer than 107 bytes"},
	{"TCP6 line that cannot end in time", []byte("PROXY TCP6 " + longestMixed + " " + longestMixed), "line longer than 107 bytes"},
	{"TCP6 line that cannot end in time, at a port", []byte("PROXY TCP6 " + longestMixed + " " + longestMixed + " "), "line longer than 107 bytes"},
	{"108-byte TCP6 line", []byte("PROXY TCP6 " + longestMixed + " " + longestMixed + " 1 2\r\n"), "line longer than 107 bytes"},

	{"TCP4 with IPv6 source", []byte("PROXY TCP4 ::1 1.2.3.4 1 2\r\n"), `invalid source address "::1"`},
	{"TCP4 with IPv6 destination", []byte("PROXY TCP4 1.2.3.4 ::1 1 2\r\n"), `invalid destination address "::1"`},
	{"TCP6 with IPv4 source", []byte("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), `invalid source address "1.2.3.4"`},
	{"TCP6 with IPv4 destination", []byte("PROXY TCP6 ::1 1.2.3.4 1 2\r\n"), `invalid destination address "1.2.3.4"`},
	{"IPv4 leading zero", []byte("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 zero octet with leading zero", []byte("PROXY TCP4 1.00.3.4 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 octet over 255", []byte("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 three octets", []byte("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 five octets", []byte("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 empty octet", []byte("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 trailing dot", []byte("PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 sign", []byte("PROXY TCP4 +1.2.3.4 5.6.7.8 1 2\r\n"), "invalid source address"},
	{"IPv4 cut short by non-digit", []byte("PROXY TCP4 1.2x"), `invalid source address "1.2x"`},
	{"IPv4 cut short with octet over 255", []byte("PROXY TCP4 1.2.3.2555"), "invalid source address"},
	{"IPv6 zone", []byte("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 two ellipses", []byte("PROXY TCP6 1::2::3 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 triple colon", []byte("PROXY TCP6 :::1 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 single leading colon", []byte("PROXY TCP6 :1:2:3:4:5:6:7 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 single trailing colon", []byte("PROXY TCP6 1:2:3:4:5:6:7: ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 seven groups", []byte("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 nine groups", []byte("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 ellipsis with eight groups", []byte("PROXY TCP6 1::2:3:4:5:6:7:8 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 five-digit group", []byte("PROXY TCP6 12345::1 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 quad too early", []byte("PROXY TCP6 1:2:3:4:5:1.2.3.4 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 quad not last", []byte("PROXY TCP6 ::1.2.3.4:1 ::1 1 2\r\n"), "invalid source address"},
	{"IPv6 cut short after eight groups", []byte("PROXY TCP6 1:2:3:4:5:6:7:8:"), "invalid source address"},
	{"IPv6 cut short with a quad that cannot fit", []byte("PROXY TCP6 1:2:3:4:5:6:7:1."), "invalid source address"},
	{"IPv6 cut short as a bare quad", []byte("PROXY TCP6 1."), "invalid source address"},

	{"port leading zero", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 080 443\r\n"), `invalid source port "080"`},
	{"port double zero", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 00 443\r\n"), "invalid source port"},
	{"port plus sign", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 +80 443\r\n"), "invalid source port"},
	{"port minus sign", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 -1\r\n"), "invalid destination port"},
	{"port 65536", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 65536 443\r\n"), "invalid source port"},
	{"port cut short at 65536", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 65536"), "invalid source port"},
	{"port hex", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 0x50 443\r\n"), "invalid source port"},
	{"port empty", []byte("PROXY TCP4 1.2.3.4 5.6.7.8  443\r\n"), `invalid source port ""`},
	{"double space between addresses", []byte("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), `invalid destination address ""`},
	{"tab separator", []byte("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"), "invalid source address"},
	{"missing destination port", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80\r\n"), "expected a space after source port"},
	{"trailing space", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 443 \r\n"), "expected CRLF after the destination port"},
	{"extra field", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 443 8080\r\n"), "expected CRLF after the destination port"},
	{"LF without CR", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 443\n"), "LF without CR"},
	{"CR without LF", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 443\rX"), "CR not followed by LF"},
	{"CR between addresses", []byte("PROXY TCP4 1.2.3.4\r\n"), "expected a space after source address"},
}

func TestParseV1Incomplete(t *testing.T) {
	for _, input := range []string{
		"PROXY TCP4 1.2",
		"PROXY TCP4 1.2.",
		"PROXY TCP4 1.2.3.4 5.6.7.8 0",
		"PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r",
		"PROXY TCP6 :",
		"PROXY TCP6 ::ffff:1.",
		"PROXY TCP6 1:2:3:4:5:6:7:",
		"PROXY TCP6 1:2:3:4:5:6:7:8",
		"PROXY TCP6 ::1:2:3:4:5:6",
		"PROXY UNKNOWN anything at all",
		// The longest lines that can still end within 107 bytes.
		"PROXY UNKNOWN " + strings.Repeat("x", 91),
		"PROXY UNKNOWN " + strings.Repeat("x", 91) + "\r",
		"PROXY TCP6 " + longestMixed + " " + longestMixed[:44],
		"PROXY TCP6 " + longestMixed + " " + longestMixed[:44] + " 1 2\r",
	} {
		if _, _, err := Parse([]byte(input)); err != ErrIncomplete {
			t.Errorf("Parse(%q) = %v, want ErrIncomplete", input, err)
		}
	}
}

// The address scanners must agree with net/netip on complete addresses,
// except that zones are refused and each family only takes its own kind.
func TestAddressScannersAgreeWithNetip(t *testing.T) {
	for _, text := range []string{
		"0.0.0.0", "1.2.3.4", "255.255.255.255", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4",
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6::8",
		"::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5::1.2.3.4",
		"1:2:3:4:5:6::1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:01.2.3.4", "::ffff:1.2.3", "ABCD:ef01::",
		":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1::2:3:4:5:6:7:8", "g::", "::1%lo",
		"", "1:2:3:4:5:6:7:8::", "::1.2.3.4:5",
	} {
		want, err := netip.ParseAddr(text)
		ip4, missing4, ok4 := scanIPv4Addr([]byte(text))
		if got := ok4 && missing4 == 0; got != (err == nil && want.Is4()) {
			t.Errorf("scanIPv4(%q) accepted = %v; netip.ParseAddr = %v, %v", text, got, want, err)
		} else if got && ip4 != want {
			t.Errorf("scanIPv4(%q) = %v, want %v", text, ip4, want)
		}
		ip6, missing6, ok6 := scanIPv6Addr([]byte(text))
		if got := ok6 && missing6 == 0; got != (err == nil && want.Is6() && want.Zone() == "") {
			t.Errorf("scanIPv6(%q) accepted = %v; netip.ParseAddr = %v, %v", text, got, want, err)
		} else if got && ip6 != want {
			t.Errorf("scanIPv6(%q) = %v, want %v", text, ip6, want)
		}
	}
}

// missing must be the length of the shortest completion, since the line
// parser relies on it to enforce the 107-byte limit exactly.
func TestScannersReportShortestCompletion(t *testing.T) {
	for _, tc := range []struct {
		scan    func([]byte) (netip.Addr, int, bool)
		partial string
		missing int
	}{
		{scanIPv4Addr, "", len("0.0.0.0")},
		{scanIPv4Addr, "1", len(".0.0.0")},
		{scanIPv4Addr, "1.2.", len("0.0")},
		{scanIPv4Addr, "1.2.3.4", 0},
		{scanIPv6Addr, "", len("::")},
		{scanIPv6Addr, ":", len(":")},
		{scanIPv6Addr, "1", len("::")},
		{scanIPv6Addr, "1:", len(":")},
		{scanIPv6Addr, "1::", 0},
		{scanIPv6Addr, "1:2:3:4:5:6:7", len("::")},
		{scanIPv6Addr, "1:2:3:4:5:6:7:", len("8")},
		{scanIPv6Addr, "::ffff:1.2", len(".0.0")},
		{scanIPv6Addr, "1:2:3:4:5:6:255.255.", len("0.0")},
	} {
		_, missing, ok := tc.scan([]byte(tc.partial))
		if !ok || missing != tc.missing {
			t.Errorf("scan(%q) = missing %d, ok %v; want missing %d", tc.partial, missing, ok, tc.missing)
		}
	}
}
