package main

import (
	"slices"
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
	l := load{port: 5000, mode: modeOneshot, concurrency: 8, duration: 2 * time.Second, timeout: time.Second}
	want := []string{"-addr", "127.0.0.1:5000", "-mode", "oneshot", "-concurrency", "8", "-duration", "2s",
		"-timeout", "1s", "-json", "-linger0"}
	if got := l.args(); !slices.Equal(got, want) {
		t.Errorf("oneshot: %v", got)
	}
	l.mode, l.lines, l.connections = modePersistent, 100, 50
	want = []string{"-addr", "127.0.0.1:5000", "-mode", "persistent", "-concurrency", "8", "-duration", "2s",
		"-timeout", "1s", "-json", "-lines", "100", "-connections", "50"}
	if got := l.args(); !slices.Equal(got, want) {
		t.Errorf("persistent: %v", got)
	}
}

func TestPlan(t *testing.T) {
	cfg := config{workers: []int{1, 2, 4}, concurrency: []int{1, 8, 32}, persistent: true,
		repeat: 3, duration: 2 * time.Second}
	plan := buildPlan(cfg)
	// 3 counts for the three multi-process kinds, once for the two others, then 5 persistent.
	if len(plan) != 3*3+2+5 {
		t.Fatalf("%d instances", len(plan))
	}
	runs, load, _ := estimate(cfg, plan)
	if runs != (33+5)*3 || load != time.Duration(runs)*2*time.Second {
		t.Errorf("runs %d, load %s", runs, load)
	}
	if p := plan[len(plan)-2]; p.kind != reusePort || p.workers != 2 || p.mode != modePersistent ||
		!slices.Equal(p.concurrency, []int{persistentConcurrency}) {
		t.Errorf("persistent SO_REUSEPORT instance: %+v", p)
	}
	if got := persistentWorkers([]int{1, 4}); got != 4 {
		t.Errorf("persistentWorkers without 2: %d", got)
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
	} {
		if got := workersText(tc.kind, tc.n); got != tc.want {
			t.Errorf("workersText(%s, %d) = %q, want %q", tc.kind, tc.n, got, tc.want)
		}
	}
}
