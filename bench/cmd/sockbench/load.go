package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// loadRun is the state the workers of one run share; everything in it is
// either read-only or atomic.
type loadRun struct {
	target       string // an IP literal and port, so dialing resolves nothing
	lines        int
	oneshot      bool
	linger0      bool
	timeout      time.Duration
	maxConns     int64 // 0 means no limit
	hardDeadline time.Time
	dialer       net.Dialer

	stopping atomic.Bool  // set when -duration has elapsed
	claimed  atomic.Int64 // connection attempts handed out, if maxConns > 0
}

// loadResult is what a run measured.
type loadResult struct {
	elapsed time.Duration
	stats   *loadStats
}

// runLoad runs cfg.concurrency workers until -duration or -connections ends
// the run, then merges what they recorded. It returns by the hard deadline
// at the latest: no operation is given a deadline past it, and between
// operations workers only compute.
func runLoad(cfg config, target netip.AddrPort) loadResult {
	start := time.Now()
	hardDeadline := start.Add(cfg.duration + cfg.grace)
	r := &loadRun{
		target:       target.String(),
		lines:        cfg.lines,
		oneshot:      cfg.mode == modeOneshot,
		linger0:      cfg.linger0,
		timeout:      cfg.timeout,
		maxConns:     cfg.connections,
		hardDeadline: hardDeadline,
		// The dialer applies whichever of Timeout and Deadline comes first.
		dialer: net.Dialer{Timeout: cfg.timeout, Deadline: hardDeadline},
	}
	stopTimer := time.AfterFunc(cfg.duration, func() { r.stopping.Store(true) })
	defer stopTimer.Stop()

	sampleCap := max(maxLatencySamples/cfg.concurrency, 1)
	perWorker := make([]*loadStats, cfg.concurrency)
	var wg sync.WaitGroup
	for i := range perWorker {
		w := newWorker(r, sampleCap)
		perWorker[i] = w.stats
		wg.Go(w.loop)
	}
	wg.Wait()
	elapsed := time.Since(start)

	total := newLoadStats(maxLatencySamples)
	for _, s := range perWorker {
		total.merge(s)
	}
	return loadResult{elapsed: elapsed, stats: total}
}

// claimConnection reports whether the run still allows a new connection.
func (r *loadRun) claimConnection() bool {
	if r.stopping.Load() {
		return false
	}
	// Without a limit the shared counter is left alone, so workers do not
	// contend on its cache line.
	return r.maxConns == 0 || r.claimed.Add(1) <= r.maxConns
}

// opDeadline is the deadline for an operation starting now.
func (r *loadRun) opDeadline() time.Time {
	d := time.Now().Add(r.timeout)
	if d.After(r.hardDeadline) {
		return r.hardDeadline
	}
	return d
}

func (r *loadRun) classify(op operation, err error) errorKind {
	if isTimeout(err) && !time.Now().Before(r.hardDeadline) {
		return kindCutByHardDeadline
	}
	return classify(op, err)
}

// worker runs one connection at a time. Its reader and line buffer are
// reused across connections and requests to keep allocations off the hot
// path.
type worker struct {
	run    *loadRun
	reader *bufio.Reader
	line   []byte
	seq    uint64
	stats  *loadStats
}

func newWorker(r *loadRun, sampleCap int) *worker {
	return &worker{
		run:    r,
		reader: bufio.NewReader(nil),
		line:   make([]byte, 0, 32),
		stats:  newLoadStats(sampleCap),
	}
}

func (w *worker) loop() {
	for w.run.claimConnection() {
		w.connection()
	}
}

// connection dials, sends up to run.lines requests one at a time, and
// closes. The first error ends the connection: after a timeout or a bad
// reply, the stream can no longer be trusted to pair requests with replies.
func (w *worker) connection() {
	dialStart := time.Now()
	// Not Dialer.DialTCP: given no local address it binds to 0.0.0.0:0
	// before connecting, and a port picked by bind cannot be shared with
	// TIME_WAIT sockets of other connections, which runs out of ports sooner.
	c, err := w.run.dialer.DialContext(context.Background(), "tcp", w.run.target)
	if err != nil {
		w.stats.recordError(w.run.classify(opDial, err), err)
		return
	}
	conn := c.(*net.TCPConn)
	defer conn.Close()
	w.stats.connections++
	// A normal close leaves this side in TIME_WAIT; -linger0 trades that for
	// an RST so high oneshot rates do not run out of ephemeral ports.
	if w.run.linger0 {
		if err := conn.SetLinger(0); err != nil {
			w.stats.recordError(kindOther, err)
			return
		}
	}
	w.reader.Reset(conn)

	for i := range w.run.lines {
		if i > 0 && w.run.stopping.Load() {
			return
		}
		// Oneshot mode measures the connection as a whole, as serving many
		// short connections is what it compares.
		start := dialStart
		if !w.run.oneshot {
			start = time.Now()
		}
		pid, op, err := w.roundTrip(conn)
		if err != nil {
			w.stats.recordError(w.run.classify(op, err), err)
			return
		}
		w.stats.recordLatency(time.Since(start))
		// The reply to the first request tells which process accepted the
		// connection; later ones come from the same process.
		if i == 0 {
			w.stats.perPID[pid]++
		}
	}
}

// roundTrip sends one request line and reads its reply, returning the pid it
// names and, on failure, the operation that failed.
func (w *worker) roundTrip(conn *net.TCPConn) (pid int, op operation, err error) {
	w.seq++
	w.line = appendRequestLine(w.line[:0], w.seq)
	if err := conn.SetWriteDeadline(w.run.opDeadline()); err != nil {
		return 0, opWrite, err
	}
	if _, err := conn.Write(w.line); err != nil {
		return 0, opWrite, err
	}
	if err := conn.SetReadDeadline(w.run.opDeadline()); err != nil {
		return 0, opRead, err
	}
	reply, err := w.reader.ReadSlice('\n')
	if err != nil {
		return 0, opRead, err
	}
	pid, ok := parsePID(reply)
	if !ok {
		return 0, opRead, fmt.Errorf("%w: %q", errBadReply, reply)
	}
	return pid, opRead, nil
}
