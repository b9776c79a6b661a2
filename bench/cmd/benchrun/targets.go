package main

import (
	"fmt"
	"math"
)

// targetResult is one target evaluated on this run's numbers.
type targetResult struct {
	label    string
	value    float64
	atMost   bool // the target is value <= limit (else value >= limit)
	limit    float64
	detail   string
	measured bool
}

func (t targetResult) met() bool {
	if t.atMost {
		return t.value <= t.limit
	}
	return t.value >= t.limit
}

func (t targetResult) String() string {
	op := ">="
	if t.atMost {
		op = "<="
	}
	if !t.measured {
		return fmt.Sprintf("%s: target %s %.1f: not measured in this run (%s)", t.label, op, t.limit, t.detail)
	}
	status := "met"
	if !t.met() {
		status = "NOT met"
	}
	return fmt.Sprintf("%s: %s (target %s %.1f): **%s** (%s)", t.label, twoPlaces(t.value), op, t.limit, status, t.detail)
}

// The rows the targets compare.
var (
	keyEvent2c8      = rowKey{member{kind: ssEvent}, modeOneshot, 2, 8}
	keyPlainC8       = rowKey{member{kind: plainTcl}, modeOneshot, 1, 8}
	keyImmediate2c32 = rowKey{member{kind: ssImmediate}, modeOneshot, 2, 32}
	keyGoechoC32     = rowKey{member{kind: goEcho}, modeOneshot, 1, 32}
	keyImmediate4c32 = rowKey{member{kind: ssImmediate}, modeOneshot, 4, 32}
	keyReuse4c32     = rowKey{member{kind: reusePort}, modeOneshot, 4, 32}
)

// evaluateTargets computes the targets from this run's rows and strace count.
func evaluateTargets(res *results) []targetResult {
	var out []targetResult
	ratio := func(label string, num, den rowKey, limit float64) targetResult {
		t := targetResult{label: label, limit: limit}
		a, okA := findRow(res.rows, num)
		b, okB := findRow(res.rows, den)
		if !okA || !okB || b.connsPerSec == 0 {
			t.detail = "needs both rows"
			return t
		}
		t.measured, t.value = true, a.connsPerSec/b.connsPerSec
		t.detail = fmt.Sprintf("%.0f vs %.0f conn/s; p99 %s vs %s ms", a.connsPerSec, b.connsPerSec, ms(a.p99us), ms(b.p99us))
		return t
	}
	out = append(out,
		ratio("(a) socketserver event-driven, 2 workers, c=8 vs plain Tcl, c=8", keyEvent2c8, keyPlainC8, 1.4),
		ratio("(b) socketserver immediate, 2 workers, c=32 vs goecho, c=32", keyImmediate2c32, keyGoechoC32, 1.0))

	c := targetResult{label: "(c) max/min connections per worker, socketserver immediate, 4 workers, c=32", atMost: true, limit: 1.2}
	if s, ok := findRow(res.rows, keyImmediate4c32); ok {
		c.measured, c.value = true, s.spread
		c.detail = fmt.Sprintf("p99 %s ms", ms(s.p99us))
		if math.IsInf(s.spread, 1) {
			c.detail = "a worker served no connection; " + c.detail
		}
	} else {
		c.detail = "needs that row"
	}
	if r, ok := findRow(res.rows, keyReuse4c32); ok {
		c.detail += fmt.Sprintf("; SO_REUSEPORT, 4 processes, c=32: %s, p99 %s ms", twoPlaces(r.spread), ms(r.p99us))
	}
	out = append(out, c)

	d := targetResult{label: "(d) system calls per connection in the socketserver server process", atMost: true, limit: 4}
	if sc := res.syscalls; sc != nil && sc.connections > 0 {
		d.measured, d.value = true, sc.perConnection()
		d.detail = fmt.Sprintf("strace -c -f, %d calls over %d connections, %d workers", sc.summary.total, sc.connections, sc.workers)
	} else {
		d.detail = "strace was not run or failed"
	}
	out = append(out, d)
	return append(out, originalTargets(res)...)
}

