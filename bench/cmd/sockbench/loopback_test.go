package main

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestResolveLoopbackAccepts(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1:80":          "127.0.0.1:80",
		"127.255.0.9:8080":      "127.255.0.9:8080",
		"[::1]:80":              "[::1]:80",
		"[::ffff:127.0.0.1]:80": "127.0.0.1:80",
	}
	if _, err := net.LookupHost("localhost"); err == nil {
		tests["localhost:80"] = "" // whichever loopback address it names
	}
	for addr, want := range tests {
		got, err := resolveLoopback(addr, time.Second)
		if err != nil {
			t.Errorf("resolveLoopback(%q): %v", addr, err)
			continue
		}
		if !isLoopback(got.Addr()) || (want != "" && got.String() != want) {
			t.Errorf("resolveLoopback(%q) = %v, want %s", addr, got, want)
		}
	}
}

func TestResolveLoopbackRefuses(t *testing.T) {
	for _, addr := range []string{
		"10.0.0.1:80",
		"192.0.2.1:80",
		"0.0.0.0:80",
		"[::]:80",
		"[2001:db8::1]:80",
		"[::ffff:10.0.0.1]:80",
		"128.0.0.1:80",
		":80",
		"127.0.0.1",
		"127.0.0.1:0",
		"127.0.0.1:http",
		"127.0.0.1:70000",
	} {
		if got, err := resolveLoopback(addr, time.Second); err == nil {
			t.Errorf("resolveLoopback(%q) = %v, want an error", addr, got)
		}
	}
}

func TestResolveLoopbackRefusesEmptyHostExplicitly(t *testing.T) {
	// Dialing ":80" would reach the local system; the refusal must say why
	// rather than fail on resolving an empty name.
	if _, err := resolveLoopback(":80", time.Second); err == nil || !strings.Contains(err.Error(), "host is empty") {
		t.Errorf("resolveLoopback(\":80\") error = %v, want one saying the host is empty", err)
	}
}

func TestPickLoopbackChecksEveryAddress(t *testing.T) {
	mixed := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.7")}
	if _, err := pickLoopback("mixed.example", mixed); err == nil || !strings.Contains(err.Error(), "192.0.2.7") {
		t.Errorf("pickLoopback(%v) error = %v, want a refusal naming 192.0.2.7", mixed, err)
	}
	if _, err := pickLoopback("empty.example", nil); err == nil {
		t.Error("pickLoopback with no addresses succeeded, want an error")
	}
	both := []netip.Addr{netip.IPv6Loopback(), netip.MustParseAddr("127.0.0.2")}
	if got, err := pickLoopback("both.example", both); err != nil || got != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("pickLoopback(%v) = %v, %v; want 127.0.0.2 (IPv4 preferred)", both, got, err)
	}
}

func TestRunRefusesNonLoopbackWithStatus2(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-addr", "192.0.2.1:80", "-connections", "1"}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "not a loopback address") {
		t.Errorf("stderr = %q, want it to explain the refusal", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want no report for a refused target", stdout.String())
	}
}
