package commands

/*
#include "commands.h"
*/
import "C"

import (
	"errors"
	"sort"
	"strconv"
	"sync"

	"socketserver/pool"
)

// The process's pools by name ("pool1", ...).
var (
	poolsMu  sync.Mutex
	pools    = map[string]*pool.Pool{}
	lastPool int
)

// errNoServer: createPool found no server on the port; the C side words it (errors.c).
var errNoServer = errors.New("no server")

func createPool(owner *C.ss_reporter, port int, cfg pool.Config) (string, error) {
	srv, ok := lookup(port)
	if !ok {
		return "", errNoServer
	}
	poolsMu.Lock()
	name := "pool" + strconv.Itoa(lastPool+1)
	poolsMu.Unlock()
	cfg.Name, cfg.Server, cfg.Report = name, srv, reporterFor(owner)
	p, err := pool.Start(cfg)
	if err != nil {
		return "", err
	}
	poolsMu.Lock()
	lastPool++
	pools[name] = p
	poolsMu.Unlock()
	go func() {
		<-p.Stopped() // by `pool stop`, or by its server closing (pool.Start sees to that)
		forgetPool(name)
	}()
	return name, nil
}

func forgetPool(name string) {
	poolsMu.Lock()
	delete(pools, name)
	poolsMu.Unlock()
}

func findPool(name string) (*pool.Pool, bool) {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	p, ok := pools[name]
	return p, ok
}

func poolNames() []string {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	names := make([]string, 0, len(pools))
	for name := range pools {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		a, _ := strconv.Atoi(names[i][4:])
		b, _ := strconv.Atoi(names[j][4:])
		return a < b
	})
	return names
}

// poolInfoDict formats a pool's Info as a Tcl dict.
func poolInfoDict(info pool.Info) string {
	workers := make([]string, len(info.Workers))
	for i, w := range info.Workers {
		workers[i] = tclList("pid", strconv.Itoa(w.PID), "started", strconv.FormatInt(w.Started.Unix(), 10),
			"served", strconv.FormatUint(w.Served, 10), "state", w.State)
	}
	return tclList("name", info.Name, "port", strconv.Itoa(info.Port), "size", strconv.Itoa(info.Size),
		"workers", tclList(workers...), "respawns", strconv.Itoa(info.Respawns),
		"reloading", boolWord(info.Reloading), "stopping", boolWord(info.Stopping))
}

func boolWord(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