// originalTargets compares the socketserver rows with the C original's (issue 8), and the
// HTTP row with the single-process httpd: each is the worst ratio over the rows it covers,
// named in its detail (not measured without those rows: without -original, say).
func originalTargets(res *results) []targetResult {
	oneshot := func(v variant, keep func(rowKey) bool) func(rowKey) bool {
		return func(k rowKey) bool {
			return k.mode == modeOneshot && (k.kind == ssEvent || k.kind == ssImmediate) && k.variant == v && keep(k)
		}
	}
	all := func(rowKey) bool { return true }
	rate := func(a, b summary) float64 { return a.connsPerSec / b.connsPerSec }
	out := []targetResult{
		worstRatio(res, "(e) conn/s vs the original, default options, every oneshot row at c=8 and c=32", 0.9, false,
			oneshot(variant{}, func(k rowKey) bool { return k.concurrency == 8 || k.concurrency == 32 }), variantOriginal, rate),
		worstRatio(res, "(f) conn/s vs the original, default options, every oneshot row with 4 workers", 1.0, false,
			oneshot(variant{}, func(k rowKey) bool { return k.workers == 4 }), variantOriginal, rate),
	}
	for _, opts := range res.cfg.variants {
		out = append(out, worstRatio(res, fmt.Sprintf("(g) conn/s vs the original, socketserver %s, every oneshot row", opts),
			1.0, false, oneshot(variant{options: opts}, all), variantOriginal, rate))
	}
	out = append(out,
		worstRatio(res, "(h) server process CPU per connection vs the original's, default options, every oneshot row", 1.2, true,
			oneshot(variant{}, all), variantOriginal, func(a, b summary) float64 { return a.serverCPUus / b.serverCPUus }),
		worstValue(res, "(i) server process context switches per connection, default options, every oneshot row", 0.5,
			oneshot(variant{}, all), func(a summary) float64 { return a.serverCS }),
		worstRatio(res, "(j) p99 vs the original's, default options, every oneshot row", 1.0, true,
			oneshot(variant{}, all), variantOriginal, func(a, b summary) float64 { return a.p99us / b.p99us }))
	httpd := func(k rowKey) bool { return k.mode == modeHTTP && k.member == member{kind: httpdWorkers} }
	out = append(out,
		worstRatio(res, "(k) HTTP req/s vs the original's workers", 1.0, false, httpd, variantOriginal, rate),
		worstRatio(res, "(l) HTTP req/s vs the single-process httpd", 1.5, false, httpd, singleHttpd, rate),
		worstValue(res, "(m) HTTP failed requests, socketserver workers", 0, httpd, func(a summary) float64 { return float64(a.errors) }))
	return out
}

// worstRatio is the worst of metric(row, its baseline) over the rows keep selects: the
// largest if the target is an upper limit (atMost), else the smallest.
func worstRatio(res *results, label string, limit float64, atMost bool, keep func(rowKey) bool,
	against int, metric func(a, b summary) float64) targetResult {
	t := targetResult{label: label, limit: limit, atMost: atMost}
	n := 0
	for _, r := range res.rows {
		if !keep(r.rowKey) {
			continue
		}
		a, b, ok := againstBaseline(res.rows, r, against)
		v := metric(a, b)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if n++; n == 1 || (atMost && v > t.value) || (!atMost && v < t.value) {
			t.value = v
			t.detail = fmt.Sprintf("worst: %s; %.0f vs %.0f a second, p99 %s vs %s ms, server %.1f vs %.1f µs a connection",
				rowText(r.rowKey), a.connsPerSec, b.connsPerSec, ms(a.p99us), ms(b.p99us), a.serverCPUus, b.serverCPUus)
		}
	}
	return finish(t, n)
}

// worstValue is the largest metric(row) over the rows keep selects, against an upper limit.
func worstValue(res *results, label string, limit float64, keep func(rowKey) bool, metric func(summary) float64) targetResult {
	t := targetResult{label: label, limit: limit, atMost: true}
	n := 0
	for _, r := range res.rows {
		a, ok := r.measuredSummary()
		if !keep(r.rowKey) || !ok || math.IsNaN(metric(a)) {
			continue
		}
		if v := metric(a); n == 0 || v > t.value {
			t.value, t.detail = v, "worst: "+rowText(r.rowKey)
		}
		n++
	}
	return finish(t, n)
}

func finish(t targetResult, n int) targetResult {
	if n == 0 {
		t.detail = "needs the rows and their baselines"
		return t
	}
	t.measured = true
	rows := "rows"
	if n == 1 {
		rows = "row"
	}
	t.detail = fmt.Sprintf("%d %s; %s", n, rows, t.detail)
	return t
}

func rowText(k rowKey) string {
	return fmt.Sprintf("%s, %s, c=%d", k.member, workersText(k.kind, k.workers), k.concurrency)
}
