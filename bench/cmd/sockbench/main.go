// Command sockbench is a load generator for a one-line echo protocol. It is
// used by `make bench` to compare TCP servers running on this machine.
//
// Run `sockbench -h` for the protocol, the flags and the report fields.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Exit statuses. A run that counted errors still exits 0 as long as some
// request succeeded: comparing servers under overload is the point, and a
// benchmark script should get the report rather than a failure.
const (
	exitOK        = 0
	exitNoSuccess = 1
	exitUsage     = 2
)

// hardDeadlineGrace is how long after -duration the run is cut off even if
// operations are still in flight (possible when -timeout exceeds it).
const hardDeadlineGrace = 10 * time.Second

// maxConcurrency bounds the number of workers, and so of sockets held at
// once, so that a typo cannot exhaust file descriptors or ephemeral ports.
const maxConcurrency = 10000

const (
	modeOneshot    = "oneshot"
	modePersistent = "persistent"
)

type config struct {
	addr        string
	mode        string
	lines       int // requests per connection; always 1 in oneshot mode
	concurrency int
	duration    time.Duration
	connections int64 // total connection attempts; 0 means no limit
	timeout     time.Duration
	grace       time.Duration // not a flag: tests shorten it
	linger0     bool
	json        bool
}

const usageHeader = `Usage: sockbench -addr HOST:PORT [flags]

sockbench is a load generator for a one-line echo protocol. For each request
it sends one line ("ping N\n") and reads one reply line whose first
whitespace-separated word is the id (pid) of the server process that served
the connection, for example "4711 ping 17".

Only loopback targets are accepted: HOST must be an address in 127.0.0.0/8,
::1, or a name (such as localhost) whose every resolved address is one of
those; anything else exits with status 2. A name is resolved once, at start;
its first IPv4 address is dialed if it has one, else its first address.

Modes:
  oneshot     per connection: dial, send one line, read the reply, close.
              Latency is measured from the start of the dial to the reply.
  persistent  per connection: send -lines lines one at a time, each waiting
              for its reply, then close and reconnect. Latency is measured
              from the write to the reply.

The run ends after -duration or after -connections connection attempts,
whichever comes first; requests in flight then finish, each operation (dial,
write, read) being bounded by -timeout. 10s after -duration the run is cut
off regardless and reports what it has.

Report: connections (established) and requests (answered with a valid reply)
with their rates; latency p50/p90/p99 in microseconds over at most 2,000,000
recorded samples (max is over all requests); errors by kind (dial_refused,
dial_timeout, conn_reset, eof_before_reply, read_timeout, write_error,
bad_reply, cut_by_hard_deadline, other); connections per server pid, taken
from each connection's first reply, the number of distinct pids and the
spread ratio (max count / min count).
-json prints the same as one JSON object.

Exit status: 0 if at least one request succeeded (errors are counted, not
fatal), 1 if none did or the report could not be written, 2 for bad usage or
a non-loopback address.

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can drive the whole command.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockbench: %v\nRun 'sockbench -h' for usage.\n", err)
		return exitUsage
	}
	return execute(cfg, stdout, stderr)
}

// parseFlags returns flag.ErrHelp after printing the usage to stdout when
// help was asked for: help is the requested output, not an error.
func parseFlags(args []string, stdout, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sockbench", flag.ContinueOnError)
	// The flag package reports parse errors on its output; usage is printed
	// by us, so that -h goes to stdout and a mistake does not bury its own
	// message under the full usage text.
	fs.SetOutput(stderr)
	fs.Usage = func() {}

	cfg := config{grace: hardDeadlineGrace}
	fs.StringVar(&cfg.addr, "addr", "", "server address HOST:PORT; must be loopback (required)")
	fs.StringVar(&cfg.mode, "mode", modeOneshot, "oneshot or persistent")
	fs.IntVar(&cfg.lines, "lines", 100, "requests per connection, persistent mode only")
	fs.IntVar(&cfg.concurrency, "concurrency", 1, fmt.Sprintf("number of concurrent workers, each with one connection at a time (at most %d)", maxConcurrency))
	fs.DurationVar(&cfg.duration, "duration", 3*time.Second, "how long to run; must be > 0")
	fs.Int64Var(&cfg.connections, "connections", 0, "stop after this many connection attempts in total (0 = no limit, -duration still applies)")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "limit for each dial, write and read")
	fs.BoolVar(&cfg.linger0, "linger0", false, "close with SO_LINGER 0 (sends RST) so the client leaves no TIME_WAIT;\nuse at high oneshot rates to avoid exhausting ephemeral ports")
	fs.BoolVar(&cfg.json, "json", false, "print the report as one JSON object")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageHeader)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	linesSet := false
	fs.Visit(func(f *flag.Flag) { linesSet = linesSet || f.Name == "lines" })
	// validate adjusts cfg, so it must run before cfg is returned: in
	// "return cfg, cfg.validate()" the order of the two is unspecified.
	if err := cfg.validate(linesSet); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// validate checks the flags against each other and sets lines to 1 in
// oneshot mode, where a connection carries exactly one request.
func (cfg *config) validate(linesSet bool) error {
	switch {
	case cfg.addr == "":
		return errors.New("-addr is required")
	case cfg.mode != modeOneshot && cfg.mode != modePersistent:
		return fmt.Errorf("-mode must be %s or %s, not %q", modeOneshot, modePersistent, cfg.mode)
	case cfg.mode == modeOneshot && linesSet:
		return errors.New("-lines applies only to -mode persistent")
	case cfg.lines < 1:
		return errors.New("-lines must be at least 1")
	case cfg.concurrency < 1 || cfg.concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency must be between 1 and %d", maxConcurrency)
	case cfg.duration <= 0:
		return errors.New("-duration must be > 0")
	case cfg.connections < 0:
		return errors.New("-connections must be >= 0")
	case cfg.timeout <= 0:
		return errors.New("-timeout must be > 0")
	}
	if cfg.mode == modeOneshot {
		cfg.lines = 1
	}
	return nil
}

// execute runs a validated configuration and prints its report.
func execute(cfg config, stdout, stderr io.Writer) int {
	target, err := resolveLoopback(cfg.addr, cfg.timeout)
	if err != nil {
		fmt.Fprintf(stderr, "sockbench: %v\n", err)
		return exitUsage
	}
	rep := buildReport(cfg, target, runLoad(cfg, target))
	if cfg.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockbench: writing report: %v\n", err)
		return exitNoSuccess
	}
	if rep.Requests == 0 {
		fmt.Fprintln(stderr, "sockbench: no request succeeded")
		return exitNoSuccess
	}
	return exitOK
}
