package server

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every number the Tcl layer reads is range-checked as the 64-bit value the caller wrote:
// one that would wrap to a legal int32 (2^32+5 is 5 in 32 bits) is refused, and the error
// names the value as given.
func TestApplyChecksEveryNumberAsWritten(t *testing.T) {
	good := Wide{Port: 8080, Backlog: 16, Queue: 2, ProxyTimeoutMs: 250}
	const wraps = 1<<32 + 5 // 5 once truncated to 32 bits
	type field struct {
		what string
		set  func(w *Wide, v int64)
		must string
	}
	fields := []field{
		{"port", func(w *Wide, v int64) { w.Port = v }, "an integer from 0 to 65535"},
		{"-backlog", func(w *Wide, v int64) { w.Backlog = v }, "an integer from 0 to 2147483647"},
		{"-queue", func(w *Wide, v int64) { w.Queue = v }, "an integer from 0 to 2147483647"},
		{"-proxytimeout", func(w *Wide, v int64) { w.ProxyTimeoutMs = v }, "a number of milliseconds from 1 to 2147483647"},
		{"-fd", func(w *Wide, v int64) { w.FD, w.FDGiven = v, true }, "a descriptor number from 0 to 2147483647"},
	}
	bad := map[string][]int64{
		"port":          {-1, 65536, -(1 << 32), wraps, math.MaxInt32 + 1, math.MaxInt64, math.MinInt64},
		"-backlog":      {-1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-queue":        {-1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-proxytimeout": {0, -1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-fd":           {-1, -2, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
	}
	ok := map[string][]int64{
		"port":          {0, 1, 65535},
		"-backlog":      {0, 1, math.MaxInt32},
		"-queue":        {0, math.MaxInt32},
		"-proxytimeout": {1, math.MaxInt32},
		"-fd":           {0, 3, math.MaxInt32},
	}
	for _, f := range fields {
		for _, v := range bad[f.what] {
			t.Run(fmt.Sprintf("%s %d refused", f.what, v), func(t *testing.T) {
				w := good
				f.set(&w, v)
				o := DefaultOptions(0)
				err := o.Apply(w)
				value := strconv.FormatInt(v, 10)
				assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", f.what, value},
					"bad "+f.what+" "+value+": must be "+f.must)
			})
		}
		for _, v := range ok[f.what] {
			t.Run(fmt.Sprintf("%s %d accepted", f.what, v), func(t *testing.T) {
				w := good
				f.set(&w, v)
				o := DefaultOptions(0)
				if err := o.Apply(w); err != nil {
					t.Fatalf("Apply(%+v): %v", w, err)
				}
				want := DefaultOptions(0)
				want.Port, want.Backlog, want.Queue = int(w.Port), int(w.Backlog), int(w.Queue)
				want.ProxyTimeout = time.Duration(w.ProxyTimeoutMs) * time.Millisecond
				if w.FDGiven {
					want.FD = int(w.FD)
				}
				if o != want {
					t.Errorf("Apply(%+v) set %+v, want %+v", w, o, want)
				}
				if err := o.Validate(); err != nil {
					t.Errorf("Validate after Apply(%+v): %v", w, err)
				}
			})
		}
	}
}

// FD counts only when FDGiven says the caller gave -fd: a zero Wide.FD is not descriptor 0.
func TestApplyFDOnlyWhenGiven(t *testing.T) {
	for _, w := range []Wide{
		{ProxyTimeoutMs: 1},
		{ProxyTimeoutMs: 1, FD: 7},
		{ProxyTimeoutMs: 1, FD: -1},
	} {
		o := DefaultOptions(0)
		o.FD = 5 // whatever was there: Apply decides
		if err := o.Apply(w); err != nil {
			t.Fatalf("Apply(%+v): %v", w, err)
		}
		if o.FD != -1 || o.adopting() {
			t.Errorf("Apply(%+v) without FDGiven set FD %d (adopting %v), want -1", w, o.FD, o.adopting())
		}
	}
	o := DefaultOptions(0)
	if err := o.Apply(Wide{ProxyTimeoutMs: 1, FDGiven: true}); err != nil || o.FD != 0 || !o.adopting() {
		t.Errorf("Apply with -fd 0: FD %d, adopting %v, %v; want descriptor 0 adopted", o.FD, o.adopting(), err)
	}
}

// The adoption options conflict with each other and with the ones that only make sense
// for a socket the server binds itself; the error names the option that cannot be used.
// Apply's -fd and Validate's checks work together as the Tcl layer calls them.
func TestAdoptionConflicts(t *testing.T) {
	systemd := func(o *Options) { o.Systemd, o.ListenPID, o.ListenFDs = true, unix.Getpid(), 1 }
	cases := []struct {
		name     string
		fd       int64 // -fd given (-1: not given)
		set      func(o *Options)
		wantCode []string // nil: valid
		wantMsg  string
	}{
		{name: "-fd alone", fd: 3, set: func(*Options) {}},
		{name: "-fd 0", fd: 0, set: func(*Options) {}},
		{name: "-systemd alone", fd: -1, set: systemd},
		{name: "-fd with -proxyprotocol, -queue and -backlog", fd: 3, set: func(o *Options) {
			o.ProxyProtocol, o.Queue, o.Backlog, o.BacklogGiven = true, 4, 9, true
		}},
		{name: "-myaddr and -reuseport without adoption", fd: -1, set: func(o *Options) { o.MyAddr, o.ReusePort = "127.0.0.1", true }},
		{name: "-fd 0 with -systemd", fd: 0, set: systemd,
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-fd"},
			wantMsg:  "-fd cannot be combined with -systemd: an adopted socket is bound already"},
		{name: "-fd with -reuseport", fd: 3, set: func(o *Options) { o.ReusePort = true },
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-reuseport"},
			wantMsg:  "-reuseport cannot be combined with -fd: an adopted socket is bound already"},
		{name: "-systemd with -myaddr", fd: -1, set: func(o *Options) { systemd(o); o.MyAddr = "::1" },
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-myaddr"},
			wantMsg:  "-myaddr cannot be combined with -systemd: an adopted socket is bound already"},
		{name: "-fd with -myaddr and -reuseport: -myaddr is named", fd: 3,
			set:      func(o *Options) { o.MyAddr, o.ReusePort = "127.0.0.1", true },
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-myaddr"}},
		{name: "-fd with -systemd and -myaddr: the adoption conflict first", fd: 3,
			set:      func(o *Options) { systemd(o); o.MyAddr = "127.0.0.1" },
			wantCode: []string{"SOCKETSERVER", "BADVALUE", "-fd"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions(0)
			tc.set(&o)
			w := Wide{Port: int64(o.Port), Backlog: int64(o.Backlog), Queue: int64(o.Queue),
				ProxyTimeoutMs: int64(o.ProxyTimeout / time.Millisecond), FD: tc.fd, FDGiven: tc.fd >= 0}
			if err := o.Apply(w); err != nil {
				t.Fatalf("Apply(%+v): %v", w, err)
			}
			err := o.Validate()
			if tc.wantCode == nil {
				if err != nil {
					t.Fatalf("Validate(%+v): %v, want no error", o, err)
				}
				return
			}
			assertTclError(t, err, tc.wantCode, tc.wantMsg)
		})
	}
}

// Listen refuses a conflicting combination before it touches the descriptor: the socket
// stays the caller's, blocking and inheritable as it was, and a later, correct, Listen can
// adopt it.
func TestListenRefusesConflictsBeforeAdopting(t *testing.T) {
	fd, port := tcpListener(t)
	for _, set := range []func(o *Options){
		func(o *Options) { o.MyAddr = "127.0.0.1" },
		func(o *Options) { o.ReusePort = true },
		func(o *Options) { o.Systemd, o.ListenPID, o.ListenFDs = true, unix.Getpid(), 1 },
	} {
		o := with(func(o *Options) { o.FD = fd })
		set(&o)
		if s, err := Listen(o, newRecorder().Report); err == nil {
			s.Close()
			t.Fatalf("Listen(%+v) adopted descriptor %d", o, fd)
		}
		if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
			t.Errorf("a refused Listen(%+v) made descriptor %d non-blocking", o, fd)
		}
		if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC != 0 {
			t.Errorf("a refused Listen(%+v) made descriptor %d close-on-exec", o, fd)
		}
	}
	s, _ := listen(t, with(func(o *Options) { o.FD, o.Port = fd, port }))
	if s.Port() != port {
		t.Fatalf("adopted socket serves port %d, want %d", s.Port(), port)
	}
}
