package main

import (
	"math"
	"slices"
	"time"
)

// maxLatencySamples caps the memory spent on latency samples (16 MB). Past
// the cap a worker stops recording samples rather than reservoir sampling:
// reservoirs of workers with different request counts would need weighting
// to merge, and the cap is only reached after about 40 s at 50k requests/s,
// longer than a benchmark run. Percentiles then describe the first requests;
// the maximum and the counts still cover all of them.
const maxLatencySamples = 2_000_000

// loadStats is what one worker observed. Each worker owns its own, so the
// request path takes no locks; they are merged once the workers are done.
type loadStats struct {
	connections int64 // established
	requests    int64 // answered with a valid reply
	sampleCap   int
	latencies   []time.Duration // at most sampleCap
	maxLatency  time.Duration   // over all requests, sampled or not
	perPID      map[int]int64   // connections per server pid
	errors      [numErrorKinds]int64
	// errorExamples keeps the first message of each kind, so that "other"
	// in a report can be acted upon.
	errorExamples [numErrorKinds]string
}

func newLoadStats(sampleCap int) *loadStats {
	return &loadStats{
		sampleCap: sampleCap,
		latencies: make([]time.Duration, 0, min(sampleCap, 4096)),
		perPID:    make(map[int]int64),
	}
}

func (s *loadStats) recordLatency(d time.Duration) {
	s.requests++
	s.maxLatency = max(s.maxLatency, d)
	if len(s.latencies) < s.sampleCap {
		s.latencies = append(s.latencies, d)
	}
}

func (s *loadStats) recordError(kind errorKind, err error) {
	s.errors[kind]++
	if s.errorExamples[kind] == "" {
		s.errorExamples[kind] = err.Error()
	}
}

// merge adds o into s; the merged sample count stays within the cap because
// each worker got an equal share of it.
func (s *loadStats) merge(o *loadStats) {
	s.connections += o.connections
	s.requests += o.requests
	s.latencies = append(s.latencies, o.latencies...)
	s.maxLatency = max(s.maxLatency, o.maxLatency)
	for pid, n := range o.perPID {
		s.perPID[pid] += n
	}
	for k := range s.errors {
		s.errors[k] += o.errors[k]
		if s.errorExamples[k] == "" {
			s.errorExamples[k] = o.errorExamples[k]
		}
	}
}

// latencyPercentiles returns the p-th percentiles of samples by the
// nearest-rank method, so each result is a latency that was actually
// observed. It sorts samples in place.
func latencyPercentiles(samples []time.Duration, ps ...float64) []time.Duration {
	slices.Sort(samples)
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = percentileOfSorted(samples, p)
	}
	return out
}

// percentileOfSorted is the smallest sample with at least p% of the samples
// at or below it; zero when there are no samples.
func percentileOfSorted(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// spreadRatio is the busiest pid's connection count over the idlest one's:
// 1 is a perfectly even spread. It is 0 when no pid was seen. Pids that got
// no connection at all are invisible to the client and cannot count.
func spreadRatio(perPID map[int]int64) float64 {
	if len(perPID) == 0 {
		return 0
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, n := range perPID {
		lo, hi = min(lo, n), max(hi, n)
	}
	return float64(hi) / float64(lo)
}
