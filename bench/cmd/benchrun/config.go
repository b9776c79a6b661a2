package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type config struct {
	build       string // the built package (pkgIndex.tcl and the library)
	bin         string // sockbench and goecho
	servers     string // bench/servers
	tclsh       string
	strace      string
	ab          string
	original    string   // the C original's package directory; "" compares nothing
	variants    []string // more `socket server` options, each a variant of the socketserver rows
	notes       []string // -note lines, for the report
	logdir      string   // servers' stderr, one file per server started
	out         string   // BENCHMARKS.md; "" writes nothing
	command     string   // how the run was started, for the record
	argv        []string
	quick       bool
	duration    time.Duration // of each sockbench run
	repeat      int
	workers     []int
	concurrency []int
	persistent  bool // one persistent-mode row per server
	lines       int  // lines per connection in persistent mode
	opTimeout   time.Duration
	startWait   time.Duration // for a server's port line
	stopWait    time.Duration // for a server to exit once its stdin is closed
	straceConns int64
	pkgRuns     int
	watchdog    time.Duration

	httpdDuration    time.Duration // of each ab run; 0 skips the HTTP rows
	httpdWorkers     int
	httpdConcurrency int
}

// The fixed points of the run: the rows the targets compare.
const (
	persistentConcurrency = 8
	straceConcurrency     = 8
	straceWorkers         = 2
)

func parseConfig(args []string, stdout, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{argv: args}
	var workers, concurrency, variants string
	fs.StringVar(&cfg.build, "build", "build", "directory of the built package (make BUILD=...)")
	fs.StringVar(&cfg.bin, "bin", "", "directory holding sockbench and goecho (default BUILD/bin)")
	fs.StringVar(&cfg.servers, "servers", "bench/servers", "directory of the server scripts")
	fs.StringVar(&cfg.tclsh, "tclsh", "tclsh", "tclsh to run the servers with")
	fs.StringVar(&cfg.strace, "strace", "strace", "strace, for system calls per connection")
	fs.StringVar(&cfg.ab, "ab", "ab", "ab (apache2-utils), for the HTTP rows")
	fs.StringVar(&cfg.original, "original", "", "package directory of the C original, socketservertcl 1.1: adds its rows, interleaved")
	fs.StringVar(&variants, "variants", "", `socketserver rows with more server options, ";"-separated (e.g. "-queue 8")`)
	fs.DurationVar(&cfg.httpdDuration, "httpd-duration", 3*time.Second, "length of each ab run of the HTTP rows (0 skips them)")
	fs.IntVar(&cfg.httpdWorkers, "httpd-workers", 2, "workers of the HTTP rows")
	fs.IntVar(&cfg.httpdConcurrency, "httpd-concurrency", 16, "ab -c of the HTTP rows")
	fs.StringVar(&cfg.logdir, "logdir", "", "where servers' stderr goes (default BUILD/benchlogs)")
	fs.StringVar(&cfg.out, "out", "BENCHMARKS.md", `file whose results section the run replaces ("" for none)`)
	fs.StringVar(&cfg.command, "command", "", "the command that started this run, recorded in -out")
	fs.Func("note", "a line for the report's notes (repeatable), e.g. on the machine's state", func(s string) error {
		cfg.notes = append(cfg.notes, s)
		return nil
	})
	fs.BoolVar(&cfg.quick, "quick", false, "one short configuration per server (a smoke test, under a minute)")
	fs.DurationVar(&cfg.duration, "duration", 1500*time.Millisecond, "length of each sockbench run")
	fs.IntVar(&cfg.repeat, "repeat", 3, "runs of each configuration; the table shows medians")
	fs.StringVar(&workers, "workers", "1,2,4", "worker counts of the multi-process servers")
	fs.StringVar(&concurrency, "concurrency", "1,8,32", "client concurrencies of the oneshot rows")
	fs.BoolVar(&cfg.persistent, "persistent", true, fmt.Sprintf("add one persistent-mode row per server (concurrency %d)", persistentConcurrency))
	fs.IntVar(&cfg.lines, "lines", 100, "lines per connection of the persistent rows")
	fs.DurationVar(&cfg.opTimeout, "timeout", 2*time.Second, "sockbench -timeout (each dial, write and read)")
	fs.DurationVar(&cfg.startWait, "start-timeout", 30*time.Second, "limit for a server to print its port")
	fs.DurationVar(&cfg.stopWait, "stop-timeout", 5*time.Second, "limit for a server to exit once its stdin closes")
	fs.Int64Var(&cfg.straceConns, "strace-connections", 2000, "connections counted under strace (0 skips strace)")
	fs.IntVar(&cfg.pkgRuns, "pkg-runs", 20, "tclsh runs of each script timing `package require` (0 skips)")
	fs.DurationVar(&cfg.watchdog, "watchdog", 10*time.Minute, "servers exit on their own after this long")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: benchrun [flags]\n\nRuns the server comparison of `make bench`; see cmd/benchrun/main.go.\n\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.quick {
		applyQuick(&cfg, set, &workers, &concurrency)
	}
	var err error
	if cfg.workers, err = parseInts("workers", workers); err != nil {
		return config{}, err
	}
	if cfg.concurrency, err = parseInts("concurrency", concurrency); err != nil {
		return config{}, err
	}
	for _, v := range strings.Split(variants, ";") {
		if v = strings.Join(strings.Fields(v), " "); v != "" {
			cfg.variants = append(cfg.variants, v)
		}
	}
	if cfg.bin == "" {
		cfg.bin = filepath.Join(cfg.build, "bin")
	}
	if cfg.logdir == "" {
		cfg.logdir = filepath.Join(cfg.build, "benchlogs")
	}
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

// applyQuick shortens what the command line did not set.
func applyQuick(cfg *config, set map[string]bool, workers, concurrency *string) {
	quick := map[string]func(){
		"duration":           func() { cfg.duration = time.Second },
		"repeat":             func() { cfg.repeat = 1 },
		"workers":            func() { *workers = "2" },
		"concurrency":        func() { *concurrency = "8" },
		"persistent":         func() { cfg.persistent = false },
		"strace-connections": func() { cfg.straceConns = 300 },
		"pkg-runs":           func() { cfg.pkgRuns = 5 },
		"httpd-duration":     func() { cfg.httpdDuration = time.Second },
	}
	for name, apply := range quick {
		if !set[name] {
			apply()
		}
	}
}

func parseInts(name, list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s: %q is not a list of positive integers", name, list)
		}
		out = append(out, n)
	}
	return out, nil
}

func (cfg *config) validate() error {
	switch {
	case cfg.duration <= 0:
		return errors.New("-duration must be > 0")
	case cfg.repeat < 1:
		return errors.New("-repeat must be >= 1")
	case cfg.lines < 1:
		return errors.New("-lines must be >= 1")
	case cfg.opTimeout <= 0 || cfg.startWait <= 0 || cfg.stopWait <= 0 || cfg.watchdog <= 0:
		return errors.New("timeouts must be > 0")
	case cfg.straceConns < 0 || cfg.pkgRuns < 0 || cfg.httpdDuration < 0:
		return errors.New("-strace-connections, -pkg-runs and -httpd-duration must be >= 0")
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
