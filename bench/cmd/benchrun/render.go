package main

import (
	"fmt"
	"strings"
	"time"
)

// renderResults is the results section: printed at the end of the run and written below
// the marker of BENCHMARKS.md.
func renderResults(res *results) string {
	var b strings.Builder
	cfg := res.cfg
	b.WriteString("## Results\n\n")
	command := shellJoin(append([]string{"benchrun"}, cfg.argv...))
	if cfg.command != "" {
		fmt.Fprintf(&b, "- Command: `%s` (ran `%s`)\n", cfg.command, command)
	} else {
		fmt.Fprintf(&b, "- Command: `%s`\n", command)
	}
	fmt.Fprintf(&b, "- Date: %s\n", res.date.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(&b, "- `nproc`: %s; kernel (`uname -sr`): %s\n", res.nproc, res.kernel)
	if res.pkg != nil && res.pkg.versions != "" {
		fmt.Fprintf(&b, "- Versions: %s\n", res.pkg.versions)
	}
	fmt.Fprintf(&b, "- Settings: %s per sockbench run, %d run(s) per row, medians shown; oneshot rows at concurrency %s",
		cfg.duration, cfg.repeat, joinInts(cfg.concurrency))
	if cfg.persistent {
		fmt.Fprintf(&b, "; persistent rows: %d lines per connection at concurrency %d", persistentLines, persistentConcurrency)
	}
	fmt.Fprintf(&b, "; sockbench -timeout %s; HTTP rows: `ab -t %s -c %d`, %d workers\n",
		opTimeout, cfg.httpdDuration.Round(time.Second), cfg.httpdConcurrency, cfg.httpdWorkers)
	if cfg.original != "" {
		fmt.Fprintf(&b, "- Original: socketservertcl 1.1 from `%s`, every socketserver row's group run interleaved with it\n", cfg.original)
	} else {
		b.WriteString("- Original: not compared (no -original directory)\n")
	}
	if len(cfg.variants) > 0 {
		fmt.Fprintf(&b, "- Variants: socketserver rows also with server options %s\n", "`"+strings.Join(cfg.variants, "`, `")+"`")
	}
	if res.Elapsed > 0 {
		fmt.Fprintf(&b, "- Run time: %s\n", res.Elapsed.Round(time.Second))
	}

	b.WriteString("\n### Throughput and latency\n\n")
	b.WriteString(resultsTable(res.rows))
	b.WriteString("\n### HTTP: tcllib httpd (examples/httpd_server.tcl's page)\n\n")
	b.WriteString(httpTable(res.rows))

	b.WriteString("\n### Targets\n\n")
	for _, t := range evaluateTargets(res) {
		fmt.Fprintf(&b, "- %s\n", t)
	}
	b.WriteString("- p99 latency of every row is in the table's p99 column (no limit set, so not marked).\n")

	renderRSS(&b, res.rss)
	renderPackageRequire(&b, res.pkg)
	renderSyscalls(&b, res.syscalls)
	renderList(&b, "Failures (benchrun exited 1)", res.Failures)
	renderList(&b, "Notes", res.notes)
	b.WriteString(howToRead)
	return b.String()
}

func renderRSS(b *strings.Builder, rss []rssRecord) {
	if len(rss) == 0 {
		return
	}
	b.WriteString("\n### Memory: VmRSS after each server's rows\n\n")
	var cells [][]string
	for _, r := range rss {
		other := "-"
		if r.otherPID != 0 {
			other = kbText(r.otherKB)
		}
		cells = append(cells, []string{r.member.String(), r.mode,
			workersText(r.kind, r.workers), kbText(r.serverKB), other})
	}
	b.WriteString(formatTable([]string{"server", "mode", "processes", "server process", "one worker / other process"},
		[]bool{false, false, false, true, true}, cells))
}

func kbText(kb int64) string {
	if kb < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
}

func renderPackageRequire(b *strings.Builder, p *pkgTiming) {
	if p == nil {
		return
	}
	b.WriteString("\n### `package require socketserver` time\n\n")
	fmt.Fprintf(b, "Median wall time of %d runs each (alternating): `tclsh` with an empty script %s; "+
		"with `lappend auto_path BUILD; package require socketserver` %s; difference %s.\n",
		p.runs, msDuration(p.bare), msDuration(p.require), msDuration(p.require-p.bare))
}

func msDuration(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func renderSyscalls(b *strings.Builder, sc *syscallReport) {
	if sc == nil {
		return
	}
	b.WriteString("\n### System calls per connection in the socketserver server process\n\n")
	fmt.Fprintf(b, "`strace -c -f -p SERVER` (all its threads; workers not counted), socketserver immediate, %d workers, "+
		"%d oneshot connections at concurrency %d: %d calls (%d failed), **%.2f per connection** (target <= 4).\n\n",
		sc.workers, sc.connections, straceConcurrency, sc.summary.total, sc.summary.errors, sc.perConnection())
	var cells [][]string
	for _, c := range sc.summary.calls {
		cells = append(cells, []string{c.name, fmt.Sprint(c.calls), fmt.Sprintf("%.2f", float64(c.calls)/float64(sc.connections)), fmt.Sprint(c.errors)})
	}
	b.WriteString(formatTable([]string{"syscall", "calls", "per connection", "errors"}, []bool{false, true, true, true}, cells))
}

func renderList(b *strings.Builder, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s\n\n", title)
	for _, it := range items {
		fmt.Fprintf(b, "- %s\n", it)
	}
}

// shellJoin quotes words as a POSIX shell would need them.
func shellJoin(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			out[i] = w
		} else {
			out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

const howToRead = `
### How to read this

Each row is one server under one client load from sockbench on loopback: "oneshot"
connections carry one line each (connect, send, read the reply, close with RST), so conn/s
measures accepting and handing over connections; "persistent" connections carry many lines,
so req/s measures the handler. conn/s and req/s are medians over the runs, as are p50 and
p99 (milliseconds from the start of the dial to the reply in oneshot mode, per line in
persistent mode). "spread" is the largest number of connections one worker (process)
served divided by the smallest: 1.00 is an even share, "inf" means a worker served none,
"-" a single process. "errors" totals every run's failed connections. A socketserver
worker serves one connection at a time, so in the persistent rows (more clients than
workers) a connection's first line waits for a worker to finish another connection: that
wait is in their p99.

Rows are run in groups started together and loaded in turn (A B A B): a socketserver
row, the same row with each variant's server options, and the C original's (same
handler, workers and concurrency), so "vs original" compares runs made side by side.
"srv" is the process that accepts (its every thread), "wrk" all its workers (or other
processes) together: CPU time is user plus system from /proc/PID/stat, context switches
are voluntary plus nonvoluntary summed over /proc/PID/task/*/status, read before and
after each run and divided by the connections served, summed over the row's runs (so
10 ms clock ticks do not round a short run). The HTTP rows are tcllib's httpd serving
one small page, a new connection per request, measured by ab (p50 and p99 of its
whole request time, "failed" its failed and non-2xx requests), in socketserver workers,
in the original's workers and in one process listening itself.

The servers, the client and everything else on the machine share its
CPUs, so compare rows of one run rather than across machines or runs; the targets are
computed within the run.
`
