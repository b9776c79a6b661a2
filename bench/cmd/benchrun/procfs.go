package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// vmRSS is the resident set size of pid in KiB, from /proc/PID/status.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(string(b))
}

func parseVmRSS(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS line")
}

// alive tells whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may contain any.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux
// architecture Go supports (the kernel converts to it whatever its own HZ).
const clockTicks = 100

// usage is what a set of processes has consumed so far: CPU time (user plus system, all
// threads) and context switches (voluntary and not, summed over their threads).
type usage struct {
	cpu      time.Duration
	switches int64
}

func (u usage) sub(v usage) usage { return usage{u.cpu - v.cpu, u.switches - v.switches} }

// readUsage sums the usage of pids, from /proc/PID/stat and /proc/PID/task/*/status. A
// process that is gone counts nothing (and is reported).
func readUsage(pids []int) (usage, error) {
	var total usage
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return total, err
		}
		ticks, err := parseStatTicks(string(b))
		if err != nil {
			return total, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		total.cpu += time.Duration(ticks) * time.Second / clockTicks
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
		for _, t := range tasks {
			if b, err := os.ReadFile(t); err == nil { // a thread may just have exited
				total.switches += parseSwitches(string(b))
			}
		}
	}
	return total, nil
}

// parseStatTicks is utime + stime of a /proc/PID/stat line, in clock ticks.
func parseStatTicks(stat string) (int64, error) {
	// The command name is in parentheses and may contain anything, spaces too.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q, stime %q", f[11], f[12])
	}
	return utime + stime, nil
}

// parseSwitches is voluntary_ctxt_switches + nonvoluntary_ctxt_switches of a status file.
func parseSwitches(status string) int64 {
	var n int64
	for _, line := range strings.Split(status, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok && (name == "voluntary_ctxt_switches" || name == "nonvoluntary_ctxt_switches") {
			v, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			n += v
		}
	}
	return n
}
