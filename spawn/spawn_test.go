package spawn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// eventTimeout bounds every wait for a child process; quietPeriod is how long a test
// watches for something that must not happen (a child dying).
const (
	eventTimeout = 5 * time.Second
	quietPeriod  = 300 * time.Millisecond
)

// listFDs is a shell program that prints the descriptors the shell itself holds, one a
// line: ls, a child of the shell (not exec'd: the shell has more to do), lists them from
// outside, so the directory ls reads is not among them.
const listFDs = `ls /proc/$$/fd && exit 0; exit 1`

// devNull is /dev/null, open (close-on-exec) until the test ends.
func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// pipe is an os.Pipe whose ends are closed when the test ends (closing twice is harmless).
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// readAll reads r to end of file, failing the test if that takes longer than eventTimeout.
func readAll(t *testing.T, r *os.File) string {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(eventTimeout))
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the child's output: %v", err)
	}
	return string(data)
}

// waitWithin waits for a child of this process to exit; if it has not within eventTimeout
// the test kills it (it is the test's own child) and fails.
func waitWithin(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	done := make(chan syscall.WaitStatus, 1)
	go func() { done <- Wait(pid) }()
	select {
	case status := <-done:
		return status
	case <-time.After(eventTimeout):
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
		t.Fatalf("process %d did not exit within %v", pid, eventTimeout)
		return 0
	}
}

// run starts argv with stdin and stderr on /dev/null, stdout on a pipe, and extra as
// descriptors 3 and up; it returns what the program wrote and how it exited.
func run(t *testing.T, argv, env []string, extra ...uintptr) (string, syscall.WaitStatus) {
	t.Helper()
	null := devNull(t)
	r, w := pipe(t)
	files := append([]uintptr{null.Fd(), w.Fd(), null.Fd()}, extra...)
	pid, err := Start(Process{Argv: argv, Env: env, Files: files})
	if err != nil {
		t.Fatalf("Start(%q): %v", argv, err)
	}
	w.Close() // the child's copy is the only one left: end of file when it exits
	out := readAll(t, r)
	return out, waitWithin(t, pid)
}

func assertExitedOK(t *testing.T, status syscall.WaitStatus) {
	t.Helper()
	if !status.Exited() || status.ExitStatus() != 0 {
		t.Fatalf("child ended with %v, want exit status 0", status)
	}
}

// childFDs runs listFDs with extra as descriptors 3 and up and returns the descriptors
// the child had, in numeric order.
func childFDs(t *testing.T, extra ...uintptr) []string {
	t.Helper()
	out, status := run(t, []string{"/bin/sh", "-c", listFDs}, nil, extra...)
	assertExitedOK(t, status)
	return numerically(strings.Fields(out))
}

func numerically(fds []string) []string {
	slices.SortFunc(fds, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return fds
}

// The child has exactly the descriptors in Files, descriptor i being Files[i], and none of
// the close-on-exec descriptors this process holds (every one Go opens).
func TestStartPassesExactlyItsFiles(t *testing.T) {
	cases := []struct {
		name  string
		extra func(t *testing.T) []uintptr // descriptors 3 and up
		want  []string
	}{
		{"stdio only", func(*testing.T) []uintptr { return nil }, []string{"0", "1", "2"}},
		{"one more", func(t *testing.T) []uintptr {
			_, w := pipe(t)
			return []uintptr{w.Fd()}
		}, []string{"0", "1", "2", "3"}},
		{"the same descriptor twice", func(t *testing.T) []uintptr {
			_, w := pipe(t)
			return []uintptr{w.Fd(), w.Fd()}
		}, []string{"0", "1", "2", "3", "4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := childFDs(t, tc.extra(t)...); !slices.Equal(got, tc.want) {
				t.Errorf("the child holds descriptors %q, want exactly %q", got, tc.want)
			}
		})
	}
}

// Files[i] is what the child has as descriptor i: bytes written to its descriptor 3 come
// out of the pipe the test passed there.
func TestStartFileIsTheOnePassed(t *testing.T) {
	r, w := pipe(t)
	out, status := run(t, []string{"/bin/sh", "-c", "echo through-3 >&3; echo through-1"}, nil, w.Fd())
	assertExitedOK(t, status)
	w.Close()
	if got := readAll(t, r); got != "through-3\n" {
		t.Errorf("descriptor 3's pipe carried %q, want %q", got, "through-3\n")
	}
	if out != "through-1\n" {
		t.Errorf("stdout carried %q, want %q", out, "through-1\n")
	}
}

