// Command benchrun is `make bench`: it runs the benchmark servers of bench/servers (and
// bench/cmd/goecho) group by group, socketserver beside its -variants and the C original
// (-original) with the same handler, loads them in turn with bench/cmd/sockbench (ab for
// the HTTP rows), reads each server's and its workers' CPU time and context switches from
// /proc around every load, and prints the tables of medians, the targets computed within
// the run, and a few extra measurements (RSS, `package require` time, system calls per
// connection under strace). It writes the same to BENCHMARKS.md.
//
// It exits 1 if a server fails to start or a sockbench run sees errors on more than 1% of
// its connections, 2 for bad usage; a missed performance target is reported, not fatal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitStopped = 130
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchrun: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	started := time.Now()
	plan := buildPlan(cfg)
	fmt.Fprintln(stdout, describePlan(cfg, plan))

	b := &bench{cfg: cfg, out: stdout}
	res := b.runAll(ctx, plan)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "benchrun: interrupted; servers stopped, nothing written")
		return exitStopped
	}
	res.Elapsed = time.Since(started)

	section := renderResults(res)
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, section)
	if cfg.out != "" {
		if err := writeResultsFile(cfg.out, section); err != nil {
			fmt.Fprintf(stderr, "benchrun: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "\nwrote %s (%s)\n", cfg.out, res.Elapsed.Round(time.Second))
	}
	if len(res.Failures) > 0 {
		fmt.Fprintf(stderr, "benchrun: %d failure(s):\n", len(res.Failures))
		for _, f := range res.Failures {
			fmt.Fprintf(stderr, "  - %s\n", f)
		}
		return exitFailed
	}
	return exitOK
}
