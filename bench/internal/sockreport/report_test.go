package sockreport

import (
	"encoding/json"
	"testing"
)

func TestErrorRate(t *testing.T) {
	rep := Report{Connections: 990, ErrorsTotal: 20, Errors: map[string]int64{"dial_refused": 10, "conn_reset": 10}}
	if got := rep.ErrorRate(); got != 0.02 {
		t.Errorf("ErrorRate = %v, want 0.02", got)
	}
	if got := (Report{}).ErrorRate(); got != 1 {
		t.Errorf("no attempt at all: ErrorRate = %v, want 1", got)
	}
	if got, want := rep.ErrorSummary(), "conn_reset 10 (first: ), dial_refused 10 (first: )"; got != want {
		t.Errorf("ErrorSummary = %q, want %q", got, want)
	}
}

// The per-PID counts survive the JSON round trip (object keys are strings).
func TestJSONRoundTrip(t *testing.T) {
	in := Report{Connections: 3, PerPID: map[int]int64{41: 1, 42: 2}, Errors: map[string]int64{"conn_reset": 0}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Connections != 3 || out.PerPID[42] != 2 || len(out.PerPID) != 2 {
		t.Errorf("round trip: %+v from %s", out, b)
	}
}