// A descriptor this process holds without close-on-exec (one a C library opened, or one
// the process was started with) is not among the child's: Start passes exactly Files.
func TestStartDoesNotLeakInheritableDescriptors(t *testing.T) {
	fd, err := unix.Open(os.DevNull, unix.O_RDONLY, 0) // deliberately not O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if got, want := childFDs(t), []string{"0", "1", "2"}; !slices.Equal(got, want) {
		t.Errorf("the child holds descriptors %q, want exactly %q (descriptor %d, opened by this test without close-on-exec, must not reach it)", got, want, fd)
	}
}

// The child's environment is Env, exactly, in order; nil means an empty one.
func TestStartPassesExactlyItsEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  []string
	}{
		{"none", nil},
		{"some", []string{"A=1", "SPACES=two words", "EMPTY=", "PATH=/nonexistent"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, status := run(t, []string{"/usr/bin/env"}, tc.env)
			assertExitedOK(t, status)
			got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				got = nil
			}
			if !slices.Equal(got, tc.env) {
				t.Errorf("the child's environment is %q, want %q", got, tc.env)
			}
		})
	}
}

// Argv[0] is the program and the whole of Argv is its argument vector.
func TestStartPassesArgv(t *testing.T) {
	out, status := run(t, []string{"/bin/sh", "-c", `printf '%s|' "$0" "$@"`, "name", "a b", ""}, nil)
	assertExitedOK(t, status)
	if want := "name|a b||"; out != want {
		t.Errorf("the child saw arguments %q, want %q", out, want)
	}
}

// Wait returns how the process ended: its exit status or the signal that killed it.
func TestWaitReturnsTheExitStatus(t *testing.T) {
	cases := []struct {
		name   string
		script string
		check  func(syscall.WaitStatus) bool
	}{
		{"exit 0", "exit 0", func(s syscall.WaitStatus) bool { return s.Exited() && s.ExitStatus() == 0 }},
		{"exit 7", "exit 7", func(s syscall.WaitStatus) bool { return s.Exited() && s.ExitStatus() == 7 }},
		{"killed by SIGTERM", "kill -TERM $$", func(s syscall.WaitStatus) bool {
			return s.Signaled() && s.Signal() == syscall.SIGTERM
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, status := run(t, []string{"/bin/sh", "-c", tc.script}, nil); !tc.check(status) {
				t.Errorf("Wait returned %v (exited %v, status %d, signaled %v, signal %v)", status,
					status.Exited(), status.ExitStatus(), status.Signaled(), status.Signal())
			}
		})
	}
}

// Waiting for a process already reaped returns at once (ECHILD, status unknown) rather
// than blocking.
func TestWaitForAReapedProcessReturns(t *testing.T) {
	pid, err := Start(Process{Argv: []string{"/bin/true"}})
	if err != nil {
		t.Fatal(err)
	}
	assertExitedOK(t, waitWithin(t, pid))
	waitWithin(t, pid) // a second Wait: ECHILD, must not block
}

func TestStartErrors(t *testing.T) {
	cases := []struct {
		name  string
		argv  []string
		errno syscall.Errno // 0: any error
	}{
		{"no program", nil, 0},
		{"no such program", []string{"/nonexistent/program"}, syscall.ENOENT},
		{"not executable", []string{"/dev/null"}, syscall.EACCES},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pid, err := Start(Process{Argv: tc.argv})
			if err == nil {
				waitWithin(t, pid)
				t.Fatalf("Start(%q) started process %d", tc.argv, pid)
			}
			if tc.errno != 0 && !errors.Is(err, tc.errno) {
				t.Errorf("Start(%q): %v, want %v", tc.argv, err, tc.errno)
			}
		})
	}
}

// Many goroutines may start processes at once; each gets its own.
func TestStartConcurrently(t *testing.T) {
	const n = 16
	var wg sync.WaitGroup
	pids := make(chan int, n)
	for range n {
		wg.Go(func() {
			pid, err := Start(Process{Argv: []string{"/bin/true"}})
			if err != nil {
				t.Errorf("Start: %v", err)
				return
			}
			pids <- pid
		})
	}
	wg.Wait()
	close(pids)
	seen := map[int]bool{}
	for pid := range pids {
		if seen[pid] {
			t.Errorf("pid %d returned twice", pid)
		}
		seen[pid] = true
		assertExitedOK(t, waitWithin(t, pid))
	}
}

