package main

import (
	"os"
	"testing"
)

// testdata/strace-c-f.txt is the summary `strace -c -f -p SERVER -o FILE` wrote for a
// socketserver server (2 workers) over 2000 oneshot connections.
func TestParseStraceSummaryCaptured(t *testing.T) {
	text, err := os.ReadFile("testdata/strace-c-f.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseStraceSummary(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.total != 17877 || s.errors != 2402 {
		t.Errorf("total %d calls, %d errors; want 17877, 2402", s.total, s.errors)
	}
	if len(s.calls) != 14 {
		t.Fatalf("%d syscalls, want 14: %+v", len(s.calls), s.calls)
	}
	want := map[string][2]int64{"futex": {3701, 388}, "read": {4000, 2000}, "sendmsg": {2000, 0},
		"accept4": {2013, 13}, "restart_syscall": {1, 1}, "pread64": {3, 0}}
	var sum int64
	for _, c := range s.calls {
		sum += c.calls
		if w, ok := want[c.name]; ok && (c.calls != w[0] || c.errors != w[1]) {
			t.Errorf("%s: %d calls, %d errors; want %v", c.name, c.calls, c.errors, w)
		}
	}
	if sum != s.total {
		t.Errorf("rows add up to %d, total says %d", sum, s.total)
	}
	if s.calls[0].name != "futex" || s.calls[len(s.calls)-1].name != "restart_syscall" {
		t.Errorf("order not kept: first %s, last %s", s.calls[0].name, s.calls[len(s.calls)-1].name)
	}
}

// An older strace leaves usecs/call out of the total line; a row without errors has an
// empty errors cell. Counting words would mix the two up.
func TestParseStraceSummaryEmptyCells(t *testing.T) {
	text := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 70.00    0.000700          70        10           sendmsg
 30.00    0.000300          10        30         5 read
------ ----------- ----------- --------- --------- ----------------
100.00    0.001000                    40         5 total
`
	s, err := parseStraceSummary(text)
	if err != nil {
		t.Fatal(err)
	}
	if s.total != 40 || s.errors != 5 {
		t.Errorf("total %d, errors %d; want 40, 5", s.total, s.errors)
	}
	if len(s.calls) != 2 || s.calls[0] != (syscallCount{"sendmsg", 10, 0}) || s.calls[1] != (syscallCount{"read", 30, 5}) {
		t.Errorf("calls = %+v", s.calls)
	}
}

func TestParseStraceSummaryTwoPersonalities(t *testing.T) {
	table := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
100.00    0.000100          10        10           close
------ ----------- ----------- --------- --------- ----------------
100.00    0.000100          10        10           total
`
	s, err := parseStraceSummary("System call usage summary for 64 bit mode:\n" + table +
		"System call usage summary for 32 bit mode:\n" + table)
	if err != nil {
		t.Fatal(err)
	}
	if s.total != 20 || len(s.calls) != 2 {
		t.Errorf("total %d over %d rows; want 20 over 2", s.total, len(s.calls))
	}
}

func TestParseStraceSummaryRejects(t *testing.T) {
	for name, text := range map[string]string{
		"empty":      "",
		"no total":   "% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ---\n 1.00 0.1 1 10  read\n",
		"bad number": "% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ---\n100.00    0.000100          10        1x           total\n",
	} {
		if _, err := parseStraceSummary(text); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
