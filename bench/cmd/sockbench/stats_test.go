package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestLatencyPercentilesNearestRank(t *testing.T) {
	// 1..100 µs in random order: the nearest-rank p-th percentile is p µs.
	samples := make([]time.Duration, 100)
	for i := range samples {
		samples[i] = time.Duration(i+1) * time.Microsecond
	}
	rand.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })

	got := latencyPercentiles(samples, 50, 90, 99, 100, 0.1)
	want := []time.Duration{50, 90, 99, 100, 1}
	for i := range want {
		if got[i] != want[i]*time.Microsecond {
			t.Errorf("percentile #%d = %v, want %v", i, got[i], want[i]*time.Microsecond)
		}
	}
}

func TestLatencyPercentilesSmallSets(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single", []time.Duration{7}, 99, 7},
		{"two, p50 is the lower", []time.Duration{9, 3}, 50, 3},
		{"two, p51 is the upper", []time.Duration{9, 3}, 51, 9},
		{"ten, p90", []time.Duration{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 90, 9},
		{"ten, p99 rounds up to the max", []time.Duration{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 99, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latencyPercentiles(tt.samples, tt.p)[0]; got != tt.want {
				t.Errorf("p%v of %v = %v, want %v", tt.p, tt.samples, got, tt.want)
			}
		})
	}
}

func TestSpreadRatio(t *testing.T) {
	tests := []struct {
		name   string
		perPID map[int]int64
		want   float64
	}{
		{"no pid seen", map[int]int64{}, 0},
		{"one pid", map[int]int64{10: 5}, 1},
		{"even", map[int]int64{10: 4, 11: 4, 12: 4}, 1},
		{"two to one", map[int]int64{10: 6, 11: 3}, 2},
		{"max over min, middle ignored", map[int]int64{10: 10, 11: 5, 12: 2}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spreadRatio(tt.perPID); got != tt.want {
				t.Errorf("spreadRatio(%v) = %v, want %v", tt.perPID, got, tt.want)
			}
		})
	}
}

func TestSampleCapKeepsCountsAndMax(t *testing.T) {
	s := newLoadStats(2)
	for _, d := range []time.Duration{5, 3, 8} {
		s.recordLatency(d)
	}
	if len(s.latencies) != 2 || s.requests != 3 || s.maxLatency != 8 {
		t.Fatalf("after 3 records with cap 2: samples %v, requests %d, max %v; want 2 samples, 3 requests, max 8",
			s.latencies, s.requests, s.maxLatency)
	}
}

func TestMergeAddsEverything(t *testing.T) {
	a, b := newLoadStats(10), newLoadStats(10)
	a.connections, b.connections = 1, 2
	a.recordLatency(4)
	b.recordLatency(9)
	a.perPID[1]++
	b.perPID[1]++
	b.perPID[2]++
	a.recordError(kindReadTimeout, errBadReply)
	b.recordError(kindReadTimeout, errBadReply)
	b.recordError(kindOther, errBadReply)

	a.merge(b)
	if a.connections != 3 || a.requests != 2 || len(a.latencies) != 2 || a.maxLatency != 9 {
		t.Errorf("merged counts: conns %d, requests %d, samples %d, max %v; want 3, 2, 2, 9",
			a.connections, a.requests, len(a.latencies), a.maxLatency)
	}
	if a.perPID[1] != 2 || a.perPID[2] != 1 {
		t.Errorf("merged perPID = %v, want map[1:2 2:1]", a.perPID)
	}
	if a.errors[kindReadTimeout] != 2 || a.errors[kindOther] != 1 || a.errorExamples[kindOther] == "" {
		t.Errorf("merged errors = %v, examples %q", a.errors, a.errorExamples)
	}
}