// --- the parent-death signal ------------------------------------------------------------

// becomeSubreaper makes this process adopt its orphaned descendants, so a test can wait for
// a grandchild whose parent (a helper process) has exited, and learn how it ended.
var becomeSubreaper = sync.OnceValue(func() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
})

const helperEnv = "SPAWN_TEST_HELPER"

// TestSpawnHelperProcess is not a test: re-run as a child of the test (with helperEnv set
// to "true" or "false"), it starts `sleep` with DieWithServer as it says, prints its pid,
// and exits, so the sleep loses its parent.
func TestSpawnHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("a helper process for the parent-death signal tests")
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pid, err := Start(Process{
		Argv:          []string{"/bin/sleep", "30"},
		Files:         []uintptr{null.Fd(), null.Fd(), null.Fd()}, // not the test's output pipe
		DieWithServer: mode == "true",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(pid)
	os.Exit(0)
}

// orphanSleep runs the helper process, which starts `sleep 30` and exits, and returns the
// pid of the sleep, now this (subreaper) process's child.
func orphanSleep(t *testing.T, dieWithServer bool) int {
	t.Helper()
	if err := becomeSubreaper(); err != nil {
		t.Skipf("cannot become a child subreaper: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpawnHelperProcess$")
	// GORACE: no second's sleep at exit when the test binary has the race detector.
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.FormatBool(dieWithServer), "GORACE=atexit_sleep_ms=0")
	cmd.WaitDelay = eventTimeout
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper process: %v (%s)", err, out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("helper process printed %q", out)
	}
	return pid
}

// waitForChild waits up to d for child pid to end; ok is false if it is still running.
func waitForChild(t *testing.T, pid int, d time.Duration) (status unix.WaitStatus, ok bool) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		got, err := unix.Wait4(pid, &status, unix.WNOHANG, nil)
		if err != nil && !errors.Is(err, unix.EINTR) {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		if got == pid {
			return status, true
		}
		if !time.Now().Before(deadline) {
			return status, false
		}
	}
}

// killChild kills a child the test started (through its helper) and reaps it.
func killChild(t *testing.T, pid int) {
	t.Helper()
	syscall.Kill(pid, syscall.SIGKILL)
	if _, ok := waitForChild(t, pid, eventTimeout); !ok {
		t.Errorf("process %d survived SIGKILL for %v", pid, eventTimeout)
	}
}

// DieWithServer: when the process that started it dies, the child gets SIGTERM.
func TestDieWithServerEndsTheChildWithItsParent(t *testing.T) {
	pid := orphanSleep(t, true)
	status, ok := waitForChild(t, pid, eventTimeout)
	if !ok {
		killChild(t, pid)
		t.Fatalf("sleep %d outlived its parent by %v although started with DieWithServer", pid, eventTimeout)
	}
	if !status.Signaled() || status.Signal() != unix.SIGTERM {
		t.Errorf("sleep ended with %v, want killed by SIGTERM", status)
	}
}

// Without DieWithServer the child outlives the process that started it.
func TestWithoutDieWithServerTheChildSurvives(t *testing.T) {
	pid := orphanSleep(t, false)
	if status, ended := waitForChild(t, pid, quietPeriod); ended {
		t.Fatalf("sleep %d ended (%v) with its parent although started without DieWithServer", pid, status)
	}
	killChild(t, pid)
}

// The parent-death signal follows the process, not the goroutine or thread that called
// Start: a child started from a locked thread that then exits keeps running.
func TestDieWithServerIgnoresTheCallersThread(t *testing.T) {
	null := devNull(t)
	started := make(chan int, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread exits with the goroutine
		pid, err := Start(Process{Argv: []string{"/bin/sleep", "30"},
			Files: []uintptr{null.Fd(), null.Fd(), null.Fd()}, DieWithServer: true})
		if err != nil {
			t.Errorf("Start: %v", err)
		}
		started <- pid
	}()
	pid := <-started
	if pid == 0 {
		return
	}
	defer killChild(t, pid)
	if status, ended := waitForChild(t, pid, quietPeriod); ended {
		t.Fatalf("sleep %d ended (%v) when the thread that asked for it exited", pid, status)
	}
}
