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
	return fmt.Sprintf("%s: %s (target %s %.1f): **%s** (%s)", t.label, valueText(t.value), op, t.limit, status, t.detail)
}

func valueText(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	return fmt.Sprintf("%.2f", v)
}

// The rows the targets compare.
var (
	keyEvent2c8      = rowKey{ssEvent, modeOneshot, 2, 8}
	keyPlainC8       = rowKey{plainTcl, modeOneshot, 1, 8}
	keyImmediate2c32 = rowKey{ssImmediate, modeOneshot, 2, 32}
	keyGoechoC32     = rowKey{goEcho, modeOneshot, 1, 32}
	keyImmediate4c32 = rowKey{ssImmediate, modeOneshot, 4, 32}
	keyReuse4c32     = rowKey{reusePort, modeOneshot, 4, 32}
)

// evaluateTargets computes the targets from this run's rows and strace count.
func evaluateTargets(res *results) []targetResult {
	var out []targetResult
	ratio := func(label string, num, den rowKey, limit float64) targetResult {
		t := targetResult{label: label, limit: limit}
		a, okA := res.find(num)
		b, okB := res.find(den)
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
	if s, ok := res.find(keyImmediate4c32); ok {
		c.measured, c.value = true, s.spread
		c.detail = fmt.Sprintf("p99 %s ms", ms(s.p99us))
		if math.IsInf(s.spread, 1) {
			c.detail = "a worker served no connection; " + c.detail
		}
	} else {
		c.detail = "needs that row"
	}
	if r, ok := res.find(keyReuse4c32); ok {
		c.detail += fmt.Sprintf("; SO_REUSEPORT, 4 processes, c=32: %s, p99 %s ms", spreadText(r.spread), ms(r.p99us))
	}
	out = append(out, c)

	d := targetResult{label: "(d) system calls per connection in the socketserver server process", atMost: true, limit: 4}
	if sc := res.syscalls; sc != nil && sc.connections > 0 {
		d.measured, d.value = true, sc.perConnection()
		d.detail = fmt.Sprintf("strace -c -f, %d calls over %d connections, %d workers", sc.summary.total, sc.connections, sc.workers)
	} else {
		d.detail = "strace was not run or failed"
	}
	return append(out, d)
}
