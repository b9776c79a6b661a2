package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a running benchmark server: the process started, and the processes it says
// serve ("pids SERVER OTHER..."), all stopped by PID.
type server struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	waited chan error // cmd.Wait's result, once
	port   int
	pids   []int // pids[0] is the process started; the rest are its workers
	log    string
}

// startServer starts argv, its stderr going to logPath, and waits at most wait for its
// "port N" line. On failure the process is killed and the error quotes the log's end.
func startServer(argv []string, logPath string, wait time.Duration) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = outW, logFile
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	outW.Close()
	if err != nil {
		outR.Close()
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	s := &server{cmd: cmd, stdin: stdin, waited: make(chan error, 1), log: logPath}
	go func() { s.waited <- cmd.Wait() }()

	ready := make(chan serverReady, 1)
	go readStdout(outR, ready)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var r serverReady
	select {
	case r = <-ready:
	case <-timer.C:
		r.err = fmt.Errorf("no \"port N\" line within %s", wait)
	}
	if r.err != nil {
		s.kill()
		return nil, fmt.Errorf("%w; %s ends: %s", r.err, logPath, logTail(logPath, 400))
	}
	s.port, s.pids = r.port, r.pids
	if s.pids == nil {
		s.pids = []int{cmd.Process.Pid}
	}
	return s, nil
}

// serverReady is what a server printed up to its port line.
type serverReady struct {
	port int
	pids []int
	err  error
}

// readStdout parses the lines up to "port N", reports on ready, then drains stdout so
// the server can never block on it.
func readStdout(r *os.File, ready chan<- serverReady) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	var got serverReady
	for sc.Scan() {
		pids, port, err := parseServerLine(sc.Text())
		if pids != nil {
			got.pids = pids
		}
		if err != nil || port > 0 {
			got.port, got.err = port, err
			ready <- got
			io.Copy(io.Discard, r)
			return
		}
	}
	ready <- serverReady{err: errors.New("the server exited (stdout closed) before printing its port")}
}

// parseServerLine reads "pids N..." (pids) or "port N" (port); any other line is an error.
func parseServerLine(line string) (pids []int, port int, err error) {
	f := strings.Fields(line)
	bad := fmt.Errorf("unexpected line from the server: %q", line)
	if len(f) < 2 {
		return nil, 0, bad
	}
	nums := make([]int, 0, len(f)-1)
	for _, w := range f[1:] {
		n, err := strconv.Atoi(w)
		if err != nil || n <= 0 {
			return nil, 0, bad
		}
		nums = append(nums, n)
	}
	switch {
	case f[0] == "pids":
		return nums, 0, nil
	case f[0] == "port" && len(nums) == 1 && nums[0] < 65536:
		return nil, nums[0], nil
	}
	return nil, 0, bad
}

// stop closes the server's stdin, waits (bounded) for it to exit, kills it by PID if it
// does not, then makes sure the processes it served with are gone too (killing them by
// PID if not). It returns what went wrong, for the report.
func (s *server) stop(wait time.Duration) []string {
	var problems []string
	s.stdin.Close()
	select {
	case err := <-s.waited:
		if err != nil {
			problems = append(problems, fmt.Sprintf("pid %d exited with %v after its stdin closed (log %s)", s.cmd.Process.Pid, err, s.log))
		}
	case <-time.After(wait):
		problems = append(problems, fmt.Sprintf("pid %d still running %s after its stdin closed; killed", s.cmd.Process.Pid, wait))
		s.kill()
	}
	for _, pid := range s.pids[1:] {
		if !waitGone(pid, wait) {
			syscall.Kill(pid, syscall.SIGKILL)
			problems = append(problems, fmt.Sprintf("pid %d (a worker of pid %d) still running %s after its server stopped; killed", pid, s.cmd.Process.Pid, wait))
		}
	}
	return problems
}

// kill ends the process started by PID and waits for it (bounded); its workers, if known,
// by PID too.
func (s *server) kill() {
	s.stdin.Close()
	s.cmd.Process.Kill()
	select {
	case <-s.waited:
	case <-time.After(5 * time.Second):
	}
	for _, pid := range s.pids {
		if pid != s.cmd.Process.Pid && alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// waitGone polls until pid has exited (or is a zombie), for at most wait.
func waitGone(pid int, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for alive(pid) {
		select {
		case <-ctx.Done():
			return !alive(pid)
		case <-tick.C:
		}
	}
	return true
}

func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(empty)"
	}
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return strings.ReplaceAll(s, "\n", " | ")
}
