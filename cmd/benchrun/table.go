package main

import (
	"fmt"
	"math"
	"strings"
)

// formatTable lays out a Markdown table whose columns line up in plain text too;
// right[i] right-aligns column i (numbers).
func formatTable(header []string, right []bool, rows [][]string) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = max(len(h), 3)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if right[i] {
				fmt.Fprintf(&b, "| %*s ", width[i], c)
			} else {
				fmt.Fprintf(&b, "| %-*s ", width[i], c)
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

// resultsTable is the run's one table: a row per server, mode, workers and concurrency.
func resultsTable(rows []row) string {
	header := []string{"server", "mode", "workers", "conc", "conn/s", "req/s", "p50 ms", "p99 ms", "spread", "errors"}
	right := []bool{false, false, true, true, true, true, true, true, true, true}
	var cells [][]string
	for _, r := range rows {
		workers := "-"
		if r.kind.multiProcess() {
			workers = fmt.Sprint(r.workers)
		}
		c := []string{r.kind.String(), r.mode, workers, fmt.Sprint(r.concurrency)}
		if len(r.samples) == 0 {
			reason := r.failed
			if reason == "" {
				reason = "no successful run"
			}
			c = append(c, "failed: "+reason, "", "", "", "", "")
		} else {
			s := r.summary()
			c = append(c, fmt.Sprintf("%.0f", s.connsPerSec), fmt.Sprintf("%.0f", s.reqsPerSec),
				ms(s.p50us), ms(s.p99us), spreadText(s.spread), errorsText(s.errors, s.connections))
		}
		cells = append(cells, c)
	}
	return formatTable(header, right, cells)
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
