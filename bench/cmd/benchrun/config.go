package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type config struct {
	build    string   // the built package (pkgIndex.tcl and the library)
	bin      string   // sockbench and goecho
	servers  string   // bench/servers
	tclsh    string   // runs the servers
	original string   // the C original's package directory; "" compares nothing
	variants []string // more `socket server` options, each a variant of the socketserver rows
	logdir   string   // BUILD/benchlogs: servers' stderr, one file per server started
	out      string   // BENCHMARKS.md; "" writes nothing
	command  string   // how the run was started, for the record
	argv     []string
	duration time.Duration // of each sockbench run
	repeat   int

	httpdDuration    time.Duration // of each ab run
	httpdWorkers     int
	httpdConcurrency int

	// What -quick shortens.
	workers     []int // worker counts of the multi-process servers
	concurrency []int // client concurrencies of the oneshot rows
	persistent  bool  // one persistent-mode row per server
	straceConns int64 // connections counted under strace
	pkgRuns     int   // tclsh runs of each script timing `package require`
}

// The fixed points of the run: the persistent rows and the strace measurement (the
// targets compare them at these counts), and the limits on the processes it starts.
const (
	persistentConcurrency = 8
	persistentWorkers     = 2 // of the multi-process servers
	persistentLines       = 100
	straceConcurrency     = 8
	straceWorkers         = 2
	opTimeout             = 2 * time.Second  // sockbench -timeout: each dial, write and read
	startTimeout          = 30 * time.Second // for a server to print its port
	stopTimeout           = 5 * time.Second  // for a server to exit once its stdin closes
	watchdog              = 10 * time.Minute // servers exit on their own after this long
)

func parseConfig(args []string, stdout, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{argv: args, workers: []int{1, 2, 4}, concurrency: []int{1, 8, 32}, persistent: true,
		straceConns: 2000, pkgRuns: 20}
	var variants string
	var quick bool
	fs.StringVar(&cfg.build, "build", "build", "directory of the built package (make BUILD=...)")
	fs.StringVar(&cfg.bin, "bin", "", "directory holding sockbench and goecho (default BUILD/bin)")
	fs.StringVar(&cfg.servers, "servers", "bench/servers", "directory of the server scripts")
	fs.StringVar(&cfg.tclsh, "tclsh", "tclsh", "tclsh to run the servers with")
	fs.StringVar(&cfg.original, "original", "", "package directory of the C original, socketservertcl 1.1: adds its rows, interleaved")
	fs.StringVar(&variants, "variants", "", `socketserver rows with more server options, ";"-separated (e.g. "-queue 8")`)
	fs.DurationVar(&cfg.httpdDuration, "httpd-duration", 3*time.Second, "length of each ab run of the HTTP rows")
	fs.IntVar(&cfg.httpdWorkers, "httpd-workers", 2, "workers of the HTTP rows")
	fs.IntVar(&cfg.httpdConcurrency, "httpd-concurrency", 16, "ab -c of the HTTP rows")
	fs.StringVar(&cfg.out, "out", "BENCHMARKS.md", `file whose results section the run replaces ("" for none)`)
	fs.StringVar(&cfg.command, "command", "", "the command that started this run, recorded in -out")
	fs.BoolVar(&quick, "quick", false, "one short configuration per server (a smoke test, under a minute)")
	fs.DurationVar(&cfg.duration, "duration", 1500*time.Millisecond, "length of each sockbench run")
	fs.IntVar(&cfg.repeat, "repeat", 3, "runs of each configuration; the table shows medians")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: benchrun [flags]\n\nRuns the server comparison of `make bench`; see bench/cmd/benchrun/main.go.\n\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		applyQuick(&cfg, set)
	}
	for _, v := range strings.Split(variants, ";") {
		if v = strings.Join(strings.Fields(v), " "); v != "" {
			cfg.variants = append(cfg.variants, v)
		}
	}
	if cfg.bin == "" {
		cfg.bin = filepath.Join(cfg.build, "bin")
	}
	cfg.logdir = filepath.Join(cfg.build, "benchlogs")
	if err := cfg.validate(); err != nil {
		return config{}, err
	}
	return cfg, cleanLogdir(cfg.logdir)
}

// cleanLogdir creates the log directory, removing the logs of an earlier run.
func cleanLogdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range old {
		os.Remove(f)
	}
	return nil
}

// applyQuick shortens the run to one configuration per server; the lengths the command
// line set stay as set.
func applyQuick(cfg *config, set map[string]bool) {
	cfg.workers, cfg.concurrency, cfg.persistent = []int{2}, []int{8}, false
	cfg.straceConns, cfg.pkgRuns = 300, 5
	if !set["duration"] {
		cfg.duration = time.Second
	}
	if !set["repeat"] {
		cfg.repeat = 1
	}
	if !set["httpd-duration"] {
		cfg.httpdDuration = time.Second
	}
}

func (cfg *config) validate() error {
	switch {
	case cfg.duration <= 0 || cfg.httpdDuration <= 0:
		return errors.New("-duration and -httpd-duration must be > 0")
	case cfg.repeat < 1:
		return errors.New("-repeat must be >= 1")
	case cfg.httpdWorkers < 1 || cfg.httpdConcurrency < 1:
		return errors.New("-httpd-workers and -httpd-concurrency must be >= 1")
	}
	dirs := []string{cfg.build, cfg.bin, cfg.servers}
	if cfg.original != "" {
		dirs = append(dirs, cfg.original)
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: not a directory (run through `make bench`)", dir)
		}
	}
	return nil
}
