package main

import (
	"math"
	"strings"
	"testing"
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
		{rowKey: rowKey{ssEvent, modeOneshot, 2, 8}, samples: []sample{
			{connsPerSec: 5000.4, reqsPerSec: 5000.4, p50us: 1234, p99us: 7130, spread: 1.05, connections: 10000, errors: 0},
		}},
		{rowKey: rowKey{plainTcl, modeOneshot, 1, 8}, samples: []sample{
			{connsPerSec: 11603, reqsPerSec: 11603, p50us: 420, p99us: 6660, spread: math.NaN(), connections: 20000, errors: 25},
		}},
		{rowKey: rowKey{reusePort, modePersistent, 4, 8}, samples: []sample{
			{connsPerSec: 300, reqsPerSec: 30000, p50us: 90, p99us: 800, spread: math.Inf(1), connections: 600},
		}},
		{rowKey: rowKey{goEcho, modeOneshot, 1, 32}, failed: "did not start"},
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
	width := len(lines[0])
	for i, l := range lines {
		if len(l) != width {
			t.Errorf("line %d is %d wide, the header %d: columns do not line up\n%s", i, len(l), width, got)
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
