package server

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// handoffReport is what the started program writes: its environment's LISTEN_* variables,
// its own pid, and what its descriptor 3 is (written to a temporary name and renamed, so
// the test never reads half of it).
const handoffReport = `{
	echo "${LISTEN_PID-unset} $$ ${LISTEN_FDS-unset} ${LISTEN_FDNAMES-unset}"
	readlink /proc/$$/fd/3
} > "$1.tmp" && mv "$1.tmp" "$1"`

// Handoff starts a program with the listening sockets as systemd passes them: descriptor 3
// is the very socket this server listens on, LISTEN_FDS counts them, LISTEN_PID is the
// program's own pid (stale LISTEN_* variables are dropped), and this server keeps serving.
func TestHandoffPassesTheListenersTheSystemdWay(t *testing.T) {
	s, _ := listen(t, loopback())
	out := filepath.Join(t.TempDir(), "handoff")
	env := []string{"PATH=/usr/bin:/bin", "LISTEN_PID=1", "LISTEN_FDS=9", "LISTEN_FDNAMES=stale"}
	pid, err := s.Handoff([]string{"/bin/sh", "-c", handoffReport, "sh", out}, env)
	if err != nil {
		t.Fatalf("Handoff: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(waitForFile(t, out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("the program wrote %q", lines)
	}
	want := strconv.Itoa(pid) + " " + strconv.Itoa(pid) + " 1 unset"
	if lines[0] != want {
		t.Errorf("LISTEN_PID, $$, LISTEN_FDS, LISTEN_FDNAMES = %q, want %q", lines[0], want)
	}
	var listener string
	s.Listeners(func(fds []int) { listener, _ = os.Readlink("/proc/self/fd/" + strconv.Itoa(fds[0])) })
	if lines[1] != listener {
		t.Errorf("the program's descriptor 3 is %q, want the server's listening socket %q", lines[1], listener)
	}
	assertServes(t, s, "127.0.0.1")
}

func TestHandoffAfterCloseFails(t *testing.T) {
	s, _ := listen(t, loopback())
	closeWithin(t, s)
	if _, err := s.Handoff([]string{"/bin/true"}, nil); !errors.Is(err, unix.ESHUTDOWN) {
		t.Fatalf("Handoff after Close: %v, want ESHUTDOWN", err)
	}
}

// waitForFile waits for a file another process writes and returns its contents.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			return string(data)
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("%s not written within %v: %v", path, eventTimeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
