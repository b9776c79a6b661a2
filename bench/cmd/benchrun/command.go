package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// runBounded runs name with args, killed once limit has passed, and returns its stdout,
// also when it fails: then the error names the command and quotes its stderr.
func runBounded(ctx context.Context, limit time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second // for a grandchild holding the pipes open
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// environment is `nproc` and `uname -sr`, as the machine reports them ("" for a command
// that failed).
func environment(ctx context.Context) (nproc, kernel string) {
	output := func(name string, args ...string) string {
		out, _ := runBounded(ctx, 10*time.Second, name, args...)
		return strings.TrimSpace(string(out))
	}
	return output("nproc"), output("uname", "-sr")
}
