package server

import (
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// epoch is an arbitrary instant; the backoff is a pure function of the times it is given.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// assertPausedFor checks that accepting is paused from now for exactly d, and that the
// dispatch loop's epoll_wait timeout covers the pause.
func assertPausedFor(t *testing.T, b *acceptBackoff, now time.Time, d time.Duration) {
	t.Helper()
	if !b.paused(now) || !b.paused(now.Add(d-time.Nanosecond)) || b.paused(now.Add(d)) {
		t.Fatalf("paused at +0, +%v-1ns, +%v: %v %v %v; want a pause of exactly %v", d, d,
			b.paused(now), b.paused(now.Add(d-time.Nanosecond)), b.paused(now.Add(d)), d)
	}
	if got, want := b.waitMillis(now), int(d/time.Millisecond)+1; got != want {
		t.Fatalf("waitMillis = %d, want %d (the pause, rounded up)", got, want)
	}
}

func assertNotPaused(t *testing.T, b *acceptBackoff, now time.Time) {
	t.Helper()
	if b.paused(now) || b.waitMillis(now) != -1 {
		t.Fatalf("paused=%v waitMillis=%d; want not paused, wait forever (-1)", b.paused(now), b.waitMillis(now))
	}
}

func TestBackoffStartsUnpaused(t *testing.T) {
	var b acceptBackoff
	assertNotPaused(t, &b, epoch)
}

// Running out of something pauses accepting: 10ms, doubling with each failure in a row, at
// most a second; a successful accept starts the next run of failures at 10ms again.
func TestBackoffPauseDoublesUpToOneSecond(t *testing.T) {
	for _, errno := range []unix.Errno{unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM} {
		t.Run(unix.ErrnoName(errno), func(t *testing.T) {
			var b acceptBackoff
			now := epoch
			want := []time.Duration{10, 20, 40, 80, 160, 320, 640, 1000, 1000}
			for _, ms := range want {
				pause := ms * time.Millisecond
				b.failed(now, errno, 1)
				assertPausedFor(t, &b, now, pause)
				now = now.Add(pause) // the next attempt comes when the pause ends
			}
			b.succeeded()
			b.failed(now, errno, 1)
			assertPausedFor(t, &b, now, 10*time.Millisecond)
		})
	}
}

// A failure that concerns only the connection being accepted does not pause accepting,
// and does not lengthen a pause already running.
func TestBackoffConnectionOnlyErrorsDoNotPause(t *testing.T) {
	for _, errno := range []unix.Errno{unix.ECONNABORTED, unix.EPROTO, unix.EPERM, unix.ENETDOWN,
		unix.EHOSTUNREACH, unix.ENETUNREACH} {
		t.Run(unix.ErrnoName(errno), func(t *testing.T) {
			var b acceptBackoff
			b.failed(epoch, errno, 1)
			assertNotPaused(t, &b, epoch)

			b.failed(epoch, unix.EMFILE, 1)
			b.failed(epoch, errno, 1)
			assertPausedFor(t, &b, epoch, 10*time.Millisecond)
		})
	}
}

// Reports: the first failure at once, then at most one a second, each saying how many
// failures it stands for; the -errorcode names the errno.
func TestBackoffReportsAreRateLimited(t *testing.T) {
	var b acceptBackoff
	type step struct {
		after time.Duration
		errno unix.Errno
		want  string // "" means no report
	}
	steps := []step{
		{0, unix.EMFILE, "socketserver port 8080: accept failed: too many open files; accepting again in 10ms"},
		{100 * time.Millisecond, unix.ECONNABORTED, ""},
		{999 * time.Millisecond, unix.EMFILE, ""},
		{time.Second, unix.ECONNABORTED,
			"socketserver port 8080: accept failed: software caused connection abort (and 2 more since the last report)"},
		{1500 * time.Millisecond, unix.ECONNABORTED, ""},
		{2 * time.Second, unix.ECONNABORTED,
			"socketserver port 8080: accept failed: software caused connection abort (and 1 more since the last report)"},
		// The third pausing failure with no accept in between: the pause has doubled twice.
		{4 * time.Second, unix.ENFILE, "socketserver port 8080: accept failed: too many open files in system; accepting again in 40ms"},
	}
	for _, s := range steps {
		msg, code := b.failed(epoch.Add(s.after), s.errno, 8080)
		if msg != s.want {
			t.Errorf("at +%v (%s): report %q, want %q", s.after, unix.ErrnoName(s.errno), msg, s.want)
		}
		wantCode := []string{"SOCKETSERVER", "ACCEPT", unix.ErrnoName(s.errno), s.errno.Error()}
		if s.want == "" {
			wantCode = nil
		}
		if !slices.Equal(code, wantCode) {
			t.Errorf("at +%v: code %q, want %q", s.after, code, wantCode)
		}
	}
}

// The report of a pausing error states the pause actually in force.
func TestBackoffReportNamesTheCurrentPause(t *testing.T) {
	var b acceptBackoff
	now := epoch
	for range 3 {
		b.failed(now, unix.EMFILE, 1)
		now = now.Add(b.pause)
	}
	now = now.Add(time.Second) // past the rate limit, still in the same run of failures
	msg, _ := b.failed(now, unix.EMFILE, 1)
	if !strings.HasSuffix(msg, "; accepting again in 80ms") {
		t.Fatalf("report %q, want it to end with the fourth pause, 80ms", msg)
	}
}
