package main

import "testing"

func TestParsePID(t *testing.T) {
	tests := []struct {
		line string
		pid  int
		ok   bool
	}{
		{"4711 ping 17\n", 4711, true},
		{"12\n", 12, true},
		{"12\r\n", 12, true},
		{"  12\tping 3\n", 12, true},
		{"12", 12, true},
		{"x12 ping\n", 0, false},
		{"12x ping\n", 0, false},
		{"-5 ping\n", 0, false},
		{"99999999999999999999 ping\n", 0, false},
		{"\n", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		pid, ok := parsePID([]byte(tt.line))
		if pid != tt.pid || ok != tt.ok {
			t.Errorf("parsePID(%q) = %d, %v; want %d, %v", tt.line, pid, ok, tt.pid, tt.ok)
		}
	}
}

func TestRequestPathDoesNotAllocate(t *testing.T) {
	if got := string(appendRequestLine(nil, 17)); got != "ping 17\n" {
		t.Fatalf("appendRequestLine(17) = %q, want %q", got, "ping 17\n")
	}
	buf := make([]byte, 0, 32)
	reply := []byte("4711 ping 17\n")
	seq := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		seq++
		buf = appendRequestLine(buf[:0], seq)
		if _, ok := parsePID(reply); !ok {
			t.Fatal("parsePID rejected a valid reply")
		}
	})
	if allocs != 0 {
		t.Errorf("building a request and parsing a reply allocates %v times, want 0", allocs)
	}
}
