package main

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseServerLine(t *testing.T) {
	pids, port, err := parseServerLine("pids 10 11 12")
	if err != nil || port != 0 || !slices.Equal(pids, []int{10, 11, 12}) {
		t.Errorf("pids line: %v %v %v", pids, port, err)
	}
	if pids, port, err = parseServerLine("port 4711"); err != nil || port != 4711 || pids != nil {
		t.Errorf("port line: %v %v %v", pids, port, err)
	}
	for _, bad := range []string{"", "port", "port 1 2", "port 70000", "port x", "hello 1", "pids 1 -2"} {
		if _, _, err := parseServerLine(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	kb, err := parseVmRSS("Name:\ttclsh\nVmPeak:\t  20000 kB\nVmRSS:\t    9876 kB\nThreads:\t7\n")
	if err != nil || kb != 9876 {
		t.Errorf("got %d, %v", kb, err)
	}
	if _, err := parseVmRSS("Name:\tkthreadd\n"); err == nil {
		t.Error("no VmRSS: no error")
	}
}

func TestLoadArgs(t *testing.T) {
	l := load{port: 5000, mode: modeOneshot, concurrency: 8, duration: 2 * time.Second}
	want := []string{"-addr", "127.0.0.1:5000", "-mode", "oneshot", "-concurrency", "8", "-duration", "2s",
		"-timeout", "2s", "-json", "-linger0"}
	if got := l.args(); !slices.Equal(got, want) {
		t.Errorf("oneshot: %v", got)
	}
	l.mode, l.connections = modePersistent, 50
	want = []string{"-addr", "127.0.0.1:5000", "-mode", "persistent", "-concurrency", "8", "-duration", "2s",
		"-timeout", "2s", "-json", "-lines", "100", "-connections", "50"}
	if got := l.args(); !slices.Equal(got, want) {
		t.Errorf("persistent: %v", got)
	}
}

func TestPlan(t *testing.T) {
	cfg := config{workers: []int{1, 2, 4}, concurrency: []int{1, 8, 32}, persistent: true,
		repeat: 3, duration: 2 * time.Second, httpdDuration: 3 * time.Second, httpdWorkers: 2, httpdConcurrency: 16}
	plan := buildPlan(cfg)
	// 3 counts for the three multi-process kinds, once for the two others, 5 persistent, HTTP.
	if len(plan) != 3*3+2+5+1 {
		t.Fatalf("%d instances", len(plan))
	}
	// 33 oneshot and 5 persistent rows; 2 HTTP rows (socketserver's and the single httpd).
	runs, load := loadRuns(cfg, plan)
	if runs != (33+5+2)*3 || load != time.Duration(38*3)*2*time.Second+time.Duration(2*3)*3*time.Second {
		t.Errorf("runs %d, load %s", runs, load)
	}
	if p := plan[len(plan)-3]; p.members[0].kind != reusePort || p.workers != persistentWorkers || p.mode != modePersistent ||
		!slices.Equal(p.concurrency, []int{persistentConcurrency}) {
		t.Errorf("persistent SO_REUSEPORT instance: %+v", p)
	}
}

// With the original, a variant and the HTTP rows, every socketserver group holds this
// package, the variant and the original, and the HTTP group the single-process httpd too.
func TestPlanWithOriginal(t *testing.T) {
	cfg := config{workers: []int{1, 2, 4}, concurrency: []int{1, 8, 32}, persistent: true, repeat: 3,
		duration: 2 * time.Second, original: "/orig", variants: []string{"-queue 8"},
		httpdDuration: 3 * time.Second, httpdWorkers: 2, httpdConcurrency: 16}
	plan := buildPlan(cfg)
	if len(plan) != 3*3+2+5+1 {
		t.Fatalf("%d instances", len(plan))
	}
	names := func(in instance) []string {
		var out []string
		for _, m := range in.members {
			out = append(out, m.String())
		}
		return out
	}
	for _, tc := range []struct {
		in   instance
		want []string
	}{
		{plan[0], []string{"socketserver event", "socketserver -queue 8 event", "original event"}},
		{plan[3], []string{"socketserver immediate", "socketserver -queue 8 immediate", "original immediate"}},
		{plan[6], []string{"plain Tcl socket"}},
		{plan[len(plan)-1], []string{"socketserver httpd", "socketserver -queue 8 httpd", "original httpd", "single-process httpd"}},
	} {
		if got := names(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s: members %q, want %q", tc.in, got, tc.want)
		}
	}
	if h := plan[len(plan)-1]; h.mode != modeHTTP || h.workers != 2 || !slices.Equal(h.concurrency, []int{16}) {
		t.Errorf("HTTP instance: %+v", h)
	}
	// 18 oneshot socketserver rows and 2 persistent ones, 3 members each; 15 + 3 others; 4 HTTP.
	runs, load := loadRuns(cfg, plan)
	if want := (20*3 + 15 + 3 + 4) * 3; runs != want {
		t.Errorf("runs %d, want %d", runs, want)
	}
	if want := time.Duration((20*3+15+3)*3)*2*time.Second + 4*3*3*time.Second; load != want {
		t.Errorf("load %s, want %s", load, want)
	}
}

func TestServerArgv(t *testing.T) {
	cfg := config{tclsh: "tclsh", servers: "/s", build: "/b", original: "/o"}
	for _, tc := range []struct {
		m    member
		want string
	}{
		{member{kind: ssEvent}, "tclsh /s/socketserver.tcl -build /b -options  -workers 2 -handler event -mode oneshot -watchdog 600000"},
		{member{ssImmediate, variant{options: "-queue 8"}}, "tclsh /s/socketserver.tcl -build /b -options -queue 8 -workers 2 -handler immediate -mode oneshot -watchdog 600000"},
		{member{ssEvent, variant{original: true}}, "tclsh /s/socketserver.tcl -original /o -workers 2 -handler event -mode oneshot -watchdog 600000"},
		{member{httpdWorkers, variant{original: true}}, "tclsh /s/httpd.tcl -impl original -original /o -workers 2 -watchdog 600000"},
		{member{kind: httpdSingle}, "tclsh /s/httpd.tcl -impl single -watchdog 600000"},
	} {
		if got := strings.Join(serverArgv(cfg, tc.m, 2, modeOneshot), " "); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.m, got, tc.want)
		}
	}
}

