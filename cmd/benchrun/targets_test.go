package main

import (
	"math"
	"strings"
	"testing"
)

func resultsWith(rows map[rowKey]sample, sc *syscallReport) *results {
	res := &results{syscalls: sc}
	for k, s := range rows {
		res.rows = append(res.rows, row{rowKey: k, samples: []sample{s}})
	}
	return res
}

func TestEvaluateTargetsAllMet(t *testing.T) {
	res := resultsWith(map[rowKey]sample{
		keyEvent2c8:      {connsPerSec: 1500, p99us: 2000},
		keyPlainC8:       {connsPerSec: 1000, p99us: 3000},
		keyImmediate2c32: {connsPerSec: 1000},
		keyGoechoC32:     {connsPerSec: 1000},
		keyImmediate4c32: {spread: 1.2, p99us: 4000},
		keyReuse4c32:     {spread: 1.5, p99us: 5000},
	}, &syscallReport{workers: 2, connections: 100, summary: straceSummary{total: 400}})
	ts := evaluateTargets(res)
	if len(ts) != 4 {
		t.Fatalf("%d targets, want 4", len(ts))
	}
	wantValues := []float64{1.5, 1.0, 1.2, 4}
	for i, tr := range ts {
		if !tr.measured || !tr.met() || tr.value != wantValues[i] {
			t.Errorf("target %d: %+v, want measured, met, value %v", i, tr, wantValues[i])
		}
		if !strings.Contains(tr.String(), "**met**") {
			t.Errorf("target %d reads %q", i, tr)
		}
	}
	if !strings.Contains(ts[0].detail, "1500 vs 1000 conn/s; p99 2.00 vs 3.00 ms") {
		t.Errorf("(a) detail: %q", ts[0].detail)
	}
	if !strings.Contains(ts[2].detail, "SO_REUSEPORT, 4 processes, c=32: 1.50, p99 5.00 ms") {
		t.Errorf("(c) detail: %q", ts[2].detail)
	}
}

func TestEvaluateTargetsNotMet(t *testing.T) {
	res := resultsWith(map[rowKey]sample{
		keyEvent2c8:      {connsPerSec: 1399},
		keyPlainC8:       {connsPerSec: 1000},
		keyImmediate2c32: {connsPerSec: 999},
		keyGoechoC32:     {connsPerSec: 1000},
		keyImmediate4c32: {spread: math.Inf(1)},
	}, &syscallReport{connections: 100, summary: straceSummary{total: 401}})
	for i, tr := range evaluateTargets(res) {
		if !tr.measured || tr.met() {
			t.Errorf("target %d: %+v, want measured and not met", i, tr)
		}
		if !strings.Contains(tr.String(), "**NOT met**") {
			t.Errorf("target %d reads %q", i, tr)
		}
	}
	if c := evaluateTargets(res)[2]; !strings.HasPrefix(c.detail, "a worker served no connection") || !strings.Contains(c.String(), ": inf (") {
		t.Errorf("(c) with an idle worker reads %q", c)
	}
}

func TestEvaluateTargetsMissingRows(t *testing.T) {
	res := resultsWith(map[rowKey]sample{keyEvent2c8: {connsPerSec: 1}}, nil)
	res.rows = append(res.rows, row{rowKey: keyPlainC8, failed: "did not start"})
	for i, tr := range evaluateTargets(res) {
		if tr.measured {
			t.Errorf("target %d measured from missing rows: %+v", i, tr)
		}
		if !strings.Contains(tr.String(), "not measured in this run") {
			t.Errorf("target %d reads %q", i, tr)
		}
	}
}
