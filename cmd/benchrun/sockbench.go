package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sockbenchReport is the part of `sockbench -json` the run uses.
type sockbenchReport struct {
	Mode          string            `json:"mode"`
	Concurrency   int               `json:"concurrency"`
	DurationSec   float64           `json:"duration_sec"`
	Connections   int64             `json:"connections"`
	Requests      int64             `json:"requests"`
	ConnsPerSec   float64           `json:"conns_per_sec"`
	ReqsPerSec    float64           `json:"reqs_per_sec"`
	P50us         float64           `json:"p50_us"`
	P99us         float64           `json:"p99_us"`
	ErrorsTotal   int64             `json:"errors_total"`
	Errors        map[string]int64  `json:"errors"`
	ErrorExamples map[string]string `json:"error_examples"`
	PerPID        map[string]int64  `json:"per_pid"`
	DistinctPIDs  int               `json:"distinct_pids"`
	SpreadRatio   float64           `json:"spread_ratio"`
}

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
func runSockbench(ctx context.Context, bin string, l load) (sockbenchReport, error) {
	ctx, cancel := context.WithTimeout(ctx, l.duration+l.timeout+30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, l.args()...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	runErr := cmd.Run()
	var rep sockbenchReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return rep, fmt.Errorf("sockbench %s: %v (%s)", strings.Join(l.args(), " "), runErr, strings.TrimSpace(stderr.String()))
	}
	if runErr != nil {
		return rep, fmt.Errorf("sockbench: %v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	return rep, nil
}

// errorRate is the share of connection attempts that failed.
func (r sockbenchReport) errorRate() float64 {
	attempts := r.Connections + r.Errors["dial_refused"] + r.Errors["dial_timeout"]
	if attempts == 0 {
		return 1
	}
	return float64(r.ErrorsTotal) / float64(attempts)
}

// errorSummary is "kind n (first: message), ...".
func (r sockbenchReport) errorSummary() string {
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(r.Errors)) {
		if n := r.Errors[kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d (first: %s)", kind, n, r.ErrorExamples[kind]))
		}
	}
	return strings.Join(parts, ", ")
}
