// Package reporttest records what a server or a pool reports (its background errors), for
// tests to wait on.
package reporttest

import (
	"testing"
	"time"
)

// Report is one report: a message and its Tcl -errorcode.
type Report struct {
	Msg  string
	Code []string
}

// Recorder is a server.Reporter (its Report method) that keeps every report.
type Recorder struct{ Reports chan Report }

// New returns a Recorder with room for more reports than any test makes.
func New() *Recorder { return &Recorder{Reports: make(chan Report, 1000)} }

// Report records one report; pass it as the Reporter.
func (r *Recorder) Report(msg string, code []string) { r.Reports <- Report{msg, code} }

// Next waits, at most within, for the next report.
func (r *Recorder) Next(t testing.TB, within time.Duration) Report {
	t.Helper()
	select {
	case rep := <-r.Reports:
		return rep
	case <-time.After(within):
		t.Fatalf("no report within %v", within)
		return Report{}
	}
}

// AssertNone fails if a report is waiting.
func (r *Recorder) AssertNone(t testing.TB) {
	t.Helper()
	select {
	case rep := <-r.Reports:
		t.Errorf("unexpected report %q %q", rep.Msg, rep.Code)
	default:
	}
}
