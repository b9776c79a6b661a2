package main

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFormatTable(t *testing.T) {
	got := formatTable([]string{"name", "n"}, []bool{false, true}, [][]string{{"a", "1"}, {"longer", "12345"}})
	want := "" +
		"| name   |     n |\n" +
		"| ------ | ----: |\n" +
		"| a      |     1 |\n" +
		"| longer | 12345 |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestResultsTable(t *testing.T) {
	rows := []row{
		{rowKey: rowKey{member{kind: ssEvent}, modeOneshot, 2, 8}, samples: []sample{
			{connsPerSec: 5000.4, reqsPerSec: 5000.4, p50us: 1234, p99us: 7130, spread: 1.05, connections: 10000, errors: 0},
		}},
		{rowKey: rowKey{member{kind: plainTcl}, modeOneshot, 1, 8}, samples: []sample{
			{connsPerSec: 11603, reqsPerSec: 11603, p50us: 420, p99us: 6660, spread: math.NaN(), connections: 20000, errors: 25},
		}},
		{rowKey: rowKey{member{kind: reusePort}, modePersistent, 4, 8}, samples: []sample{
			{connsPerSec: 300, reqsPerSec: 30000, p50us: 90, p99us: 800, spread: math.Inf(1), connections: 600},
		}},
		{rowKey: rowKey{member{kind: goEcho}, modeOneshot, 1, 32}, failed: "did not start"},
	}
	got := resultsTable(rows)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6:\n%s", len(lines), got)
	}
	for i, want := range []string{
		"| server ",
		"| ------",
		"| socketserver event | oneshot    |       2 |    8 |        5000 |  5000 |   1.23 |   7.13 |   1.05 |            0 |",
		"| plain Tcl socket   | oneshot    |       - |    8 |       11603 | 11603 |   0.42 |   6.66 |      - | 25 (0.12%) |",
		"| SO_REUSEPORT       | persistent |       4 |    8 |         300 | 30000 |   0.09 |   0.80 |    inf |            0 |",
		"| goecho             | oneshot    |       - |   32 | failed: did not start |",
	} {
		fields := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		if !strings.HasPrefix(fields(lines[i]), fields(want)) {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want)
		}
	}
	width := utf8.RuneCountInString(lines[0])
	for i, l := range lines {
		if utf8.RuneCountInString(l) != width {
			t.Errorf("line %d is %d wide, the header %d: columns do not line up\n%s", i, len(l), width, got)
		}
	}
}

// A socketserver row's CPU and switches per connection are sums over its measured runs,
// its ratio is against the original's row of the same kind, workers and concurrency.
func TestResultsTableAgainstOriginal(t *testing.T) {
	ours := rowKey{member{kind: ssImmediate}, modeOneshot, 2, 32}
	orig := ours
	orig.variant = variant{original: true}
	other := ours
	other.concurrency = 8 // no original row at c=8
	used := func(serverMs, workersMs, serverCS, workersCS int64) (usage, usage) {
		return usage{time.Duration(serverMs) * time.Millisecond, serverCS}, usage{time.Duration(workersMs) * time.Millisecond, workersCS}
	}
	s1, w1 := used(300, 600, 15000, 40000)
	s2, w2 := used(100, 200, 5000, 0)
	s3, w3 := used(110, 350, 4000, 4000)
	unmeasured, _ := used(9000, 9000, 9000, 9000)
	rows := []row{
		{rowKey: ours, samples: []sample{
			{connsPerSec: 7000, p99us: 3000, connections: 10000, server: s1, workers: w1, measured: true, withWorkers: true},
			{connsPerSec: 8000, p99us: 2000, connections: 10000, server: s2, workers: w2, measured: true, withWorkers: true},
			{connsPerSec: 9000, p99us: 1000, connections: 10000, server: unmeasured, workers: unmeasured},
		}},
		{rowKey: orig, samples: []sample{
			{connsPerSec: 10000, p99us: 2500, connections: 10000, server: s3, workers: w3, measured: true, withWorkers: true},
		}},
		{rowKey: other, samples: []sample{{connsPerSec: 1, connections: 10}}},
	}
	got := resultsTable(rows)
	fields := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	for i, want := range []string{
		// 20,000 measured connections: 400 ms and 800 ms of CPU, 20,000 and 40,000 switches.
		"| socketserver immediate | oneshot | 2 | 32 | 8000 | 0 | 0.00 | 2.00 | 0.00 | 0 | 20.0 | 40.0 | 1.00 | 2.00 | 0.80 |",
		"| original immediate | oneshot | 2 | 32 | 10000 | 0 | 0.00 | 2.50 | 0.00 | 0 | 11.0 | 35.0 | 0.40 | 0.40 | - |",
		"| socketserver immediate | oneshot | 2 | 8 | 1 | 0 | 0.00 | 0.00 | 0.00 | 0 | - | - | - | - | - |",
	} {
		if got := fields(lines[i+2]); got != want {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// The HTTP table compares the socketserver workers' rate with the original's and the
// single-process httpd's; a server without workers shows "-" for theirs.
func TestHTTPTable(t *testing.T) {
	ours := rowKey{member{kind: httpdWorkers}, modeHTTP, 2, 16}
	orig, single := ours, ours
	orig.variant = variant{original: true}
	single.member = member{kind: httpdSingle}
	rows := []row{
		{rowKey: rowKey{member{kind: goEcho}, modeOneshot, 1, 8}, samples: []sample{{connsPerSec: 5}}},
		{rowKey: ours, samples: []sample{{reqsPerSec: 1200, connsPerSec: 1200, p50us: 9000, p99us: 20000, connections: 3600,
			errors: 2, server: usage{cpu: 360 * time.Millisecond}, workers: usage{cpu: 3600 * time.Millisecond}, measured: true, withWorkers: true}}},
		{rowKey: orig, samples: []sample{{reqsPerSec: 1000, connsPerSec: 1000}}},
		{rowKey: single, samples: []sample{{reqsPerSec: 600, connsPerSec: 600, connections: 1800,
			server: usage{cpu: 2700 * time.Millisecond, switches: 3600}, measured: true}}},
	}
	got := httpTable(rows)
	fields := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want the header, its rule and 3 HTTP rows:\n%s", len(lines), got)
	}
	for i, want := range []string{
		"| socketserver httpd | 2 | 16 | 1200 | 9.00 | 20.00 | 2 | 100.0 | 1000.0 | 0.00 | 0.00 | 1.20 | 2.00 |",
		"| original httpd | 2 | 16 | 1000 | 0.00 | 0.00 | 0 | - | - | - | - | - | 1.67 |",
		"| single-process httpd | - | 16 | 600 | 0.00 | 0.00 | 0 | 1500.0 | - | 2.00 | - | - | - |",
	} {
		if got := fields(lines[i+2]); got != want {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"benchrun", "-command", "make bench", "-out", "", "it's"})
	want := `benchrun -command 'make bench' -out '' 'it'\''s'`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
