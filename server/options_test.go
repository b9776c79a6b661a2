package server

import (
	"errors"
	"slices"
	"testing"
)

// with returns the options of a plain `server 0` changed by f.
func with(f func(o *Options)) Options {
	o := DefaultOptions(0)
	f(&o)
	return o
}

// The ranges; how the adoption options combine is TestAdoptionConflicts' subject.
func TestValidate(t *testing.T) {
	cases := []struct {
		name     string
		opts     Options
		wantCode []string // nil: valid
		wantMsg  string
	}{
		{name: "defaults", opts: DefaultOptions(0)},
		{name: "highest port", opts: DefaultOptions(65535)},
		// TIP 468: -backlog 0 and 1 are legal (the kernel rounds them up).
		{name: "backlog 0", opts: with(func(o *Options) { o.Backlog = 0 })},
		{name: "backlog 1", opts: with(func(o *Options) { o.Backlog = 1 })},
		{name: "queue 5", opts: with(func(o *Options) { o.Queue = 5 })},
		{
			name: "port -1", opts: DefaultOptions(-1),
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "port", "-1"},
			wantMsg:  "bad port -1: must be an integer from 0 to 65535",
		},
		{
			name: "port 65536", opts: DefaultOptions(65536),
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "port", "65536"},
			wantMsg:  "bad port 65536: must be an integer from 0 to 65535",
		},
		{
			name: "backlog -1", opts: with(func(o *Options) { o.Backlog = -1 }),
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-backlog", "-1"},
			wantMsg:  "bad -backlog -1: must be an integer from 0 to 2147483647",
		},
		{
			name: "queue -1", opts: with(func(o *Options) { o.Queue = -1 }),
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-queue", "-1"},
			wantMsg:  "bad -queue -1: must be an integer from 0 to 2147483647",
		},
		{
			name: "proxy timeout 0", opts: with(func(o *Options) { o.ProxyTimeout = 0 }),
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-proxytimeout", "0"},
			wantMsg:  "bad -proxytimeout 0: must be a number of milliseconds from 1 to 2147483647",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.wantCode == nil {
				if err != nil {
					t.Fatalf("Validate: %v, want no error", err)
				}
				return
			}
			assertTclError(t, err, tc.wantCode, tc.wantMsg)
		})
	}
}

// Listen validates before it touches the network.
func TestListenRejectsBadOptions(t *testing.T) {
	o := loopback()
	o.Queue = -3
	s, err := Listen(o, newRecorder().Report)
	if s != nil {
		s.Close()
	}
	assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", "-queue", "-3"}, "bad -queue -3: must be an integer from 0 to 2147483647")
}

// A plain `server port` has the backlog TIP 468 asks for, no queue, and Info says so.
func TestDefaultOptionsShowInInfo(t *testing.T) {
	s, _ := listen(t, loopback())
	info := s.Info()
	if info.Port != s.Port() || info.Port == 0 || info.Backlog != DefaultBacklog || info.Queue != 0 {
		t.Fatalf("Info %+v: want port %d (not 0), backlog %d, queue 0", info, s.Port(), DefaultBacklog)
	}
	o := loopback()
	o.Backlog, o.Queue = 7, 3
	s2, _ := listen(t, o)
	if info := s2.Info(); info.Backlog != 7 || info.Queue != 3 {
		t.Fatalf("Info %+v: want backlog 7, queue 3", info)
	}
}

// assertTclError checks an *Error's message and -errorcode. wantMsg "" skips the message.
func assertTclError(t *testing.T, err error, wantCode []string, wantMsg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *server.Error", err, err)
	}
	if !slices.Equal(e.Code, wantCode) {
		t.Errorf("errorcode %q, want %q", e.Code, wantCode)
	}
	if wantMsg != "" && e.Error() != wantMsg {
		t.Errorf("message %q, want %q", e.Error(), wantMsg)
	}
}
