package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"socketserver/bench/internal/sockreport"
)

func buildReport(cfg config, target netip.AddrPort, res loadResult) sockreport.Report {
	s := res.stats
	secs := res.elapsed.Seconds()
	pct := latencyPercentiles(s.latencies, 50, 90, 99)
	rep := sockreport.Report{
		Target:         target.String(),
		Mode:           cfg.mode,
		LinesPerConn:   cfg.lines,
		Concurrency:    cfg.concurrency,
		DurationSec:    secs,
		Connections:    s.connections,
		Requests:       s.requests,
		ConnsPerSec:    float64(s.connections) / secs,
		ReqsPerSec:     float64(s.requests) / secs,
		LatencySamples: len(s.latencies),
		P50us:          micros(pct[0]),
		P90us:          micros(pct[1]),
		P99us:          micros(pct[2]),
		MaxUs:          micros(s.maxLatency),
		Errors:         make(map[string]int64, numErrorKinds),
		ErrorExamples:  make(map[string]string),
		PerPID:         s.perPID,
		DistinctPIDs:   len(s.perPID),
		SpreadRatio:    spreadRatio(s.perPID),
	}
	for k, n := range s.errors {
		name := errorKind(k).String()
		rep.Errors[name] = n
		rep.ErrorsTotal += n
		if n > 0 {
			rep.ErrorExamples[name] = s.errorExamples[k]
		}
	}
	return rep
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func writeJSON(w io.Writer, rep sockreport.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func writeText(w io.Writer, rep sockreport.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "target        %s, %s, %d line(s) per connection, concurrency %d\n",
		rep.Target, rep.Mode, rep.LinesPerConn, rep.Concurrency)
	fmt.Fprintf(&b, "duration      %.3f s\n", rep.DurationSec)
	fmt.Fprintf(&b, "connections   %d (%.1f/s)\n", rep.Connections, rep.ConnsPerSec)
	fmt.Fprintf(&b, "requests      %d (%.1f/s)\n", rep.Requests, rep.ReqsPerSec)
	fmt.Fprintf(&b, "latency (us)  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (%d samples)\n",
		rep.P50us, rep.P90us, rep.P99us, rep.MaxUs, rep.LatencySamples)
	fmt.Fprintf(&b, "errors        %d\n", rep.ErrorsTotal)
	for k := range numErrorKinds {
		name := k.String()
		if n := rep.Errors[name]; n > 0 {
			fmt.Fprintf(&b, "  %-22s %d  (first: %s)\n", name, n, rep.ErrorExamples[name])
		}
	}
	fmt.Fprintf(&b, "server pids   %d distinct, spread max/min %.2f\n", rep.DistinctPIDs, rep.SpreadRatio)
	for _, pid := range slices.Sorted(maps.Keys(rep.PerPID)) {
		fmt.Fprintf(&b, "  %-10d %d\n", pid, rep.PerPID[pid])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
