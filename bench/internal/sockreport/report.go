// Package sockreport declares the report of `sockbench -json`, once, for sockbench, which
// writes it, and benchrun, which reads it.
package sockreport

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Report is the outcome of a sockbench run. Its JSON field names are an interface for
// scripts comparing servers: change them only together with those scripts.
type Report struct {
	Target         string  `json:"target"`
	Mode           string  `json:"mode"`
	LinesPerConn   int     `json:"lines_per_conn"`
	Concurrency    int     `json:"concurrency"`
	DurationSec    float64 `json:"duration_sec"`
	Connections    int64   `json:"connections"`
	Requests       int64   `json:"requests"`
	ConnsPerSec    float64 `json:"conns_per_sec"`
	ReqsPerSec     float64 `json:"reqs_per_sec"`
	LatencySamples int     `json:"latency_samples"`
	P50us          float64 `json:"p50_us"`
	P90us          float64 `json:"p90_us"`
	P99us          float64 `json:"p99_us"`
	MaxUs          float64 `json:"max_us"`
	ErrorsTotal    int64   `json:"errors_total"`
	// Errors lists every kind, zeros included, so consumers need not guess
	// whether a missing key means zero.
	Errors        map[string]int64  `json:"errors"`
	ErrorExamples map[string]string `json:"error_examples"`
	PerPID        map[int]int64     `json:"per_pid"`
	DistinctPIDs  int               `json:"distinct_pids"`
	SpreadRatio   float64           `json:"spread_ratio"`
}

// ErrorRate is the share of connection attempts that failed.
func (r Report) ErrorRate() float64 {
	attempts := r.Connections + r.Errors["dial_refused"] + r.Errors["dial_timeout"]
	if attempts == 0 {
		return 1
	}
	return float64(r.ErrorsTotal) / float64(attempts)
}

// ErrorSummary is "kind n (first: message), ...".
func (r Report) ErrorSummary() string {
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(r.Errors)) {
		if n := r.Errors[kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d (first: %s)", kind, n, r.ErrorExamples[kind]))
		}
	}
	return strings.Join(parts, ", ")
}
