package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHelpGoesToStdoutAndListsEveryFlag(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{arg}, &stdout, &stderr); code != exitOK {
			t.Errorf("%s: exit status %d, want %d", arg, code, exitOK)
		}
		usage := stdout.String()
		for _, want := range []string{"Usage: sockbench", "-addr", "-mode", "-lines", "-concurrency",
			"-duration", "-connections", "-timeout", "-linger0", "-json"} {
			if !strings.Contains(usage, want) {
				t.Errorf("%s: usage lacks %q", arg, want)
			}
		}
		if stderr.Len() != 0 {
			t.Errorf("%s: stderr = %q, want nothing", arg, stderr.String())
		}
	}
}

func TestBadUsageExitsWithStatus2(t *testing.T) {
	tests := map[string][]string{
		"missing -addr":         {},
		"unknown flag":          {"-addr", "127.0.0.1:1", "-nope"},
		"positional argument":   {"-addr", "127.0.0.1:1", "extra"},
		"unknown mode":          {"-addr", "127.0.0.1:1", "-mode", "burst"},
		"-lines with oneshot":   {"-addr", "127.0.0.1:1", "-lines", "5"},
		"zero lines":            {"-addr", "127.0.0.1:1", "-mode", "persistent", "-lines", "0"},
		"zero concurrency":      {"-addr", "127.0.0.1:1", "-concurrency", "0"},
		"huge concurrency":      {"-addr", "127.0.0.1:1", "-concurrency", "1000000"},
		"zero duration":         {"-addr", "127.0.0.1:1", "-duration", "0"},
		"negative connections":  {"-addr", "127.0.0.1:1", "-connections", "-1"},
		"zero timeout":          {"-addr", "127.0.0.1:1", "-timeout", "0s"},
		"duration without unit": {"-addr", "127.0.0.1:1", "-duration", "3"},
	}
	for name, args := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%s: exit status %d, want %d", name, code, exitUsage)
		}
		if stderr.Len() == 0 {
			t.Errorf("%s: nothing on stderr, want the reason", name)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: stdout = %q, want nothing", name, stdout.String())
		}
	}
}
