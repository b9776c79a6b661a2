package commands

/*
#include <stdlib.h>
#include "commands.h"
*/
import "C"

import (
	"sync"

	"socketserver/server"
)

// served is one open server and the interpreter it reports to.
type served struct {
	srv   *server.Server
	owner *C.ss_reporter
}

// The process's servers, by port, in the order they were opened.
var (
	serversMu sync.Mutex
	servers   = map[int]*served{}
	opened    []int
)

// open starts a server, or returns the port if it is served already (as 1.1 did).
func open(owner *C.ss_reporter, o server.Options) (int, error) {
	serversMu.Lock()
	defer serversMu.Unlock()
	if _, ok := servers[o.Port]; ok && o.Port != 0 {
		return o.Port, nil
	}
	srv, err := server.Listen(o, reporterFor(owner))
	if err != nil {
		return -1, err
	}
	C.ss_reporter_retain(owner)
	servers[srv.Port()] = &served{srv: srv, owner: owner}
	opened = append(opened, srv.Port())
	return srv.Port(), nil
}

// closePort closes one server; false if the port is not served.
func closePort(port int) bool {
	serversMu.Lock()
	s, ok := servers[port]
	if ok {
		delete(servers, port)
		for i, p := range opened {
			if p == port {
				opened = append(opened[:i], opened[i+1:]...)
				break
			}
		}
	}
	serversMu.Unlock()
	if ok {
		s.srv.Close()
		C.ss_reporter_release(s.owner)
	}
	return ok
}

func closeAllOwnedBy(owner *C.ss_reporter) {
	serversMu.Lock()
	var ports []int
	for _, p := range opened {
		if servers[p].owner == owner {
			ports = append(ports, p)
		}
	}
	serversMu.Unlock()
	for _, p := range ports {
		closePort(p)
	}
}

func lookup(port int) (*server.Server, bool) {
	serversMu.Lock()
	defer serversMu.Unlock()
	s, ok := servers[port]
	if !ok {
		return nil, false
	}
	return s.srv, true
}

func ports() []int {
	serversMu.Lock()
	defer serversMu.Unlock()
	return append([]int(nil), opened...)
}

// reporterFor sends a server's reports to its interpreter as background errors.
func reporterFor(owner *C.ss_reporter) server.Reporter {
	return func(msg string, code []string) {
		// ss_report takes ownership of both strings.
		C.ss_report(owner, C.CString(msg), C.CString(tclList(code...)))
	}
}
