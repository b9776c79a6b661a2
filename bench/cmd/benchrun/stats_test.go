package main

import (
	"math"
	"testing"

	"socketserver/bench/internal/sockreport"
)

func TestMedian(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, inf, 2}, 2},
		{[]float64{1, inf}, inf},
		{[]float64{inf, inf, 1}, inf},
	} {
		in := append([]float64(nil), tc.in...)
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("median reordered its argument: %v", tc.in)
			}
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestSpread(t *testing.T) {
	rep := sockreport.Report{DistinctPIDs: 3, SpreadRatio: 1.1}
	if got := spread(rep, 1); !math.IsNaN(got) {
		t.Errorf("single process: %v, want NaN", got)
	}
	if got := spread(rep, 3); got != 1.1 {
		t.Errorf("all served: %v, want 1.1", got)
	}
	if got := spread(rep, 4); !math.IsInf(got, 1) {
		t.Errorf("a worker idle: %v, want +Inf", got)
	}
}

func TestRowSummary(t *testing.T) {
	r := row{samples: []sample{
		{connsPerSec: 100, reqsPerSec: 100, p50us: 500, p99us: 3000, spread: 1.2, connections: 200, errors: 1},
		{connsPerSec: 300, reqsPerSec: 300, p50us: 100, p99us: 1000, spread: 1.0, connections: 600, errors: 0},
		{connsPerSec: 200, reqsPerSec: 200, p50us: 300, p99us: 9000, spread: 1.1, connections: 400, errors: 2},
	}}
	s := r.summary()
	nan := math.NaN() // /proc measured none of the runs
	want := summary{connsPerSec: 200, reqsPerSec: 200, p50us: 300, p99us: 3000, spread: 1.1,
		connections: 1200, errors: 3, runs: 3, serverCPUus: nan, workersCPUus: nan, serverCS: nan, workersCS: nan}
	same := func(a, b summary) bool {
		a.serverCPUus, a.workersCPUus, a.serverCS, a.workersCS = 0, 0, 0, 0
		b.serverCPUus, b.workersCPUus, b.serverCS, b.workersCS = 0, 0, 0, 0
		return a == b && math.IsNaN(s.serverCPUus) && math.IsNaN(s.workersCPUus) && math.IsNaN(s.serverCS) && math.IsNaN(s.workersCS)
	}
	if !same(s, want) {
		t.Errorf("summary = %+v, want %+v", s, want)
	}
}
