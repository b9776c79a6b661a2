package main

import (
	"path/filepath"
	"strconv"
	"time"
)

// serverKind is one of the servers compared, in the order they run.
type serverKind int

const (
	ssEvent     serverKind = iota // socketserver, TclX-forked workers, the README's event-driven handler
	ssImmediate                   // socketserver, TclX-forked workers, gets/puts/close at once
	plainTcl                      // one Tcl process, `socket -server`, event-driven
	reusePort                     // N processes, each its own SO_REUSEPORT socketserver listener
	goEcho                        // cmd/goecho, the upper bound
	numKinds
)

func (k serverKind) String() string {
	return [...]string{"socketserver event", "socketserver immediate", "plain Tcl socket", "SO_REUSEPORT", "goecho"}[k]
}

// multiProcess tells whether the kind runs with a number of workers (processes).
func (k serverKind) multiProcess() bool {
	return k == ssEvent || k == ssImmediate || k == reusePort
}

const (
	modeOneshot    = "oneshot"
	modePersistent = "persistent"
)

// serverArgv is the command line starting a server of kind with the given number of
// workers, answering connections of the given mode. Each prints "port N" when ready.
func serverArgv(cfg config, kind serverKind, workers int, mode string) []string {
	script := func(name string) string { return abs(filepath.Join(cfg.servers, name)) }
	ms := strconv.FormatInt(cfg.watchdog.Milliseconds(), 10)
	n := strconv.Itoa(workers)
	switch kind {
	case ssEvent, ssImmediate:
		handler := map[serverKind]string{ssEvent: "event", ssImmediate: "immediate"}[kind]
		return []string{cfg.tclsh, script("socketserver.tcl"), "-build", abs(cfg.build),
			"-workers", n, "-handler", handler, "-mode", mode, "-watchdog", ms}
	case plainTcl:
		return []string{cfg.tclsh, script("plain.tcl"), "-mode", mode, "-watchdog", ms}
	case reusePort:
		return []string{cfg.tclsh, script("reuseport.tcl"), "-build", abs(cfg.build),
			"-procs", n, "-mode", mode, "-watchdog", ms}
	default:
		return []string{abs(filepath.Join(cfg.bin, "goecho")), "-addr", "127.0.0.1:0",
			"-lifetime", cfg.watchdog.Round(time.Second).String()}
	}
}

func abs(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
