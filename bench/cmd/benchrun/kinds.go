package main

import (
	"path/filepath"
	"strconv"
)

// serverKind is one of the servers compared, in the order they run.
type serverKind int

const (
	ssEvent      serverKind = iota // socketserver, TclX-forked workers, the README's event-driven handler
	ssImmediate                    // socketserver, TclX-forked workers, gets/puts/close at once
	plainTcl                       // one Tcl process, `socket -server`, event-driven
	reusePort                      // N processes, each its own SO_REUSEPORT socketserver listener
	goEcho                         // bench/cmd/goecho, the upper bound
	httpdWorkers                   // tcllib httpd in socketserver workers (examples/httpd_server.tcl)
	httpdSingle                    // tcllib httpd, one process listening itself
)

func (k serverKind) String() string {
	return [...]string{"socketserver event", "socketserver immediate", "plain Tcl socket", "SO_REUSEPORT",
		"goecho", "socketserver httpd", "single-process httpd"}[k]
}

// multiProcess tells whether the kind runs with a number of workers (processes).
func (k serverKind) multiProcess() bool {
	return k == ssEvent || k == ssImmediate || k == reusePort || k == httpdWorkers
}

// socketserver tells whether the kind's workers are socketserver workers, which the C
// original and the -variants can serve too.
func (k serverKind) socketserver() bool {
	return k == ssEvent || k == ssImmediate || k == httpdWorkers
}

// variant is which socketserver serves a socketserver kind's row: this package with its
// default options (the zero variant), this package with more `socket server` options, or
// the C original (socketservertcl 1.1) with the same handler.
type variant struct {
	original bool
	options  string
}

// member is one server of a group that runs interleaved.
type member struct {
	kind serverKind
	variant
}

// String names the member's rows: "socketserver event", "socketserver -queue 8 event",
// "original event", "original httpd"...
func (m member) String() string {
	if !m.kind.socketserver() {
		return m.kind.String()
	}
	name := m.kind.String()[len("socketserver "):]
	switch {
	case m.original:
		return "original " + name
	case m.options != "":
		return "socketserver " + m.options + " " + name
	}
	return m.kind.String()
}

const (
	modeOneshot    = "oneshot"
	modePersistent = "persistent"
	modeHTTP       = "http" // a page per connection, driven by ab
)

// serverArgv is the command line starting member m with the given number of workers,
// answering connections of the given mode. Each prints "port N" when ready.
func serverArgv(cfg config, m member, workers int, mode string) []string {
	script := func(name string) string { return abs(filepath.Join(cfg.servers, name)) }
	ms := strconv.FormatInt(watchdog.Milliseconds(), 10)
	n := strconv.Itoa(workers)
	pkg := []string{"-build", abs(cfg.build), "-options", m.options}
	if m.original {
		pkg = []string{"-original", abs(cfg.original)}
	}
	switch m.kind {
	case ssEvent, ssImmediate:
		handler := map[serverKind]string{ssEvent: "event", ssImmediate: "immediate"}[m.kind]
		return append(append([]string{cfg.tclsh, script("socketserver.tcl")}, pkg...),
			"-workers", n, "-handler", handler, "-mode", mode, "-watchdog", ms)
	case httpdWorkers:
		impl := map[bool]string{false: "socketserver", true: "original"}[m.original]
		return append(append([]string{cfg.tclsh, script("httpd.tcl"), "-impl", impl}, pkg...),
			"-workers", n, "-watchdog", ms)
	case httpdSingle:
		return []string{cfg.tclsh, script("httpd.tcl"), "-impl", "single", "-watchdog", ms}
	case plainTcl:
		return []string{cfg.tclsh, script("plain.tcl"), "-mode", mode, "-watchdog", ms}
	case reusePort:
		return []string{cfg.tclsh, script("reuseport.tcl"), "-build", abs(cfg.build),
			"-procs", n, "-mode", mode, "-watchdog", ms}
	default:
		return []string{abs(filepath.Join(cfg.bin, "goecho")), "-addr", "127.0.0.1:0",
			"-lifetime", watchdog.String()}
	}
}

func abs(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
