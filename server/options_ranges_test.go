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
// names the value as given, a count of milliseconds that no time.Duration holds included.
func TestValidateChecksEveryNumberAsWritten(t *testing.T) {
	const wraps = 1<<32 + 5 // 5 once truncated to 32 bits
	type field struct {
		what string
		set  func(o *Options, v int64)
		must string
	}
	fields := []field{
		{"port", func(o *Options, v int64) { o.Port = int(v) }, "an integer from 0 to 65535"},
		{"-backlog", func(o *Options, v int64) { o.Backlog = int(v) }, "an integer from 0 to 2147483647"},
		{"-queue", func(o *Options, v int64) { o.Queue = int(v) }, "an integer from 0 to 2147483647"},
		{"-proxytimeout", func(o *Options, v int64) { o.ProxyTimeout = Millis(v) }, "a number of milliseconds from 1 to 2147483647"},
		{"-waitdata", func(o *Options, v int64) { o.WaitData = Millis(v) }, "a number of milliseconds from 0 to 2147483647"},
		{"-fd", func(o *Options, v int64) { fd := int(v); o.FD = &fd }, "a descriptor number from 0 to 2147483647"},
	}
	bad := map[string][]int64{
		"port":          {-1, 65536, -(1 << 32), wraps, math.MaxInt32 + 1, math.MaxInt64, math.MinInt64},
		"-backlog":      {-1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-queue":        {-1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-proxytimeout": {0, -1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-waitdata":     {-1, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
		"-fd":           {-1, -2, math.MaxInt32 + 1, wraps, math.MaxInt64, math.MinInt64},
	}
	ok := map[string][]int64{
		"port":          {0, 1, 65535},
		"-backlog":      {0, 1, math.MaxInt32},
		"-queue":        {0, math.MaxInt32},
		"-proxytimeout": {1, math.MaxInt32},
		"-waitdata":     {0, math.MaxInt32},
		"-fd":           {0, 3, math.MaxInt32},
	}
	for _, f := range fields {
		for _, v := range bad[f.what] {
			t.Run(fmt.Sprintf("%s %d refused", f.what, v), func(t *testing.T) {
				o := DefaultOptions(8080)
				f.set(&o, v)
				value := strconv.FormatInt(v, 10)
				assertTclError(t, o.Validate(), []string{"SOCKETSERVER", "BADVALUE", f.what, value},
					"bad "+f.what+" "+value+": must be "+f.must)
			})
		}
		for _, v := range ok[f.what] {
			t.Run(fmt.Sprintf("%s %d accepted", f.what, v), func(t *testing.T) {
				o := DefaultOptions(8080)
				f.set(&o, v)
				if err := o.Validate(); err != nil {
					t.Errorf("Validate(%+v): %v", o, err)
				}
			})
		}
	}
}

// A pool's numbers have their ranges beside the server's, and the same words.
func TestPoolRanges(t *testing.T) {
	for _, tc := range []struct {
		r    Range
		bad  int64
		want string
	}{
		{WorkersRange, 1025, "bad -workers 1025: must be an integer from 1 to 1024"},
		{WorkersRange, 0, "bad -workers 0: must be an integer from 1 to 1024"},
		{MaxConnectionsRange, -1, "bad -maxconnections -1: must be an integer from 0 to 2147483647"},
		{StopTimeoutRange, math.MaxInt64, "bad -stoptimeout 9223372036854775807: must be an integer from 0 to 2147483647"},
		{TimeoutRange, math.MaxInt32 + 1, "bad -timeout 2147483648: must be an integer from 0 to 2147483647"},
	} {
		value := strconv.FormatInt(tc.bad, 10)
		assertTclError(t, tc.r.Check(tc.bad), []string{"SOCKETSERVER", "BADVALUE", tc.r.Option, value}, tc.want)
		if err := tc.r.Check(tc.r.Lo); err != nil {
			t.Errorf("%s %d: %v", tc.r.Option, tc.r.Lo, err)
		}
	}
}

// A Millis in range is exactly that many milliseconds.
func TestMillisDuration(t *testing.T) {
	for _, ms := range []Millis{0, 1, DefaultProxyTimeout, math.MaxInt32} {
		if d := ms.Duration(); d != time.Duration(ms)*time.Millisecond || d.Milliseconds() != int64(ms) {
			t.Errorf("Millis(%d).Duration() = %v", ms, d)
		}
	}
}

// The adoption options conflict with each other and with the ones that only make sense
// for a socket the server binds itself; the error names the option that cannot be used.
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
			if tc.fd >= 0 {
				fd := int(tc.fd)
				o.FD = &fd
			}
			tc.set(&o)
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
		o := with(func(o *Options) { o.FD = &fd })
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
	s, _ := listen(t, with(func(o *Options) { o.FD, o.Port = &fd, port }))
	if s.Port() != port {
		t.Fatalf("adopted socket serves port %d, want %d", s.Port(), port)
	}
}
