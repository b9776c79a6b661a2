package pool

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"socketserver/internal/reporttest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
	"socketserver/server"
)

// eventTimeout bounds every wait for something a worker process or the pool does;
// quietPeriod is how long a test watches for something that must not happen.
const (
	eventTimeout = 10 * time.Second
	quietPeriod  = 300 * time.Millisecond
)

// --- the worker program -------------------------------------------------------------------

// The worker the pool runs is this test binary, re-executed in worker mode by a small
// shell script (the pool runs `executable script args...`, and a Go test binary stops
// reading its flags at the first argument that is not one).
const (
	binEnv       = "POOLTEST_BIN"        // the test binary
	modeEnv      = "POOLTEST_MODE"       // "serve"; "linger": ignore SIGTERM, never exit; "stall": ask, never read
	exitAfterEnv = "POOLTEST_EXIT_AFTER" // exit after this many connections (0: never)
	outEnv       = "POOLTEST_OUT"        // a directory for what the script records
)

// TestPoolWorkerProcess is not a test: run by the pool (POOLTEST_MODE set), it is a worker
// speaking the protocol from SOCKETSERVER_WORKER=port:fd:lifeline: READY (one call waiting,
// and how many it has taken), take one connection, answer one line with "<pid> <line>",
// close it, again, until the server closes its pair. It holds its lifeline (never written)
// until it exits.
func TestPoolWorkerProcess(t *testing.T) {
	mode := os.Getenv(modeEnv)
	if mode == "" {
		t.Skip("the worker process of the pool tests")
	}
	os.Exit(runWorker(mode))
}

func runWorker(mode string) int {
	spec := strings.Split(os.Getenv("SOCKETSERVER_WORKER"), ":")
	var fd, lifeline int
	var err error
	if len(spec) == 3 {
		fd, err = strconv.Atoi(spec[1])
		if err == nil {
			lifeline, err = strconv.Atoi(spec[2])
		}
	}
	if len(spec) != 3 || err != nil || fd == lifeline {
		fmt.Fprintf(os.Stderr, "pool test worker: SOCKETSERVER_WORKER=%q\n", os.Getenv("SOCKETSERVER_WORKER"))
		return 2
	}
	_ = lifeline // held open, by not closing it, until this process exits
	if mode == "linger" {
		signal.Ignore(syscall.SIGTERM)
	}
	if dir := os.Getenv(outEnv); dir != "" {
		recordInherited(filepath.Join(dir, strconv.Itoa(os.Getpid())+".fds"))
	}
	if mode == "stall" {
		// Asks for a connection and never takes it: it stays in the pair until this dies.
		workertest.Ready(fd, handover.WorkerState{Waiting: 1, Taken: 0})
		time.Sleep(30 * time.Second) // the test kills it long before; bounded should a test crash
		return 0
	}
	exitAfter, _ := strconv.Atoi(os.Getenv(exitAfterEnv))
	prefix := strconv.Itoa(os.Getpid()) + " "
	for served := 0; exitAfter == 0 || served < exitAfter; served++ {
		if workertest.Ready(fd, handover.WorkerState{Waiting: 1, Taken: uint64(served)}) != nil {
			break
		}
		conn, ok := receive(fd)
		if !ok {
			break // the server closed the pair: retired
		}
		answer(conn, prefix)
	}
	if mode == "linger" {
		time.Sleep(30 * time.Second) // the pool kills it long before; bounded should a test crash
	}
	return 0
}

// recordInherited writes the descriptors this process was started with, one a line with
// what each refers to: the ones without close-on-exec (Go opens every one of its own with
// it, so the others came through exec).
func recordInherited(path string) {
	entries, _ := os.ReadDir("/proc/self/fd")
	var lines []string
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		lines = append(lines, fmt.Sprintf("%d %s", fd, target))
	}
	os.WriteFile(path+".tmp", []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	os.Rename(path+".tmp", path)
}

// receive waits for the server to hand over a connection; false at end of file.
func receive(fd int) (net.Conn, bool) {
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil && !errors.Is(err, unix.EINTR) {
			return nil, false
		}
		cfd, _, ok, err := workertest.RecvConn(fd)
		switch {
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			continue
		case !ok:
			return nil, false
		}
		f := os.NewFile(uintptr(cfd), "connection")
		conn, cerr := net.FileConn(f)
		f.Close()
		if cerr != nil {
			return nil, false
		}
		return conn, true
	}
}

func answer(conn net.Conn, prefix string) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * eventTimeout))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil {
		conn.Write([]byte(prefix + line))
	}
}

