package main

import (
	"math"
	"time"
)

// rowKey identifies a table row.
type rowKey struct {
	member
	mode        string
	workers     int
	concurrency int
}

// sample is what one sockbench run of a row measured.
type sample struct {
	connsPerSec, reqsPerSec float64
	p50us, p99us            float64
	spread                  float64 // see spread()
	connections, errors     int64
	// What the server process and the others (its workers) consumed during the run;
	// measured is false when /proc could not tell.
	server, workers usage
	measured        bool
	withWorkers     bool // the server has workers (other processes) to measure
}

// row is a table row: its runs, or why it has none.
type row struct {
	rowKey
	samples []sample
	failed  string
}

// summary is a row's medians over its runs; errors and connections are totals.
type summary struct {
	connsPerSec, reqsPerSec, p50us, p99us, spread float64
	connections, errors                           int64
	runs                                          int
	// Per connection, over all the runs /proc measured (NaN if none): CPU time in
	// microseconds and context switches, of the server process and of its workers.
	serverCPUus, workersCPUus, serverCS, workersCS float64
}

func (r row) summary() summary {
	var s summary
	var conns, reqs, p50, p99, spreads []float64
	for _, x := range r.samples {
		conns = append(conns, x.connsPerSec)
		reqs = append(reqs, x.reqsPerSec)
		p50 = append(p50, x.p50us)
		p99 = append(p99, x.p99us)
		spreads = append(spreads, x.spread)
		s.connections += x.connections
		s.errors += x.errors
	}
	s.serverCPUus, s.workersCPUus, s.serverCS, s.workersCS = perConnection(r.samples)
	s.connsPerSec, s.reqsPerSec = median(conns), median(reqs)
	s.p50us, s.p99us, s.spread = median(p50), median(p99), median(spreads)
	s.runs = len(r.samples)
	return s
}

// perConnection is the usage of the measured samples divided by their connections: sums
// over the runs rather than a median of per-run ratios, as /proc counts CPU time in
// 10 ms ticks, which a single short run would round coarsely.
func perConnection(samples []sample) (serverCPUus, workersCPUus, serverCS, workersCS float64) {
	var server, workers usage
	var conns int64
	withWorkers := false
	for _, x := range samples {
		if x.measured {
			withWorkers = withWorkers || x.withWorkers
			server.cpu += x.server.cpu
			server.switches += x.server.switches
			workers.cpu += x.workers.cpu
			workers.switches += x.workers.switches
			conns += x.connections
		}
	}
	if conns == 0 {
		nan := math.NaN()
		return nan, nan, nan, nan
	}
	n := float64(conns)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / n }
	if !withWorkers {
		return us(server.cpu), math.NaN(), float64(server.switches) / n, math.NaN()
	}
	return us(server.cpu), us(workers.cpu), float64(server.switches) / n, float64(workers.switches) / n
}

// rssRecord is the resident memory of a server's processes after its rows ran.
type rssRecord struct {
	member
	workers           int
	mode              string
	serverKB, otherKB int64 // -1: not measured
	otherPID          int
}

// pkgTiming compares tclsh running an empty script and one requiring socketserver.
type pkgTiming struct {
	runs          int
	bare, require time.Duration // medians
	versions      string        // "Tcl 8.6.x, socketserver x.y.z"
}

// syscallReport is strace -c -f of a socketserver server over a number of connections.
type syscallReport struct {
	workers     int
	connections int64
	summary     straceSummary
}

func (s syscallReport) perConnection() float64 {
	if s.connections == 0 {
		return 0
	}
	return float64(s.summary.total) / float64(s.connections)
}

// results is everything one run produced.
type results struct {
	cfg      config
	date     time.Time
	nproc    string
	kernel   string
	rows     []row
	rss      []rssRecord
	pkg      *pkgTiming
	syscalls *syscallReport
	notes    []string // things that went wrong without failing the run
	Failures []string
	Elapsed  time.Duration
}

// measuredSummary is the row's summary, if it has runs.
func (r row) measuredSummary() (summary, bool) {
	if len(r.samples) == 0 {
		return summary{}, false
	}
	return r.summary(), true
}

// findRow is the summary of the row with key, if it has runs.
func findRow(rows []row, key rowKey) (summary, bool) {
	for _, r := range rows {
		if r.rowKey == key {
			return r.measuredSummary()
		}
	}
	return summary{}, false
}
