package server

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"socketserver/spawn"
)

// handoffShell sets LISTEN_PID to the new process's own id, which only the process itself
// knows once forked: the shell's $$ is the pid the program keeps after `exec`.
const handoffShell = `LISTEN_PID=$$; export LISTEN_PID; exec "$@"`

// Handoff starts argv with the server's listening sockets passed the way systemd passes
// them (descriptors 3 and up, LISTEN_FDS, LISTEN_PID), so that a new server process can
// adopt them with `server -systemd 1` while this one still accepts: the sockets, and the
// connections waiting in their queue, are shared, never closed. It returns the new
// process's id.
func (s *Server) Handoff(argv, env []string) (pid int, err error) {
	// The shell would report a missing program only on its stderr: check it here.
	if _, err := exec.LookPath(argv[0]); err != nil {
		var errno unix.Errno
		if !errors.As(err, &errno) {
			errno = unix.ENOENT
		}
		return 0, errno
	}
	ran := s.Listeners(func(fds []int) {
		files := []uintptr{0, 1, 2}
		for _, fd := range fds {
			files = append(files, uintptr(fd))
		}
		pid, err = spawn.Start(spawn.Process{
			Argv:  append([]string{"/bin/sh", "-c", handoffShell, "socketserver-handoff"}, argv...),
			Env:   append(withoutListenVars(env), "LISTEN_FDS="+strconv.Itoa(len(fds))),
			Files: files,
		})
	})
	if !ran {
		return 0, unix.ESHUTDOWN
	}
	if err == nil {
		go spawn.Wait(pid) // reap it should it exit while this process still runs
	}
	return pid, err
}

func withoutListenVars(env []string) []string {
	kept := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LISTEN_PID=") && !strings.HasPrefix(kv, "LISTEN_FDS=") &&
			!strings.HasPrefix(kv, "LISTEN_FDNAMES=") {
			kept = append(kept, kv)
		}
	}
	return kept
}
