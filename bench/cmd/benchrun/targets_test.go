package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
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
	if len(ts) != 4+len(originalTargets(res)) {
		t.Fatalf("%d targets, want 4 and the original's", len(ts))
	}
	ts = ts[:4] // the original's: TestOriginalTargets
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
	for i, tr := range evaluateTargets(res)[:4] {
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

// The original's targets take the worst row of those each covers; without the original's
// rows, only those that do not need them are measured.
func TestOriginalTargets(t *testing.T) {
	key := func(kind serverKind, v variant, workers, c int) rowKey {
		mode := modeOneshot
		if kind == httpdWorkers || kind == httpdSingle {
			mode = modeHTTP
		}
		return rowKey{member{kind, v}, mode, workers, c}
	}
	orig, q8 := variant{original: true}, variant{options: "-queue 8"}
	measured := func(rate, p99us float64, serverMs, serverCS int64) sample {
		return sample{connsPerSec: rate, p99us: p99us, connections: 1000, measured: true,
			server: usage{cpu: time.Duration(serverMs) * time.Millisecond, switches: serverCS}}
	}
	res := resultsWith(map[rowKey]sample{
		key(ssEvent, variant{}, 2, 8):       measured(950, 1000, 12, 300),
		key(ssEvent, orig, 2, 8):            measured(1000, 1100, 10, 400),
		key(ssEvent, variant{}, 2, 1):       measured(100, 5000, 30, 600), // c=1: only in (h), (i), (j)
		key(ssEvent, orig, 2, 1):            measured(1000, 1000, 10, 400),
		key(ssImmediate, variant{}, 4, 32):  measured(1100, 900, 11, 200),
		key(ssImmediate, orig, 4, 32):       measured(1000, 1000, 10, 400),
		key(ssImmediate, q8, 4, 32):         measured(1200, 900, 11, 200),
		key(httpdWorkers, variant{}, 2, 16): {connsPerSec: 1500, errors: 1},
		key(httpdWorkers, orig, 2, 16):      {connsPerSec: 1000},
		key(httpdSingle, variant{}, 2, 16):  {connsPerSec: 1000},
	}, nil)
	res.cfg.variants = []string{"-queue 8"}
	want := []struct {
		value float64
		met   bool
		rows  int
	}{
		{0.95, true, 2}, // (e) c=8 and c=32
		{1.1, true, 1},  // (f) 4 workers
		{1.2, true, 1},  // (g) -queue 8
		{3.0, false, 3}, // (h) server CPU, c=1 the worst
		{0.6, false, 3}, // (i) server switches per connection
		{5.0, false, 3}, // (j) p99
		{1.5, true, 1},  // (k) HTTP vs original
		{1.5, true, 1},  // (l) HTTP vs single
		{1, false, 1},   // (m) failed requests
	}
	got := originalTargets(res)
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if !g.measured || g.met() != w.met || math.Abs(g.value-w.value) > 1e-9 ||
			!strings.HasPrefix(g.detail, fmt.Sprintf("%d row", w.rows)) {
			t.Errorf("target %d: %s; want value %v, met %v, %d rows", i, g, w.value, w.met, w.rows)
		}
	}
	if !strings.Contains(got[3].detail, "worst: socketserver event, 2 workers, c=1") {
		t.Errorf("(h) names the wrong row: %s", got[3])
	}

	var withoutOriginal []row
	for _, r := range res.rows {
		if !r.original {
			withoutOriginal = append(withoutOriginal, r)
		}
	}
	res.rows = withoutOriginal
	for i, g := range originalTargets(res) {
		// (i), (l) and (m) need no original row.
		if wantMeasured := i == 4 || i == 7 || i == 8; g.measured != wantMeasured {
			t.Errorf("without the original, target %d: %s", i, g)
		}
	}
}
