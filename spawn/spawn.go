// Package spawn starts the processes the server itself runs (pool workers, the new server
// of a hot restart) with exactly the descriptors they are meant to have (see
// closeOnExecFrom). It uses
// syscall.ForkExec, whose child only duplicates descriptors and calls execve: no
// pthread_atfork handler runs, no Go runs in the child, and the new program starts its own
// runtime if it loads the library.
package spawn

import (
	"errors"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Process describes one process to start.
type Process struct {
	Argv  []string  // Argv[0] is the program (a path)
	Env   []string  // the whole environment
	Files []uintptr // descriptor i in the child is Files[i]
	// DieWithServer asks the kernel to send SIGTERM to the process when the server
	// process dies, so no worker outlives it.
	DieWithServer bool
}

type request struct {
	p     Process
	reply chan result
}

type result struct {
	pid int
	err error
}

// The kernel sends the death signal when the thread that forked the child exits, not the
// process (prctl(2), PR_SET_PDEATHSIG). Forking from a thread that never exits makes it
// mean "when the server process dies".
var requests = sync.OnceValue(func() chan request {
	c := make(chan request)
	go func() {
		runtime.LockOSThread() // never unlocked: this goroutine and its thread live forever
		for r := range c {
			r.reply <- start(r.p)
		}
	}()
	return c
})

func start(p Process) result {
	closeOnExecFrom(len(p.Files))
	attr := &syscall.ProcAttr{Env: p.Env, Files: p.Files, Sys: &syscall.SysProcAttr{}}
	if p.DieWithServer {
		attr.Sys.Pdeathsig = syscall.SIGTERM
	}
	pid, err := syscall.ForkExec(p.Argv[0], p.Argv, attr)
	return result{pid, err}
}

// closeOnExecFrom marks every descriptor from first up close-on-exec, so that the child
// gets exactly the descriptors in Files: ForkExec puts those in place, and any other the
// process holds without close-on-exec (one it inherited, a socket systemd passed for a port
// not adopted yet) would otherwise go to the child as well. Descriptors below first are
// replaced in the child anyway. The server's own descriptors are close-on-exec already.
func closeOnExecFrom(first int) {
	if unix.CloseRange(uint(first), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	// Kernels before 5.11: one descriptor at a time.
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			unix.CloseOnExec(fd)
		}
	}
}

// Start starts p and returns its process id.
func Start(p Process) (int, error) {
	if len(p.Argv) == 0 {
		return 0, errors.New("spawn: no program")
	}
	reply := make(chan result, 1)
	requests() <- request{p, reply}
	r := <-reply
	return r.pid, r.err
}

// Wait waits for process pid to exit and returns how. A process someone else reaped
// (ECHILD) counts as exited with an unknown status.
func Wait(pid int) syscall.WaitStatus {
	var status syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &status, 0, nil)
		if err != syscall.EINTR {
			return status
		}
	}
}
