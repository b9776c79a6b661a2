package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// instance is one group of servers started together: every run of their rows goes to
// them, interleaved (A B A B: each row of each member in turn, -repeat times), before
// they stop. A socketserver kind's group holds this package with its default options,
// each -variants, and the C original (with -original); a single-process kind's group,
// that server alone; the HTTP group adds the single-process httpd.
type instance struct {
	members     []member
	workers     int
	mode        string
	concurrency []int
}

func (in instance) String() string {
	names := make([]string, len(in.members))
	for i, m := range in.members {
		names[i] = m.String()
	}
	return fmt.Sprintf("%s, %s, %s", strings.Join(names, " / "), workersText(in.members[0].kind, in.workers), in.mode)
}

func workersText(kind serverKind, n int) string {
	if !kind.multiProcess() {
		return "1 process"
	}
	unit := "worker"
	if kind == reusePort {
		unit = "process"
	}
	if n == 1 {
		return "1 " + unit
	}
	if unit == "process" {
		return fmt.Sprintf("%d processes", n)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// members is the group of kind: for a socketserver kind, this package, its variants and
// the original (when cfg names one).
func members(cfg config, kind serverKind) []member {
	group := []member{{kind: kind}}
	if !kind.socketserver() {
		return group
	}
	for _, opts := range cfg.variants {
		group = append(group, member{kind, variant{options: opts}})
	}
	if cfg.original != "" {
		group = append(group, member{kind, variant{original: true}})
	}
	if kind == httpdWorkers {
		group = append(group, member{kind: httpdSingle})
	}
	return group
}

// echoKinds are the kinds of the echo rows, in order.
var echoKinds = []serverKind{ssEvent, ssImmediate, plainTcl, reusePort, goEcho}

// buildPlan lists the groups to start in order: each echo kind with each worker count
// (the single-process ones once) for the oneshot rows, one persistent row per kind, then
// the HTTP group.
func buildPlan(cfg config) []instance {
	var plan []instance
	for _, kind := range echoKinds {
		counts := []int{1}
		if kind.multiProcess() {
			counts = cfg.workers
		}
		for _, n := range counts {
			plan = append(plan, instance{members(cfg, kind), n, modeOneshot, cfg.concurrency})
		}
	}
	if cfg.persistent {
		for _, kind := range echoKinds {
			n := 1
			if kind.multiProcess() {
				n = persistentWorkers(cfg.workers)
			}
			plan = append(plan, instance{members(cfg, kind), n, modePersistent, []int{persistentConcurrency}})
		}
	}
	if cfg.httpdDuration > 0 {
		plan = append(plan, instance{members(cfg, httpdWorkers), cfg.httpdWorkers, modeHTTP, []int{cfg.httpdConcurrency}})
	}
	return plan
}

// persistentWorkers is the worker count of the persistent rows: 2, the count the targets
// compare, when it is measured, else the largest.
func persistentWorkers(counts []int) int {
	if slices.Contains(counts, 2) {
		return 2
	}
	return slices.Max(counts)
}

// Rough costs, for the estimate printed before the run.
const (
	runOverhead      = 150 * time.Millisecond // starting sockbench, reading /proc, its final reads
	startOverhead    = 500 * time.Millisecond // per server started
	straceOverhead   = 3 * time.Second
	straceRate       = 1000 // connections per second under strace
	tclshRunEstimate = 30 * time.Millisecond
)

func (cfg config) runDuration(mode string) time.Duration {
	if mode == modeHTTP {
		return cfg.httpdDuration
	}
	return cfg.duration
}

func estimate(cfg config, plan []instance) (runs int, load, total time.Duration) {
	starts := 0
	for _, in := range plan {
		n := len(in.concurrency) * len(in.members) * cfg.repeat
		runs += n
		starts += len(in.members)
		load += time.Duration(n) * cfg.runDuration(in.mode)
	}
	total = load + time.Duration(runs)*runOverhead + time.Duration(starts)*startOverhead
	if cfg.straceConns > 0 {
		total += straceOverhead + time.Duration(cfg.straceConns)*time.Second/straceRate
	}
	total += time.Duration(2*cfg.pkgRuns) * tclshRunEstimate
	return runs, load, total
}

func describePlan(cfg config, plan []instance) string {
	runs, load, total := estimate(cfg, plan)
	var b strings.Builder
	fmt.Fprintf(&b, "benchrun plan: %d server groups, %d load runs (%d repeats), %s of load;\n",
		len(plan), runs, cfg.repeat, load.Round(time.Second))
	extras := []string{}
	if cfg.straceConns > 0 {
		extras = append(extras, fmt.Sprintf("strace over %d connections", cfg.straceConns))
	}
	if cfg.pkgRuns > 0 {
		extras = append(extras, fmt.Sprintf("2 x %d tclsh runs timing package require", cfg.pkgRuns))
	}
	if len(extras) > 0 {
		fmt.Fprintf(&b, "  then %s;\n", strings.Join(extras, ", "))
	}
	fmt.Fprintf(&b, "  planned total about %s.", total.Round(time.Second))
	return b.String()
}
