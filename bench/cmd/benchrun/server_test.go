package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These drive startServer and stop with sh scripts standing in for the servers.

func shServer(t *testing.T, script string, wait time.Duration) (*server, error) {
	t.Helper()
	return startServer([]string{"/bin/sh", "-c", script}, filepath.Join(t.TempDir(), "log"), wait)
}

func TestServerStartStop(t *testing.T) {
	s, err := shServer(t, `echo "pids $$"; echo port 4711; cat >/dev/null`, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.port != 4711 || len(s.pids) != 1 || s.pids[0] != s.cmd.Process.Pid {
		t.Errorf("port %d, pids %v (process %d)", s.port, s.pids, s.cmd.Process.Pid)
	}
	if problems := s.stop(5 * time.Second); len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
}

func TestServerStartFailures(t *testing.T) {
	for name, script := range map[string]string{
		"exits":      `echo oops >&2; exit 1`,
		"bad line":   `echo hello; cat >/dev/null`,
		"never says": `exec sleep 30`,
	} {
		start := time.Now()
		_, err := shServer(t, script, 500*time.Millisecond)
		if err == nil {
			t.Errorf("%s: started", name)
			continue
		}
		if time.Since(start) > 8*time.Second {
			t.Errorf("%s: took %s", name, time.Since(start))
		}
		if name == "exits" && !strings.Contains(err.Error(), "oops") {
			t.Errorf("%s: the error does not quote the log: %v", name, err)
		}
	}
}

func TestServerStopKillsStragglers(t *testing.T) {
	for name, tc := range map[string]struct {
		script string
		want   []string
	}{
		// Exits when its stdin closes, but leaves its "worker" behind.
		"worker left": {`sleep 30 & echo "pids $$ $!"; echo port 1; cat >/dev/null`, []string{"a worker of pid"}},
		// Ignores its stdin: killed, its worker with it.
		"server stuck": {`sleep 30 & echo "pids $$ $!"; echo port 1; exec sleep 30`, []string{"after its stdin closed; killed"}},
	} {
		s, err := shServer(t, tc.script, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(s.pids) != 2 {
			t.Fatalf("%s: pids %v", name, s.pids)
		}
		problems := s.stop(300 * time.Millisecond)
		if len(problems) != len(tc.want) {
			t.Errorf("%s: problems %q, want %q", name, problems, tc.want)
		}
		for i := range min(len(problems), len(tc.want)) {
			if !strings.Contains(problems[i], tc.want[i]) {
				t.Errorf("%s: problem %q, want %q", name, problems[i], tc.want[i])
			}
		}
		for _, pid := range s.pids {
			if !waitGone(pid, 5*time.Second) {
				t.Errorf("%s: pid %d still running", name, pid)
			}
		}
	}
}
