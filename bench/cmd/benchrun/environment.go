package main

import (
	"context"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// environment is `nproc` and `uname -sr`, as the machine reports them.
func environment(ctx context.Context) (nproc, kernel string) {
	nproc = output(ctx, "nproc")
	if nproc == "" {
		nproc = strconv.Itoa(runtime.NumCPU()) + " (runtime.NumCPU; nproc failed)"
	}
	kernel = output(ctx, "uname", "-sr")
	if kernel == "" {
		kernel = runtime.GOOS + " (uname failed)"
	}
	return nproc, kernel
}

// output runs a short command, bounded, and returns its trimmed stdout ("" on failure).
func output(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
