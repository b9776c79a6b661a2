package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"socketserver/bench/internal/sockreport"
)

// measureSyscalls counts the system calls of a socketserver server process (immediate
// handler, straceWorkers workers) over cfg.straceConns oneshot connections: strace -c -f
// attaches to the server (all its threads) once its workers have registered, sockbench
// makes the connections, SIGINT detaches strace, which writes its summary.
func (b *bench) measureSyscalls(ctx context.Context, res *results) {
	in := instance{[]member{{kind: ssImmediate}}, straceWorkers, modeOneshot, []int{straceConcurrency}}
	fmt.Fprintf(b.out, "strace: %s, %d connections at concurrency %d\n", in, b.cfg.straceConns, straceConcurrency)
	srv, err := b.start(in, in.members[0])
	if err != nil {
		res.Failures = append(res.Failures, fmt.Sprintf("server %s (for strace) failed to start: %v", in, err))
		return
	}
	defer func() { res.notes = append(res.notes, srv.stop(stopTimeout)...) }()

	out := filepath.Join(b.cfg.logdir, "strace-summary.txt")
	l := load{port: srv.port, mode: modeOneshot, concurrency: straceConcurrency,
		duration: 120 * time.Second, connections: b.cfg.straceConns}
	var rep sockreport.Report
	err = withStrace(ctx, srv.pids[0], out, func() error {
		var err error
		rep, err = runSockbench(ctx, filepath.Join(b.cfg.bin, "sockbench"), l)
		return err
	})
	if err != nil {
		res.notes = append(res.notes, fmt.Sprintf("strace measurement skipped: %v", err))
		return
	}
	text, err := os.ReadFile(out)
	var sum straceSummary
	if err == nil {
		sum, err = parseStraceSummary(string(text))
	}
	if err != nil {
		res.notes = append(res.notes, fmt.Sprintf("strace summary %s unreadable: %v", out, err))
		return
	}
	res.syscalls = &syscallReport{workers: straceWorkers, connections: rep.Connections, summary: sum}
	fmt.Fprintf(b.out, "strace: %d calls over %d connections: %.2f per connection\n",
		sum.total, rep.Connections, res.syscalls.perConnection())
}

// withStrace runs fn with `strace -c -f -p pid -o out` attached: it waits (bounded) for
// strace to report the attachment, runs fn, then detaches strace with SIGINT and waits
// (bounded) for it to write the summary.
func withStrace(ctx context.Context, pid int, out string, fn func() error) error {
	path, err := exec.LookPath("strace")
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, "-c", "-f", "-p", fmt.Sprint(pid), "-o", out)
	cmd.Stderr = errW
	err = cmd.Start()
	errW.Close()
	if err != nil {
		errR.Close()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	attached := make(chan string, 1)
	go func() {
		defer errR.Close()
		sc := bufio.NewScanner(errR)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "attached") {
				attached <- ""
				break
			}
		}
		if len(lines) > 0 && !strings.Contains(lines[len(lines)-1], "attached") {
			attached <- strings.Join(lines, " | ")
		}
		for sc.Scan() { // keep draining: strace reports detaching too
		}
	}()
	stop := func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	select {
	case msg := <-attached:
		if msg != "" {
			stop()
			return fmt.Errorf("strace did not attach: %s", msg)
		}
	case err := <-done:
		return fmt.Errorf("strace exited before attaching: %v", err)
	case <-time.After(10 * time.Second):
		stop()
		return fmt.Errorf("strace did not attach within 10s")
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
	fnErr := fn()
	stop()
	return fnErr
}
