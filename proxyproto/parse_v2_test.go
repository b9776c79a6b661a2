package proxyproto

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// Written out rather than taken from the package, so that a wrong
// signature there cannot go unnoticed.
const testV2Signature = "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A"

const (
	proxyCmd = 0x21 // version 2, PROXY
	localCmd = 0x20 // version 2, LOCAL
)

// v2Header builds a version 2 header whose length field covers body.
func v2Header(versionCommand, family byte, body ...[]byte) []byte {
	payload := bytes.Join(body, nil)
	return v2Raw(versionCommand, family, uint16(len(payload)), payload)
}

// v2Raw builds a version 2 header with any length field.
func v2Raw(versionCommand, family byte, length uint16, payload []byte) []byte {
	header := append([]byte(testV2Signature), versionCommand, family)
	header = binary.BigEndian.AppendUint16(header, length)
	return append(header, payload...)
}

// addresses builds an address block: source and destination addresses, then
// source and destination ports.
func addresses(src, dst netip.AddrPort) []byte {
	block := append(src.Addr().AsSlice(), dst.Addr().AsSlice()...)
	block = binary.BigEndian.AppendUint16(block, src.Port())
	return binary.BigEndian.AppendUint16(block, dst.Port())
}

func tlv(typ byte, value []byte) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{typ}, uint16(len(value))), value...)
}

var (
	src4 = addrPort("192.0.2.1:56324")
	dst4 = addrPort("198.51.100.7:443")
	src6 = addrPort("[2001:db8::1]:40000")
	dst6 = addrPort("[2001:db8:ffff::2]:8443")
	// TLVs a proxy commonly sends: ALPN, authority (SNI), a NOOP pad and a
	// 128-byte unique ID.
	someTLVs = bytes.Join([][]byte{
		tlv(0x01, []byte("h2")),
		tlv(0x02, []byte("example.com")),
		tlv(0x04, nil),
		tlv(0x05, bytes.Repeat([]byte{0xab}, 128)),
	}, nil)
)

var validV2Cases = []validCase{
	{
		name:   "v2 PROXY IPv4",
		header: v2Header(proxyCmd, v2TCP4, addresses(src4, dst4)),
		want:   Header{Version: 2, Source: src4, Dest: dst4},
	},
	{
		name:   "v2 PROXY IPv4 with TLVs",
		header: v2Header(proxyCmd, v2TCP4, addresses(src4, dst4), someTLVs),
		want:   Header{Version: 2, Source: src4, Dest: dst4},
	},
	{
		name:   "v2 PROXY IPv6",
		header: v2Header(proxyCmd, v2TCP6, addresses(src6, dst6)),
		want:   Header{Version: 2, Source: src6, Dest: dst6},
	},
	{
		name:   "v2 PROXY IPv6 with TLVs",
		header: v2Header(proxyCmd, v2TCP6, addresses(src6, dst6), someTLVs),
		want:   Header{Version: 2, Source: src6, Dest: dst6},
	},
	{
		name:   "v2 PROXY IPv4 at the maximum length",
		header: v2Header(proxyCmd, v2TCP4, addresses(src4, dst4), tlv(0x04, make([]byte, v2MaxLength-12-3))),
		want:   Header{Version: 2, Source: src4, Dest: dst4},
	},
	{
		name:   "v2 LOCAL",
		header: v2Header(localCmd, v2Unspec),
		want:   Header{Version: 2, Local: true},
	},
	{
		name:   "v2 LOCAL ignores IPv4 addresses",
		header: v2Header(localCmd, v2TCP4, addresses(src4, dst4)),
		want:   Header{Version: 2, Local: true},
	},
	{
		name:   "v2 LOCAL ignores a short address block",
		header: v2Header(localCmd, v2TCP6, []byte{1, 2, 3}),
		want:   Header{Version: 2, Local: true},
	},
	{
		name:   "v2 LOCAL ignores a UDP family",
		header: v2Header(localCmd, v2UDP4),
		want:   Header{Version: 2, Local: true},
	},
	{
		name:   "v2 PROXY AF_UNSPEC",
		header: v2Header(proxyCmd, v2Unspec),
		want:   Header{Version: 2, Local: true},
	},
	{
		name:   "v2 PROXY AF_UNSPEC skips its addresses",
		header: v2Header(proxyCmd, v2Unspec, []byte("opaque")),
		want:   Header{Version: 2, Local: true},
	},
}

