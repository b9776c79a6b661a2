package server

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// An accept(2) failure never ends the dispatch loop and never makes it spin. A failure that
// says the process or system is out of something (descriptors, buffers, memory) pauses
// accepting, for longer each time it repeats; one that concerns only the connection being
// accepted (it was reset, or a firewall refused it) does not. Either way the server's
// interpreter hears of it, at most once per reportInterval, with a count of what it missed.
const (
	firstPause     = 10 * time.Millisecond
	longestPause   = time.Second
	reportInterval = time.Second
)

// reportLimiter lets one report through per reportInterval and counts the ones it held back.
type reportLimiter struct {
	last   time.Time
	missed int
}

// allow says whether to report at now, and how many reports were held back before it.
func (r *reportLimiter) allow(now time.Time) (missed int, ok bool) {
	if !r.last.IsZero() && now.Sub(r.last) < reportInterval {
		r.missed++
		return 0, false
	}
	missed, r.missed, r.last = r.missed, 0, now
	return missed, true
}

func missedNote(missed int) string {
	if missed == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %d more since the last report)", missed)
}

type acceptBackoff struct {
	pause   time.Duration
	until   time.Time
	reports reportLimiter
}

// connectionOnly lists the errors accept(2) documents as the accepted connection's own.
func connectionOnly(errno unix.Errno) bool {
	switch errno {
	case unix.ECONNABORTED, unix.EPROTO, unix.EPERM, unix.ENETDOWN, unix.ENOPROTOOPT,
		unix.EHOSTDOWN, unix.ENONET, unix.EHOSTUNREACH, unix.EOPNOTSUPP, unix.ENETUNREACH:
		return true
	}
	return false
}

// failed records an accept failure at now and says what to report (nothing if it is too soon).
func (b *acceptBackoff) failed(now time.Time, errno unix.Errno, port int) (msg string, code []string) {
	return b.failedDoing(now, errno, port, "accept", "accepting", "ACCEPT")
}

// failedDoing is failed for another call that can run out of descriptors, with the same
// pause and the same limit on reports: what failed and what resumes (for the message), and
// the word of the error code (SOCKETSERVER codeWord ERRNAME message).
func (b *acceptBackoff) failedDoing(now time.Time, errno unix.Errno, port int, what, resuming, codeWord string) (msg string, code []string) {
	if !connectionOnly(errno) {
		b.pause = min(max(2*b.pause, firstPause), longestPause)
		b.until = now.Add(b.pause)
	}
	missed, ok := b.reports.allow(now)
	if !ok {
		return "", nil
	}
	msg = fmt.Sprintf("socketserver port %d: %s failed: %s%s", port, what, errno.Error(), missedNote(missed))
	if !connectionOnly(errno) {
		msg += fmt.Sprintf("; %s again in %v", resuming, b.pause)
	}
	return msg, []string{"SOCKETSERVER", codeWord, unix.ErrnoName(errno), errno.Error()}
}

// succeeded ends a run of failures.
func (b *acceptBackoff) succeeded() { b.pause = 0 }

// paused says whether accepting is paused at now.
func (b *acceptBackoff) paused(now time.Time) bool { return now.Before(b.until) }

// waitMillis is how long accepting stays paused, or -1 if it is not.
func (b *acceptBackoff) waitMillis(now time.Time) int {
	if !b.paused(now) {
		return -1
	}
	return int(b.until.Sub(now)/time.Millisecond) + 1
}
