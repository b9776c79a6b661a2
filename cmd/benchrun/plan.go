package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// instance is one server started: every run of its rows goes to it before it stops.
type instance struct {
	kind        serverKind
	workers     int
	mode        string
	concurrency []int
}

func (in instance) String() string {
	return fmt.Sprintf("%s, %s, %s", in.kind, workersText(in.kind, in.workers), in.mode)
}

func workersText(kind serverKind, n int) string {
	unit := "worker"
	if !kind.multiProcess() || kind == reusePort {
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

// buildPlan lists the servers to start in order: each kind with each worker count (the
// single-process ones once) for the oneshot rows, then one persistent row per kind.
func buildPlan(cfg config) []instance {
	var plan []instance
	for kind := range numKinds {
		counts := []int{1}
		if kind.multiProcess() {
			counts = cfg.workers
		}
		for _, n := range counts {
			plan = append(plan, instance{kind, n, modeOneshot, cfg.concurrency})
		}
	}
	if cfg.persistent {
		for kind := range numKinds {
			n := 1
			if kind.multiProcess() {
				n = persistentWorkers(cfg.workers)
			}
			plan = append(plan, instance{kind, n, modePersistent, []int{persistentConcurrency}})
		}
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
	runOverhead      = 100 * time.Millisecond // starting sockbench, its final reads
	startOverhead    = 500 * time.Millisecond
	straceOverhead   = 3 * time.Second
	straceRate       = 1000 // connections per second under strace
	tclshRunEstimate = 30 * time.Millisecond
)

func estimate(cfg config, plan []instance) (runs int, load, total time.Duration) {
	for _, in := range plan {
		runs += len(in.concurrency) * cfg.repeat
	}
	load = time.Duration(runs) * cfg.duration
	total = load + time.Duration(runs)*runOverhead + time.Duration(len(plan))*startOverhead
	if cfg.straceConns > 0 {
		total += straceOverhead + time.Duration(cfg.straceConns)*time.Second/straceRate
	}
	total += time.Duration(2*cfg.pkgRuns) * tclshRunEstimate
	return runs, load, total
}

func describePlan(cfg config, plan []instance) string {
	runs, load, total := estimate(cfg, plan)
	var b strings.Builder
	fmt.Fprintf(&b, "benchrun plan: %d servers started, %d sockbench runs of %s (%d repeats), %s of load;\n",
		len(plan), runs, cfg.duration, cfg.repeat, load.Round(time.Second))
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
