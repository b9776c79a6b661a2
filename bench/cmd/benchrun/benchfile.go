package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// resultsMarker separates the stable header of BENCHMARKS.md from the results section
// each run replaces.
const resultsMarker = "<!-- benchrun: everything below this line is replaced by each run of `make bench` -->"

const defaultHeader = `# Benchmarks

socketserver against a plain Tcl server, SO_REUSEPORT listeners and a minimal Go server,
measured by ` + "`make bench`" + ` (bench/cmd/benchrun driving bench/cmd/sockbench; the
servers are in bench/servers). Each run replaces the section below the marker line with
what it measured; edit above it only.

`

// replaceResults returns the file's content with its results section replaced: what
// precedes the marker is kept (a default header if there is no file), what follows is
// section. A file without the marker is kept whole, as the header.
func replaceResults(existing, section string) string {
	header := defaultHeader
	if i := strings.Index(existing, resultsMarker); i >= 0 {
		header = existing[:i]
	} else if strings.TrimSpace(existing) != "" {
		header = strings.TrimRight(existing, "\n") + "\n\n"
	}
	return header + resultsMarker + "\n\n" + section
}

// writeResultsFile replaces the results section of path, atomically.
func writeResultsFile(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchmarks-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(replaceResults(string(old), section)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
