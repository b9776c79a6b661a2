package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceResults(t *testing.T) {
	first := replaceResults("", "## Results\n\none\n")
	if !strings.HasPrefix(first, defaultHeader+resultsMarker+"\n\n## Results\n\none\n") {
		t.Errorf("new file:\n%s", first)
	}
	edited := strings.Replace(first, "# Benchmarks", "# Benchmarks (edited)", 1)
	second := replaceResults(edited, "## Results\n\ntwo\n")
	if second != strings.Replace(edited, "one", "two", 1) {
		t.Errorf("second run did not keep the header and replace the results:\n%s", second)
	}
	if strings.Count(second, resultsMarker) != 1 {
		t.Errorf("marker count %d", strings.Count(second, resultsMarker))
	}
	kept := replaceResults("hand-written notes\n", "R\n")
	if kept != "hand-written notes\n\n"+resultsMarker+"\n\nR\n" {
		t.Errorf("file without marker: %q", kept)
	}
}

func TestWriteResultsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	for _, section := range []string{"first\n", "second\n"} {
		if err := writeResultsFile(path, section); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.HasSuffix(got, resultsMarker+"\n\nsecond\n") || strings.Contains(got, "first") {
		t.Errorf("file:\n%s", got)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".benchmarks-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
