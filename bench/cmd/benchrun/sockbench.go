package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"socketserver/bench/internal/sockreport"
)

// load is one sockbench run's shape.
type load struct {
	port        int
	mode        string
	concurrency int
	duration    time.Duration
	connections int64 // 0: as many as fit in duration
}

// args is sockbench's command line for l. Oneshot runs close with RST (-linger0), so
// thousands of connections a second leave no TIME_WAIT behind to exhaust ephemeral ports.
func (l load) args() []string {
	a := []string{"-addr", "127.0.0.1:" + strconv.Itoa(l.port), "-mode", l.mode,
		"-concurrency", strconv.Itoa(l.concurrency), "-duration", l.duration.String(),
		"-timeout", opTimeout.String(), "-json"}
	if l.mode == modePersistent {
		a = append(a, "-lines", strconv.Itoa(persistentLines))
	} else {
		a = append(a, "-linger0")
	}
	if l.connections > 0 {
		a = append(a, "-connections", strconv.FormatInt(l.connections, 10))
	}
	return a
}

// runSockbench runs sockbench for l, bounded by its own hard deadline plus a margin. A
// run that failed may still have printed its report (no request succeeded, say): that
// report comes back with the error.
func runSockbench(ctx context.Context, bin string, l load) (sockreport.Report, error) {
	stdout, err := runBounded(ctx, l.duration+opTimeout+30*time.Second, bin, l.args()...)
	var rep sockreport.Report
	if jsonErr := json.Unmarshal(stdout, &rep); jsonErr != nil && err == nil {
		err = fmt.Errorf("%s %s: %v", bin, strings.Join(l.args(), " "), jsonErr)
	}
	return rep, err
}
