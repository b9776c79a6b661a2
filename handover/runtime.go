package handover

/*
#include "handover.h"
*/
import "C"

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RestoreOpenFilesLimit puts RLIMIT_NOFILE's soft limit back to what it was when the library
// was loaded, undoing the Go runtime's raising it (see rlimit.c). Through syscall.Setrlimit,
// so that the runtime also stops resetting it in the processes it starts: they inherit the
// process's limit, as those Tcl's exec starts do.
func RestoreOpenFilesLimit() error {
	atLoad := int64(C.ss_open_files_limit_at_load())
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil || atLoad < 0 || uint64(atLoad) == now.Cur {
		return err
	}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: uint64(atLoad), Max: now.Max})
}

// AdoptRuntimeDescriptors registers the descriptors the Go runtime itself holds, so a forked
// worker closes them like the server's own: the cgroup files it reads its CPU quota from,
// and its network poller (an epoll instance and an eventfd), which it otherwise opens
// lazily with the first timer. Opening the poller now, while the library loads, also means
// it is never first needed when the process has run out of descriptors: the runtime aborts
// the whole process if it cannot open it then.
func AdoptRuntimeDescriptors() {
	before := openDescriptors()
	time.AfterFunc(time.Hour, func() {}).Stop() // the first timer opens the poller
	for fd, target := range openDescriptors() {
		_, existed := before[fd]
		if !existed || strings.HasPrefix(target, "/sys/fs/cgroup/") {
			Adopt(fd)
		}
	}
}

// openDescriptors lists this process's descriptors and what they refer to, less the one
// reading the list.
func openDescriptors() map[int]string {
	entries, err := os.ReadDir("/proc/self/fd")
	found := make(map[int]string, len(entries))
	if err != nil {
		return found
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		target, lerr := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && lerr == nil && !strings.HasPrefix(target, "/proc/") {
			found[fd] = target
		}
	}
	return found
}
