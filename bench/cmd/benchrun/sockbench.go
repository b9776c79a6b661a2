package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"socketserver/bench/internal/sockreport"
)

// load is one sockbench run's shape.
type load struct {
	port        int
	mode        string
	lines       int
	concurrency int
	duration    time.Duration
	connections int64 // 0: as many as fit in duration
	timeout     time.Duration
}

// args is sockbench's command line for l. Oneshot runs close with RST (-linger0), so
// thousands of connections a second leave no TIME_WAIT behind to exhaust ephemeral ports.
func (l load) args() []string {
	a := []string{"-addr", "127.0.0.1:" + strconv.Itoa(l.port), "-mode", l.mode,
		"-concurrency", strconv.Itoa(l.concurrency), "-duration", l.duration.String(),
		"-timeout", l.timeout.String(), "-json"}
	if l.mode == modePersistent {
		a = append(a, "-lines", strconv.Itoa(l.lines))
	} else {
		a = append(a, "-linger0")
	}
	if l.connections > 0 {
		a = append(a, "-connections", strconv.FormatInt(l.connections, 10))
	}
	return a
}

// runSockbench runs sockbench for l, bounded by its own hard deadline plus a margin.
func runSockbench(ctx context.Context, bin string, l load) (sockreport.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, l.duration+l.timeout+30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, l.args()...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	runErr := cmd.Run()
	var rep sockreport.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return rep, fmt.Errorf("sockbench %s: %v (%s)", strings.Join(l.args(), " "), runErr, strings.TrimSpace(stderr.String()))
	}
	if runErr != nil {
		return rep, fmt.Errorf("sockbench: %v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	return rep, nil
}