// script writes an executable shell script into the test's temporary directory.
func script(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// noExitSleep stops the race detector (when the test binary has it) from sleeping a second
// as each worker exits, which every retire and Stop would wait for.
const noExitSleep = "GORACE=atexit_sleep_ms=0"

// execWorker is the line of a worker script that becomes the worker.
const execWorker = `exec "$POOLTEST_BIN" -test.run='^TestPoolWorkerProcess$'`

// --- pools --------------------------------------------------------------------------------

// recorder keeps what a server or pool reports (see internal/reporttest).
type recorder = reporttest.Recorder

var newRecorder = reporttest.New

// testPool is a pool on a loopback server, both ended when the test ends (the pool first).
type testPool struct {
	*Pool
	t   *testing.T
	srv *server.Server
	rec *recorder
	cfg Config
}

// startPool starts a pool of serving workers on a new server, after change has adjusted
// the configuration.
func startPool(t *testing.T, change func(c *Config)) *testPool {
	t.Helper()
	o := server.DefaultOptions(0)
	o.MyAddr = "127.0.0.1"
	rec := newRecorder()
	srv, err := server.Listen(o, rec.Report)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(srv.Close)
	cfg := Config{
		Name: "pooltest", Server: srv, Workers: 2,
		Executable: "/bin/sh", Script: script(t, "worker.sh", execWorker),
		Env:         []string{binEnv + "=" + os.Args[0], modeEnv + "=serve", "PATH=/usr/bin:/bin", noExitSleep},
		LibraryDir:  "/nonexistent/lib",
		StopTimeout: server.Millis(eventTimeout.Milliseconds()),
		Report:      rec.Report,
	}
	if change != nil {
		change(&cfg)
	}
	p, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	tp := &testPool{Pool: p, t: t, srv: srv, rec: rec, cfg: cfg}
	t.Cleanup(func() {
		tp.stopWithin(2*time.Second, eventTimeout)
		if left := p.Info().Workers; len(left) > 0 {
			t.Errorf("workers left after Stop: %+v", left)
		}
	})
	return tp
}

// setEnv replaces or adds one variable of a pool configuration's environment.
func setEnv(c *Config, name, value string) {
	c.Env = slices.DeleteFunc(c.Env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	c.Env = append(c.Env, name+"="+value)
}

// stopWithin runs Stop(timeout), failing the test if it has not returned after bound.
func (p *testPool) stopWithin(timeout, bound time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() { p.Stop(timeout); close(done) }()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(bound):
		p.t.Fatalf("Stop(%v) did not return within %v", timeout, bound)
		return 0
	}
}

// waitFor polls cond until it holds, failing the test with describe() after eventTimeout.
func waitFor(t *testing.T, cond func() bool, describe func() string) {
	t.Helper()
	for deadline := time.Now().Add(eventTimeout); !cond(); time.Sleep(5 * time.Millisecond) {
		if !time.Now().Before(deadline) {
			t.Fatalf("%s (waited %v)", describe(), eventTimeout)
		}
	}
}

// pids lists the workers' process ids, oldest first.
func pids(i Info) []int {
	var out []int
	for _, w := range i.Workers {
		out = append(out, w.PID)
	}
	return out
}

// waitRunning waits for exactly n workers, every one running (it has asked the server for
// a connection), and returns their pids.
func (p *testPool) waitRunning(n int) []int {
	p.t.Helper()
	var info Info
	waitFor(p.t, func() bool {
		info = p.Info()
		if len(info.Workers) != n {
			return false
		}
		for _, w := range info.Workers {
			if w.State != "running" {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("want %d running workers; pool: %+v", n, info) })
	return pids(info)
}

// alive says whether process pid exists (a zombie counts as gone: it has exited).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// waitGone waits for every one of pids to have exited.
func waitGone(t *testing.T, pids ...int) {
	t.Helper()
	for _, pid := range pids {
		waitFor(t, func() bool { return !alive(pid) }, func() string { return fmt.Sprintf("worker %d still runs", pid) })
	}
}

// --- clients ------------------------------------------------------------------------------

// dialServer connects to the server on port (loopback).
func dialServer(port int) (net.Conn, error) {
	return net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), eventTimeout)
}

// request sends one line to the server on port and returns the pid of the worker that
// answered it.
func request(port int, line string) (int, error) {
	c, err := dialServer(port)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(eventTimeout))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return 0, err
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("reading the reply to %q: %w", line, err)
	}
	pidText, echoed, _ := strings.Cut(strings.TrimSuffix(reply, "\n"), " ")
	pid, err := strconv.Atoi(pidText)
	if err != nil || echoed != line {
		return 0, fmt.Errorf("reply %q to %q", reply, line)
	}
	return pid, nil
}

// mustRequest is request for the test goroutine.
func (p *testPool) mustRequest(line string) int {
	p.t.Helper()
	pid, err := request(p.srv.Port(), line)
	if err != nil {
		p.t.Fatalf("request: %v", err)
	}
	return pid
}

// clientLoop sends requests one after another until stopped, and counts what it got.
type clientLoop struct {
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	byPID  map[int]int
	errors []error
}

func startClientLoop(port int) *clientLoop {
	l := &clientLoop{stop: make(chan struct{}), done: make(chan struct{}), byPID: map[int]int{}}
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			pid, err := request(port, "loop "+strconv.Itoa(i))
			l.mu.Lock()
			if err != nil {
				l.errors = append(l.errors, err)
			} else {
				l.byPID[pid]++
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *clientLoop) requests() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.errors)
	for _, c := range l.byPID {
		n += c
	}
	return n
}

// finish stops the loop and returns what it got.
func (l *clientLoop) finish(t *testing.T) (map[int]int, []error) {
	t.Helper()
	close(l.stop)
	select {
	case <-l.done:
	case <-time.After(2 * eventTimeout):
		t.Fatal("the client loop did not stop")
	}
	return l.byPID, l.errors
}
