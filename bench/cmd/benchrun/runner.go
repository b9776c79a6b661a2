package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"socketserver/bench/internal/sockreport"
)

// maxErrorRate is the share of failed connections above which a run fails benchrun.
const maxErrorRate = 0.01

// bench runs the plan, reporting progress on out.
type bench struct {
	cfg     config
	out     io.Writer
	done    int // sockbench runs done, for progress
	total   int
	started int // servers started, to name their logs
}

func (b *bench) runAll(ctx context.Context, plan []instance) *results {
	res := &results{cfg: b.cfg, date: time.Now()}
	res.nproc, res.kernel = environment(ctx)
	b.total, _ = loadRuns(b.cfg, plan)
	for _, in := range plan {
		if ctx.Err() != nil {
			return res
		}
		b.runInstance(ctx, in, res)
	}
	if ctx.Err() == nil {
		b.measureSyscalls(ctx, res)
	}
	if ctx.Err() == nil {
		b.measurePackageRequire(ctx, res)
	}
	return res
}

// start starts member m of in, naming its log after it.
func (b *bench) start(in instance, m member) (*server, error) {
	b.started++
	name := strings.Join(strings.Fields(strings.NewReplacer("-", "", "/", "").Replace(m.String())), "-")
	log := filepath.Join(b.cfg.logdir, fmt.Sprintf("%02d-%s-%d-%s.log", b.started, name, in.workers, in.mode))
	return startServer(serverArgv(b.cfg, m, in.workers, in.mode), log, startTimeout)
}

// runInstance starts the servers of in, runs each of their rows -repeat times, in turn
// (each concurrency of each member, then again: A B A B, so that drift spreads over all
// of them and the ratios compare runs made side by side), records their RSS and stops them.
func (b *bench) runInstance(ctx context.Context, in instance, res *results) {
	first := len(res.rows)
	for _, c := range in.concurrency {
		for _, m := range in.members {
			res.rows = append(res.rows, row{rowKey: rowKey{m, in.mode, in.workers, c}})
		}
	}
	rows := res.rows[first:]
	servers := map[member]*server{}
	for _, m := range in.members {
		srv, err := b.start(in, m)
		if err != nil {
			msg := fmt.Sprintf("server %s, %s failed to start: %v", m, workersText(m.kind, in.workers), err)
			res.Failures = append(res.Failures, msg)
			fmt.Fprintf(b.out, "FAILED: %s\n", msg)
			continue
		}
		servers[m] = srv
		defer func() { res.notes = append(res.notes, srv.stop(stopTimeout)...) }()
	}
	for rep := 1; rep <= b.cfg.repeat; rep++ {
		for i := range rows {
			if ctx.Err() != nil {
				return
			}
			b.done++
			srv := servers[rows[i].member]
			if srv == nil {
				rows[i].failed = "did not start"
				continue
			}
			label := fmt.Sprintf("%s, %s, %s c=%d run %d/%d", rows[i].member, workersText(rows[i].kind, in.workers),
				in.mode, rows[i].concurrency, rep, b.cfg.repeat)
			s, err := b.measure(ctx, srv, rows[i].rowKey)
			if ctx.Err() != nil {
				return // interrupted: the run is abandoned, not failed
			}
			if err != nil {
				res.Failures = append(res.Failures, fmt.Sprintf("%s: %v", label, err))
				fmt.Fprintf(b.out, "[%3d/%d] %s: FAILED: %v\n", b.done, b.total, label, err)
				if s.connections == 0 {
					continue
				}
			}
			rows[i].samples = append(rows[i].samples, s)
			if err == nil {
				fmt.Fprintf(b.out, "[%3d/%d] %s: %.0f conn/s, %.0f req/s, p99 %.2f ms, spread %s, %d errors\n",
					b.done, b.total, label, s.connsPerSec, s.reqsPerSec, s.p99us/1000, twoPlaces(s.spread), s.errors)
			}
		}
	}
	for _, m := range in.members {
		if srv := servers[m]; srv != nil {
			res.rss = append(res.rss, measureRSS(m, in, srv))
		}
	}
}

// measure runs one load of row key against srv (sockbench, or ab for the HTTP rows),
// reading the usage of the server process and of its workers before and after.
func (b *bench) measure(ctx context.Context, srv *server, key rowKey) (sample, error) {
	before, errBefore := srvUsage(srv)
	var s sample
	var err error
	if key.mode == modeHTTP {
		var rep abReport
		csv := filepath.Join(b.cfg.logdir, "ab-percentiles.csv")
		rep, err = runAB(ctx, srv.port, key.concurrency, b.cfg.httpdDuration, csv)
		s = sample{connsPerSec: rep.reqsPerSec, reqsPerSec: rep.reqsPerSec, p50us: rep.p50us, p99us: rep.p99us,
			spread: math.NaN(), connections: rep.complete, errors: rep.failed}
	} else {
		l := load{port: srv.port, mode: key.mode, concurrency: key.concurrency, duration: b.cfg.duration}
		var rep sockreport.Report
		rep, err = runSockbench(ctx, filepath.Join(b.cfg.bin, "sockbench"), l)
		if err == nil && rep.ErrorRate() > maxErrorRate {
			err = fmt.Errorf("errors on %.1f%% of connections (%d errors, %d connections): %s",
				100*rep.ErrorRate(), rep.ErrorsTotal, rep.Connections, rep.ErrorSummary())
		}
		expected := 1
		if key.kind.multiProcess() {
			expected = key.workers
		}
		s = sample{connsPerSec: rep.ConnsPerSec, reqsPerSec: rep.ReqsPerSec, p50us: rep.P50us,
			p99us: rep.P99us, spread: spread(rep, expected), connections: rep.Connections, errors: rep.ErrorsTotal}
	}
	after, errAfter := srvUsage(srv)
	if errBefore == nil && errAfter == nil {
		s.server, s.workers, s.measured = after[0].sub(before[0]), after[1].sub(before[1]), true
		s.withWorkers = len(srv.pids) > 1
	}
	return s, err
}

// srvUsage is the usage so far of srv's process and of its workers.
func srvUsage(srv *server) ([2]usage, error) {
	var u [2]usage
	var err error
	if u[0], err = readUsage(srv.pids[:1]); err == nil {
		u[1], err = readUsage(srv.pids[1:])
	}
	return u, err
}

func measureRSS(m member, in instance, srv *server) rssRecord {
	r := rssRecord{member: m, workers: in.workers, mode: in.mode, serverKB: -1, otherKB: -1}
	if kb, err := vmRSS(srv.pids[0]); err == nil {
		r.serverKB = kb
	}
	if len(srv.pids) > 1 {
		r.otherPID = srv.pids[1]
		if kb, err := vmRSS(r.otherPID); err == nil {
			r.otherKB = kb
		}
	}
	return r
}
