package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// abReport is what the run uses of an `ab` run: requests completed and failed (failed
// includes non-2xx responses), the rate, and two percentiles of the total request time.
type abReport struct {
	complete, failed int64
	reqsPerSec       float64
	p50us, p99us     float64
}

// runAB runs ab against the page at port for duration (whole seconds, at least one), at
// concurrency c, one connection per request, bounded by its own limit plus a margin; the
// percentiles come from its -e file, csv.
func runAB(ctx context.Context, port, c int, duration time.Duration, csv string) (abReport, error) {
	secs := max(int(duration.Round(time.Second)/time.Second), 1)
	// -t implies a cap of 50000 requests unless -n follows it; -r counts receive errors
	// as failed requests instead of ending the run.
	args := []string{"-q", "-r", "-t", strconv.Itoa(secs), "-n", "100000000", "-c", strconv.Itoa(c),
		"-e", csv, fmt.Sprintf("http://127.0.0.1:%d/", port)}
	stdout, err := runBounded(ctx, time.Duration(secs)*time.Second+30*time.Second, "ab", args...)
	if err != nil {
		return abReport{}, err
	}
	rep, err := parseAB(string(stdout))
	if err == nil {
		var text []byte
		if text, err = os.ReadFile(csv); err == nil {
			rep.p50us, rep.p99us, err = parseABPercentiles(string(text))
		}
	}
	if err != nil {
		return rep, fmt.Errorf("ab output: %v", err)
	}
	return rep, nil
}

// parseAB reads ab's report.
func parseAB(out string) (abReport, error) {
	var rep abReport
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(value)
		if len(f) == 0 {
			continue
		}
		var err error
		switch name {
		case "Complete requests":
			rep.complete, err = strconv.ParseInt(f[0], 10, 64)
		case "Failed requests", "Non-2xx responses":
			var n int64
			n, err = strconv.ParseInt(f[0], 10, 64)
			rep.failed += n
		case "Requests per second":
			rep.reqsPerSec, err = strconv.ParseFloat(f[0], 64)
		default:
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("%q: %v", line, err)
		}
		seen[name] = true
	}
	for _, name := range []string{"Complete requests", "Failed requests", "Requests per second"} {
		if !seen[name] {
			return rep, fmt.Errorf("no %q line", name)
		}
	}
	return rep, nil
}

// parseABPercentiles reads the 50th and 99th percentiles (ms) of ab's -e file into µs.
func parseABPercentiles(csv string) (p50us, p99us float64, err error) {
	found := 0
	for _, line := range strings.Split(csv, "\n") {
		pct, ms, ok := strings.Cut(strings.TrimSpace(line), ",")
		if !ok || (pct != "50" && pct != "99") {
			continue
		}
		v, err := strconv.ParseFloat(ms, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%q: %v", line, err)
		}
		if pct == "50" {
			p50us = v * 1000
		} else {
			p99us = v * 1000
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no 50th and 99th percentiles in the -e file")
	}
	return p50us, p99us, nil
}
