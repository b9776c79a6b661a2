package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"
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
	b.total, _, _ = estimate(b.cfg, plan)
	for _, in := range plan {
		if ctx.Err() != nil {
			return res
		}
		b.runInstance(ctx, in, res)
	}
	if b.cfg.straceConns > 0 && ctx.Err() == nil {
		b.measureSyscalls(ctx, res)
	}
	if b.cfg.pkgRuns > 0 && ctx.Err() == nil {
		b.measurePackageRequire(ctx, res)
	}
	return res
}

// start starts a server for in, naming its log after it.
func (b *bench) start(in instance) (*server, error) {
	b.started++
	log := filepath.Join(b.cfg.logdir, fmt.Sprintf("%02d-%s-%d-%s.log", b.started,
		map[serverKind]string{ssEvent: "ss-event", ssImmediate: "ss-immediate", plainTcl: "plain",
			reusePort: "reuseport", goEcho: "goecho"}[in.kind], in.workers, in.mode))
	return startServer(serverArgv(b.cfg, in.kind, in.workers, in.mode), log, b.cfg.startWait)
}

// runInstance starts the server of in, runs each of its rows -repeat times (interleaved,
// so that drift spreads over all of them), records its RSS and stops it.
func (b *bench) runInstance(ctx context.Context, in instance, res *results) {
	first := len(res.rows)
	for _, c := range in.concurrency {
		res.rows = append(res.rows, row{rowKey: rowKey{in.kind, in.mode, in.workers, c}})
	}
	rows := res.rows[first:]
	srv, err := b.start(in)
	if err != nil {
		msg := fmt.Sprintf("server %s failed to start: %v", in, err)
		res.Failures = append(res.Failures, msg)
		for i := range rows {
			rows[i].failed = "did not start"
		}
		b.done += len(rows) * b.cfg.repeat
		fmt.Fprintf(b.out, "FAILED: %s\n", msg)
		return
	}
	defer func() { res.notes = append(res.notes, srv.stop(b.cfg.stopWait)...) }()

	expected := 1
	if in.kind.multiProcess() {
		expected = in.workers
	}
	for rep := 1; rep <= b.cfg.repeat; rep++ {
		for i := range rows {
			if ctx.Err() != nil {
				return
			}
			b.done++
			l := load{port: srv.port, mode: in.mode, lines: b.cfg.lines, concurrency: rows[i].concurrency,
				duration: b.cfg.duration, timeout: b.cfg.opTimeout}
			rep1, err := runSockbench(ctx, filepath.Join(b.cfg.bin, "sockbench"), l)
			if ctx.Err() != nil {
				return // interrupted: the run is abandoned, not failed
			}
			label := fmt.Sprintf("%s c=%d run %d/%d", in, l.concurrency, rep, b.cfg.repeat)
			if err == nil && rep1.errorRate() > maxErrorRate {
				err = fmt.Errorf("errors on %.1f%% of connections (%d errors, %d connections): %s",
					100*rep1.errorRate(), rep1.ErrorsTotal, rep1.Connections, rep1.errorSummary())
			}
			if err != nil {
				res.Failures = append(res.Failures, fmt.Sprintf("%s: %v", label, err))
				fmt.Fprintf(b.out, "[%3d/%d] %s: FAILED: %v\n", b.done, b.total, label, err)
				if rep1.Requests == 0 {
					continue
				}
			}
			s := sample{connsPerSec: rep1.ConnsPerSec, reqsPerSec: rep1.ReqsPerSec, p50us: rep1.P50us,
				p99us: rep1.P99us, spread: spread(rep1, expected), connections: rep1.Connections, errors: rep1.ErrorsTotal}
			rows[i].samples = append(rows[i].samples, s)
			if err == nil {
				fmt.Fprintf(b.out, "[%3d/%d] %s: %.0f conn/s, %.0f req/s, p99 %.2f ms, spread %s, %d errors\n",
					b.done, b.total, label, s.connsPerSec, s.reqsPerSec, s.p99us/1000, spreadText(s.spread), s.errors)
			}
		}
	}
	res.rss = append(res.rss, measureRSS(in, srv))
}

func measureRSS(in instance, srv *server) rssRecord {
	r := rssRecord{instance: in, serverKB: -1, otherKB: -1}
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

func spreadText(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.IsInf(x, 1):
		return "inf"
	}
	return fmt.Sprintf("%.2f", x)
}
