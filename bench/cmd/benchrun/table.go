package main

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// formatTable lays out a Markdown table whose columns line up in plain text too;
// right[i] right-aligns column i (numbers).
func formatTable(header []string, right []bool, rows [][]string) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = max(utf8.RuneCountInString(h), 3)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if right[i] {
				fmt.Fprintf(&b, "| %s%s ", pad, c)
			} else {
				fmt.Fprintf(&b, "| %s%s ", c, pad)
			}
		}
		b.WriteString("|\n")
	}
	line(header)
	for i := range header {
		dashes := strings.Repeat("-", width[i])
		if right[i] {
			dashes = dashes[1:] + ":"
		}
		fmt.Fprintf(&b, "| %s ", dashes)
	}
	b.WriteString("|\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// resultsTable is the echo rows' table: a row per server, mode, workers and concurrency,
// each socketserver row with its rate as a multiple of the original's in the same group.
func resultsTable(rows []row) string {
	header := []string{"server", "mode", "workers", "conc", "conn/s", "req/s", "p50 ms", "p99 ms", "spread", "errors",
		"srv µs/conn", "wrk µs/conn", "srv cs/conn", "wrk cs/conn", "vs original"}
	var cells [][]string
	for _, r := range rows {
		if r.mode == modeHTTP {
			continue
		}
		c := []string{r.member.String(), r.mode, workersCell(r.rowKey), fmt.Sprint(r.concurrency)}
		if s, ok := r.measuredSummary(); ok {
			c = append(c, fmt.Sprintf("%.0f", s.connsPerSec), fmt.Sprintf("%.0f", s.reqsPerSec), ms(s.p50us), ms(s.p99us),
				twoPlaces(s.spread), errorsText(s.errors, s.connections))
			c = append(c, usageCells(s)...)
			c = append(c, ratioText(rows, r, variantOriginal))
		} else {
			c = append(c, failedCells(r, len(header)-len(c))...)
		}
		cells = append(cells, c)
	}
	return formatTable(header, rightAligned(len(header), 2), cells)
}

// httpTable is the HTTP rows' table, each with its rate as a multiple of the original's
// and of the single-process httpd's.
func httpTable(rows []row) string {
	header := []string{"server", "workers", "conc", "req/s", "p50 ms", "p99 ms", "failed",
		"srv µs/req", "wrk µs/req", "srv cs/req", "wrk cs/req", "vs original", "vs single"}
	var cells [][]string
	for _, r := range rows {
		if r.mode != modeHTTP {
			continue
		}
		c := []string{r.member.String(), workersCell(r.rowKey), fmt.Sprint(r.concurrency)}
		if s, ok := r.measuredSummary(); ok {
			c = append(c, fmt.Sprintf("%.0f", s.reqsPerSec), ms(s.p50us), ms(s.p99us), fmt.Sprint(s.errors))
			c = append(c, usageCells(s)...)
			c = append(c, ratioText(rows, r, variantOriginal), ratioText(rows, r, singleHttpd))
		} else {
			c = append(c, failedCells(r, len(header)-len(c))...)
		}
		cells = append(cells, c)
	}
	return formatTable(header, rightAligned(len(header), 1), cells)
}

// workersCell is a row's workers column: "-" for a single-process server.
func workersCell(k rowKey) string {
	if !k.kind.multiProcess() {
		return "-"
	}
	return fmt.Sprint(k.workers)
}

func rightAligned(n, left int) []bool {
	right := make([]bool, n)
	for i := left; i < n; i++ {
		right[i] = true
	}
	return right
}

// failedCells fills n cells of a row that has no successful run.
func failedCells(r row, n int) []string {
	reason := r.failed
	if reason == "" {
		reason = "no successful run"
	}
	return append([]string{"failed: " + reason}, make([]string, n-1)...)
}

func usageCells(s summary) []string {
	f := func(v float64, format string) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	return []string{f(s.serverCPUus, "%.1f"), f(s.workersCPUus, "%.1f"), f(s.serverCS, "%.2f"), f(s.workersCS, "%.2f")}
}

// What a row's rate is compared with, in its group.
const (
	variantOriginal = iota // the C original with the same kind, workers and concurrency
	singleHttpd            // the single-process httpd at the same concurrency
)

// baseline is the key of the row r is compared with, if r has one.
func baseline(r rowKey, against int) (rowKey, bool) {
	switch {
	case against == variantOriginal && r.kind.socketserver() && !r.original:
		r.variant = variant{original: true}
		return r, true
	case against == singleHttpd && r.kind == httpdWorkers:
		r.member = member{kind: httpdSingle}
		return r, true
	}
	return r, false
}

// againstBaseline is the summaries of r and of its baseline, when both rows have runs.
func againstBaseline(rows []row, r row, against int) (a, b summary, ok bool) {
	key, ok := baseline(r.rowKey, against)
	if !ok {
		return a, b, false
	}
	a, okA := r.measuredSummary()
	b, okB := findRow(rows, key)
	return a, b, okA && okB
}

// ratioText is r's rate divided by its baseline's, "-" when there is none.
func ratioText(rows []row, r row, against int) string {
	a, b, ok := againstBaseline(rows, r, against)
	if !ok || b.connsPerSec == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a.connsPerSec/b.connsPerSec)
}

// twoPlaces is x to two decimal places, "inf" for +Inf and "-" for NaN (a single process's
// spread).
func twoPlaces(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.IsInf(x, 1):
		return "inf"
	}
	return fmt.Sprintf("%.2f", x)
}

func ms(us float64) string {
	if math.IsNaN(us) {
		return "-"
	}
	return fmt.Sprintf("%.2f", us/1000)
}

func errorsText(errors, connections int64) string {
	if errors == 0 {
		return "0"
	}
	if connections == 0 {
		return fmt.Sprint(errors)
	}
	return fmt.Sprintf("%d (%.2f%%)", errors, 100*float64(errors)/float64(connections))
}
