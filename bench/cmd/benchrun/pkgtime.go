package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// measurePackageRequire times cfg.pkgRuns runs each of tclsh with an empty script and
// with one doing `package require socketserver`, alternating, and keeps the medians.
func (b *bench) measurePackageRequire(ctx context.Context, res *results) {
	dir := b.cfg.logdir
	build := abs(b.cfg.build)
	empty := filepath.Join(dir, "empty.tcl")
	require := filepath.Join(dir, "require.tcl")
	versions := filepath.Join(dir, "versions.tcl")
	scripts := map[string]string{
		empty:    "",
		require:  fmt.Sprintf("lappend auto_path {%s}\npackage require socketserver\n", build),
		versions: fmt.Sprintf("lappend auto_path {%s}\nputs \"Tcl [info patchlevel], socketserver [package require socketserver]\"\n", build),
	}
	for path, text := range scripts {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			res.notes = append(res.notes, fmt.Sprintf("package require timing skipped: %v", err))
			return
		}
	}
	fmt.Fprintf(b.out, "package require: %d runs each of tclsh with an empty script and with `package require socketserver`\n", b.cfg.pkgRuns)
	times := map[string][]float64{} // by script
	for range b.cfg.pkgRuns {
		for _, script := range []string{empty, require} {
			d, _, err := timeTclsh(ctx, b.cfg.tclsh, script)
			if err != nil {
				res.Failures = append(res.Failures, fmt.Sprintf("package require timing: %v", err))
				return
			}
			times[script] = append(times[script], float64(d))
		}
	}
	_, out, err := timeTclsh(ctx, b.cfg.tclsh, versions)
	if err != nil {
		res.Failures = append(res.Failures, fmt.Sprintf("package require timing: %v", err))
		return
	}
	res.pkg = &pkgTiming{runs: b.cfg.pkgRuns, bare: time.Duration(median(times[empty])),
		require: time.Duration(median(times[require])), versions: out}
	fmt.Fprintf(b.out, "package require: bare tclsh %s, with package require %s\n",
		res.pkg.bare.Round(time.Microsecond*100), res.pkg.require.Round(time.Microsecond*100))
}

// timeTclsh runs tclsh script (bounded) and returns its wall time and stdout.
func timeTclsh(ctx context.Context, tclsh, script string) (time.Duration, string, error) {
	start := time.Now()
	out, err := runBounded(ctx, 30*time.Second, tclsh, script)
	return time.Since(start), strings.TrimSpace(string(out)), err
}