func signatureWithByte(i int, b byte) []byte {
	sig := []byte(testV2Signature)
	sig[i] = b
	return sig
}

var invalidV2Cases = []invalidCase{
	{"v2 signature wrong in byte 5", signatureWithByte(4, 0x01), "no PROXY header"},
	{"v2 signature wrong in byte 12", signatureWithByte(11, 0x0D), "no PROXY header"},
	{"v2 signature cut short and wrong", []byte("\r\n\r\nX"), "no PROXY header"},
	// Each fixed byte is judged as soon as it arrives.
	{"v2 version 1", []byte(testV2Signature + "\x11"), "unsupported version 1"},
	{"v2 version 3", []byte(testV2Signature + "\x31"), "unsupported version 3"},
	{"v2 command 2", []byte(testV2Signature + "\x22"), "unknown command 0x2"},
	{"v2 command 15", []byte(testV2Signature + "\x2F"), "unknown command 0xf"},
	{"v2 UDP over IPv4", []byte(testV2Signature + "\x21\x12"), "UDP is not supported"},
	{"v2 UDP over IPv6", []byte(testV2Signature + "\x21\x22"), "UDP is not supported"},
	{"v2 AF_UNIX stream", []byte(testV2Signature + "\x21\x31"), "AF_UNIX is not supported"},
	{"v2 AF_UNIX datagram", []byte(testV2Signature + "\x21\x32"), "AF_UNIX is not supported"},
	{"v2 undefined family", []byte(testV2Signature + "\x21\x41"), "invalid address family and transport 0x41"},
	{"v2 undefined transport", []byte(testV2Signature + "\x21\x13"), "invalid address family and transport 0x13"},
	{"v2 AF_UNSPEC over STREAM", []byte(testV2Signature + "\x21\x01"), "invalid address family and transport 0x01"},
	{"v2 AF_INET without transport", []byte(testV2Signature + "\x21\x10"), "invalid address family and transport 0x10"},
	{"v2 LOCAL with undefined family", []byte(testV2Signature + "\x20\xff"), "invalid address family and transport 0xff"},
	{"v2 IPv4 length 0", v2Raw(proxyCmd, v2TCP4, 0, nil), "length 0 is shorter than the 12-byte address block"},
	{"v2 IPv4 length 11", v2Raw(proxyCmd, v2TCP4, 11, nil), "length 11 is shorter than the 12-byte address block"},
	{"v2 IPv6 length 35", v2Raw(proxyCmd, v2TCP6, 35, nil), "length 35 is shorter than the 36-byte address block"},
	{"v2 IPv6 with IPv4 address block", v2Header(proxyCmd, v2TCP6, addresses(src4, dst4)), "shorter than the 36-byte address block"},
	{"v2 length one over the maximum", v2Raw(proxyCmd, v2TCP4, v2MaxLength+1, nil), "length 521 exceeds the 520 bytes accepted"},
	{"v2 length 65535", v2Raw(localCmd, v2Unspec, 0xffff, nil), "length 65535 exceeds"},
}

func TestParseV2Incomplete(t *testing.T) {
	for _, input := range [][]byte{
		[]byte(testV2Signature),
		[]byte(testV2Signature + "\x21"),
		[]byte(testV2Signature + "\x21\x11"),
		[]byte(testV2Signature + "\x21\x11\x00"),
		v2Raw(proxyCmd, v2TCP4, 12, nil),
		v2Raw(proxyCmd, v2TCP6, 40, addresses(src6, dst6)), // TLV bytes still missing
		v2Raw(localCmd, v2Unspec, v2MaxLength, make([]byte, v2MaxLength-1)),
	} {
		if _, _, err := Parse(input); err != ErrIncomplete {
			t.Errorf("Parse(%q) = %v, want ErrIncomplete", input, err)
		}
	}
}