func TestWorkersText(t *testing.T) {
	for _, tc := range []struct {
		kind serverKind
		n    int
		want string
	}{
		{ssEvent, 1, "1 worker"}, {ssImmediate, 4, "4 workers"}, {reusePort, 1, "1 process"},
		{reusePort, 2, "2 processes"}, {plainTcl, 1, "1 process"}, {goEcho, 1, "1 process"},
		{httpdSingle, 2, "1 process"}, {httpdWorkers, 2, "2 workers"},
	} {
		if got := workersText(tc.kind, tc.n); got != tc.want {
			t.Errorf("workersText(%s, %d) = %q, want %q", tc.kind, tc.n, got, tc.want)
		}
	}
}

func TestParseStatTicks(t *testing.T) {
	// A command name with spaces and a parenthesis; utime 1234 and stime 567 (fields 14, 15).
	stat := "4242 (tcl sh) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 3 0 100 20000000 2000 " +
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	if got, err := parseStatTicks(stat); err != nil || got != 1801 {
		t.Errorf("got %d, %v; want 1801", got, err)
	}
	for _, bad := range []string{"", "4242 tclsh S 1", "4242 (tclsh) S 1 2 3", "4242 (t) S 1 2 3 4 5 6 7 8 9 10 x 5 0"} {
		if _, err := parseStatTicks(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseSwitches(t *testing.T) {
	status := "Name:\ttclsh\nThreads:\t1\nvoluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t7\n"
	if got := parseSwitches(status); got != 157 {
		t.Errorf("got %d, want 157", got)
	}
	if got := parseSwitches("Name:\tx\n"); got != 0 {
		t.Errorf("no switch lines: %d", got)
	}
}

// readUsage of this process: CPU time and switches only grow, and a gone PID is an error.
func TestReadUsage(t *testing.T) {
	self := []int{os.Getpid()}
	before, err := readUsage(self)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for spin := time.Now(); time.Since(spin) < 5*time.Millisecond; { // CPU time
		}
		time.Sleep(time.Millisecond) // a voluntary switch
		if u, _ := readUsage(self); u.cpu > before.cpu && u.switches > before.switches {
			return
		}
	}
	t.Errorf("no CPU time or switch counted in 5 s from %+v", before)
}

func TestParseAB(t *testing.T) {
	out := "Server Software:        TclHttpd\nDocument Length:        155 bytes\n\nConcurrency Level:      16\n" +
		"Time taken for tests:   3.001 seconds\nComplete requests:      3954\nFailed requests:        3\n" +
		"   (Connect: 0, Receive: 0, Length: 3, Exceptions: 0)\nNon-2xx responses:      2\n" +
		"Requests per second:    1317.56 [#/sec] (mean)\nTime per request:       12.144 [ms] (mean)\n"
	rep, err := parseAB(out)
	if err != nil || rep.complete != 3954 || rep.failed != 5 || rep.reqsPerSec != 1317.56 {
		t.Errorf("got %+v, %v", rep, err)
	}
	if _, err := parseAB("Complete requests: 5\n"); err == nil {
		t.Error("no failed or rate line: no error")
	}
	p50, p99, err := parseABPercentiles("Percentage served,Time in ms\n0,1.5\n50,10.250\n98,20\n99,31.5\n100,40\n")
	if err != nil || p50 != 10250 || p99 != 31500 {
		t.Errorf("percentiles %v %v %v", p50, p99, err)
	}
	if _, _, err := parseABPercentiles("Percentage served,Time in ms\n50,1\n"); err == nil {
		t.Error("no 99th percentile: no error")
	}
}

func TestVariantsFlag(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig([]string{"-build", dir, "-bin", dir, "-servers", dir,
		"-original", dir, "-variants", " -queue  8 ; ;-queue 2 -backlog 64"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.variants, []string{"-queue 8", "-queue 2 -backlog 64"}) || cfg.original != dir {
		t.Errorf("variants %q, original %q", cfg.variants, cfg.original)
	}
	if _, err := parseConfig([]string{"-build", dir, "-bin", dir, "-servers", dir, "-original", dir + "/none"},
		io.Discard, io.Discard); err == nil {
		t.Error("a missing -original directory: no error")
	}
}

// -quick shortens the run, but not a length the command line set.
func TestQuickFlag(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig([]string{"-build", dir, "-bin", dir, "-servers", dir, "-quick", "-duration", "3s"},
		io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != 3*time.Second || cfg.repeat != 1 || cfg.httpdDuration != time.Second ||
		!slices.Equal(cfg.workers, []int{2}) || !slices.Equal(cfg.concurrency, []int{8}) || cfg.persistent {
		t.Errorf("-quick -duration 3s: %+v", cfg)
	}
}
