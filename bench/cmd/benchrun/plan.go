package main

import (
	"fmt"
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
				n = persistentWorkers
			}
			plan = append(plan, instance{members(cfg, kind), n, modePersistent, []int{persistentConcurrency}})
		}
	}
	return append(plan, instance{members(cfg, httpdWorkers), cfg.httpdWorkers, modeHTTP, []int{cfg.httpdConcurrency}})
}

// loadRuns counts the load runs of plan and adds up their lengths.
func loadRuns(cfg config, plan []instance) (runs int, load time.Duration) {
	for _, in := range plan {
		n := len(in.concurrency) * len(in.members) * cfg.repeat
		length := cfg.duration
		if in.mode == modeHTTP {
			length = cfg.httpdDuration
		}
		runs += n
		load += time.Duration(n) * length
	}
	return runs, load
}

func describePlan(cfg config, plan []instance) string {
	runs, load := loadRuns(cfg, plan)
	return fmt.Sprintf("benchrun plan: %d server groups, %d load runs (%d repeats), %s of load;\n"+
		"  then strace over %d connections, 2 x %d tclsh runs timing package require.",
		len(plan), runs, cfg.repeat, load.Round(time.Second), cfg.straceConns, cfg.pkgRuns)
}
