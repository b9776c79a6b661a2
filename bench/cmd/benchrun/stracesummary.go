package main

import (
	"fmt"
	"strconv"
	"strings"
)

// straceSummary is the table `strace -c` writes on detaching.
type straceSummary struct {
	total, errors int64
	calls         []syscallCount // as listed: by time spent, most first
}

type syscallCount struct {
	name          string
	calls, errors int64
}

// parseStraceSummary reads the output of `strace -c`:
//
//	% time     seconds  usecs/call     calls    errors syscall
//	------ ----------- ----------- --------- --------- ----------------
//	 63.21    1.001205         270      3701       388 futex
//	...
//	------ ----------- ----------- --------- --------- ----------------
//	100.00    1.584045          88     17877      2402 total
//
// Empty cells (no errors; no usecs/call in some versions' total line) make the columns
// ambiguous by count, so each value goes to the column whose dashes it ends under. More
// than one table (one per personality) are added up.
func parseStraceSummary(text string) (straceSummary, error) {
	var s straceSummary
	var header []string
	var spans [][2]int // columns, from the dashes line
	totals := 0
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "% time"):
			header = strings.Fields(strings.Replace(line, "% time", "%time", 1))
			spans = nil
			continue
		case strings.HasPrefix(line, "------"):
			if spans == nil {
				spans = dashSpans(line)
			}
			continue
		case spans == nil || strings.TrimSpace(line) == "":
			continue
		}
		cells := cellsBySpan(line, spans)
		count := syscallCount{name: cells[len(cells)-1]}
		var err error
		for i, h := range header {
			if i >= len(cells)-1 || cells[i] == "" {
				continue
			}
			switch h {
			case "calls":
				count.calls, err = strconv.ParseInt(cells[i], 10, 64)
			case "errors":
				count.errors, err = strconv.ParseInt(cells[i], 10, 64)
			}
			if err != nil {
				return s, fmt.Errorf("strace summary: bad %s %q in %q", h, cells[i], line)
			}
		}
		if count.name == "total" {
			s.total += count.calls
			s.errors += count.errors
			totals++
			spans = nil
			continue
		}
		s.calls = append(s.calls, count)
	}
	if totals == 0 {
		return s, fmt.Errorf("strace summary: no total line")
	}
	return s, nil
}

// dashSpans returns the [start, end) of each run of dashes.
func dashSpans(line string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(line); {
		if line[i] != '-' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '-' {
			j++
		}
		spans = append(spans, [2]int{i, j})
		i = j
	}
	return spans
}

// cellsBySpan splits line into one cell per span: each word goes to the span it ends in
// (words are right-aligned under the dashes); the last span takes the rest of the line.
func cellsBySpan(line string, spans [][2]int) []string {
	cells := make([]string, len(spans))
	last := len(spans) - 1
	for _, w := range words(line) {
		col := last
		for i, sp := range spans[:last] {
			if w.end <= sp[1] {
				col = i
				break
			}
		}
		if col == last && w.start < spans[last][0] {
			// A word ending past its column, left of the name: the closest column.
			col = max(0, last-1)
		}
		if cells[col] != "" {
			cells[col] += " "
		}
		cells[col] += w.text
	}
	return cells
}

type word struct {
	text       string
	start, end int
}

func words(line string) []word {
	var ws []word
	for i := 0; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		ws = append(ws, word{line[i:j], i, j})
		i = j
	}
	return ws
}
