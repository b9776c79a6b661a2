package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"socketserver/bench/internal/sockreport"
)

// testServer is a goroutine server on 127.0.0.1:0 standing in for a server
// under test.
type testServer struct {
	addr     string
	accepted atomic.Int64
	lines    atomic.Int64  // request lines read by replyWithPIDs
	done     chan struct{} // closed when the test ends
}

// connHandler serves one accepted connection; index counts connections in
// accept order.
type connHandler func(srv *testServer, conn net.Conn, index int)

func startServer(t *testing.T, handle connHandler) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &testServer{addr: ln.Addr().String(), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			index := int(srv.accepted.Add(1)) - 1
			wg.Go(func() {
				defer conn.Close()
				// Bounds a handler even if the client misbehaves.
				conn.SetDeadline(time.Now().Add(30 * time.Second))
				handle(srv, conn, index)
			})
		}
	})
	t.Cleanup(func() {
		close(srv.done)
		ln.Close()
		wg.Wait()
	})
	return srv
}

// replyWithPIDs answers each of the first maxReplies lines of a connection
// (all if maxReplies < 0) with "<pid> <line>"; it closes after reading the
// next line, as closing with a request unread would send a reset instead of
// an end of file. The pid depends on the accept index, as with a server of
// several processes.
func replyWithPIDs(maxReplies int, pids ...int) connHandler {
	return func(srv *testServer, conn net.Conn, index int) {
		pid := pids[index%len(pids)]
		r := bufio.NewReader(conn)
		for n := 0; ; n++ {
			line, err := r.ReadString('\n')
			if err != nil || n == maxReplies {
				return
			}
			srv.lines.Add(1)
			if _, err := fmt.Fprintf(conn, "%d %s", pid, line); err != nil {
				return
			}
		}
	}
}

// readLineThen reads one request line, then hands the connection to then.
func readLineThen(then func(srv *testServer, conn net.Conn)) connHandler {
	return func(srv *testServer, conn net.Conn, _ int) {
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			return
		}
		then(srv, conn)
	}
}

// runJSON runs the command with -json and decodes its report.
func runJSON(t *testing.T, args ...string) (sockreport.Report, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append(args, "-json"), &stdout, &stderr)
	var rep sockreport.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, report is not JSON: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	return rep, code
}

func TestOneshotCountsRequestsAndSpread(t *testing.T) {
	// Two connections in three go to pid 101: a 2:1 spread.
	srv := startServer(t, replyWithPIDs(-1, 101, 101, 102))
	rep, code := runJSON(t, "-addr", srv.addr, "-connections", "9", "-concurrency", "3", "-duration", "1m")
	if code != exitOK {
		t.Fatalf("exit status %d, want %d; report %+v", code, exitOK, rep)
	}
	if rep.Connections != 9 || rep.Requests != 9 || rep.LatencySamples != 9 || srv.accepted.Load() != 9 {
		t.Errorf("connections %d, requests %d, samples %d, server accepted %d; want 9 each",
			rep.Connections, rep.Requests, rep.LatencySamples, srv.accepted.Load())
	}
	if rep.PerPID[101] != 6 || rep.PerPID[102] != 3 || rep.DistinctPIDs != 2 || rep.SpreadRatio != 2 {
		t.Errorf("per_pid %v, distinct %d, spread %v; want map[101:6 102:3], 2, 2",
			rep.PerPID, rep.DistinctPIDs, rep.SpreadRatio)
	}
	if rep.ErrorsTotal != 0 || rep.Mode != modeOneshot || rep.LinesPerConn != 1 || rep.Concurrency != 3 {
		t.Errorf("errors %v, mode %q, lines_per_conn %d, concurrency %d; want none, oneshot, 1, 3",
			rep.Errors, rep.Mode, rep.LinesPerConn, rep.Concurrency)
	}
	if !(0 < rep.P50us && rep.P50us <= rep.P90us && rep.P90us <= rep.P99us && rep.P99us <= rep.MaxUs) {
		t.Errorf("latencies p50 %v p90 %v p99 %v max %v are not positive and ordered",
			rep.P50us, rep.P90us, rep.P99us, rep.MaxUs)
	}
	if rep.ConnsPerSec <= 0 || rep.ReqsPerSec <= 0 || rep.DurationSec <= 0 {
		t.Errorf("rates %v conns/s, %v reqs/s over %v s; want positive", rep.ConnsPerSec, rep.ReqsPerSec, rep.DurationSec)
	}
}

func TestPersistentSendsLinesPerConnection(t *testing.T) {
	srv := startServer(t, replyWithPIDs(-1, 7))
	rep, code := runJSON(t, "-addr", srv.addr, "-mode", "persistent", "-lines", "5",
		"-connections", "4", "-concurrency", "2", "-duration", "1m")
	if code != exitOK {
		t.Fatalf("exit status %d, want %d; report %+v", code, exitOK, rep)
	}
	if rep.Connections != 4 || srv.accepted.Load() != 4 {
		t.Errorf("connections %d, server accepted %d; want 4", rep.Connections, srv.accepted.Load())
	}
	if rep.Requests != 20 || srv.lines.Load() != 20 {
		t.Errorf("requests %d, server read %d lines; want 20", rep.Requests, srv.lines.Load())
	}
	if len(rep.PerPID) != 1 || rep.PerPID[7] != 4 || rep.SpreadRatio != 1 {
		t.Errorf("per_pid %v, spread %v; want map[7:4] (one count per connection), 1", rep.PerPID, rep.SpreadRatio)
	}
}

func TestPersistentStopsMidConnectionWhenDurationEnds(t *testing.T) {
	srv := startServer(t, replyWithPIDs(-1, 7))
	start := time.Now()
	rep, code := runJSON(t, "-addr", srv.addr, "-mode", "persistent", "-lines", "1000000000",
		"-concurrency", "2", "-duration", "200ms")
	// Not stopping mid-connection would run on to the hard deadline, 10s on.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("run took %v, want it to end soon after -duration 200ms", took)
	}
	if code != exitOK || rep.Connections != 2 || rep.Requests == 0 || rep.ErrorsTotal != 0 {
		t.Errorf("exit %d, connections %d, requests %d, errors %v; want 0, 2, > 0, none",
			code, rep.Connections, rep.Requests, rep.Errors)
	}
}

func TestPersistentCountsSuccessesBeforeAnError(t *testing.T) {
	// Two replies per connection, then a close: the third request fails.
	srv := startServer(t, replyWithPIDs(2, 7))
	rep, code := runJSON(t, "-addr", srv.addr, "-mode", "persistent", "-lines", "5",
		"-connections", "3", "-duration", "1m")
	if code != exitOK {
		t.Errorf("exit status %d, want %d since some requests succeeded", code, exitOK)
	}
	if rep.Requests != 6 || rep.Errors["eof_before_reply"] != 3 || rep.ErrorsTotal != 3 || rep.PerPID[7] != 3 {
		t.Errorf("requests %d, errors %v, per_pid %v; want 6, eof_before_reply 3 only, map[7:3]",
			rep.Requests, rep.Errors, rep.PerPID)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name    string
		handler connHandler // nil: nothing listens on the port
		extra   []string
		kind    string
	}{
		{
			name:    "close without reply",
			handler: readLineThen(func(*testServer, net.Conn) {}),
			kind:    "eof_before_reply",
		},
		{
			name: "reply without pid",
			handler: readLineThen(func(_ *testServer, conn net.Conn) {
				io.WriteString(conn, "hello ping\n")
			}),
			kind: "bad_reply",
		},
		{
			name: "reset",
			handler: readLineThen(func(_ *testServer, conn net.Conn) {
				conn.(*net.TCPConn).SetLinger(0)
			}),
			kind: "conn_reset",
		},
		{
			name:    "no reply in time",
			handler: readLineThen(func(srv *testServer, _ net.Conn) { <-srv.done }),
			extra:   []string{"-timeout", "100ms"},
			kind:    "read_timeout",
		},
		{
			name: "refused",
			kind: "dial_refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr string
			if tt.handler != nil {
				addr = startServer(t, tt.handler).addr
			} else {
				addr = closedPort(t)
			}
			args := append([]string{"-addr", addr, "-connections", "3", "-duration", "1m"}, tt.extra...)
			rep, code := runJSON(t, args...)
			if code != exitNoSuccess {
				t.Errorf("exit status %d, want %d as no request succeeded", code, exitNoSuccess)
			}
			if rep.Errors[tt.kind] != 3 || rep.ErrorsTotal != 3 || rep.Requests != 0 {
				t.Errorf("errors %v, requests %d; want %s 3 only, 0 requests", rep.Errors, rep.Requests, tt.kind)
			}
			if rep.ErrorExamples[tt.kind] == "" {
				t.Errorf("no example message for %s in %v", tt.kind, rep.ErrorExamples)
			}
		})
	}
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestHardDeadlineCutsOffHungRequests(t *testing.T) {
	srv := startServer(t, readLineThen(func(srv *testServer, _ net.Conn) { <-srv.done }))
	var stdout, stderr bytes.Buffer
	cfg, err := parseFlags([]string{"-addr", srv.addr, "-concurrency", "2", "-duration", "50ms",
		"-timeout", "1m", "-json"}, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.grace = 300 * time.Millisecond

	start := time.Now()
	code := execute(cfg, &stdout, &stderr)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("run took %v, want it cut off at the hard deadline, 350ms in", took)
	}
	var rep sockreport.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	if code != exitNoSuccess || rep.Errors["cut_by_hard_deadline"] != 2 || rep.ErrorsTotal != 2 {
		t.Errorf("exit %d, errors %v; want %d, cut_by_hard_deadline 2 only", code, rep.Errors, exitNoSuccess)
	}
}

func TestLinger0ClosesWithReset(t *testing.T) {
	for _, linger0 := range []bool{false, true} {
		// After replying, the server reads again to see how the client closed.
		// Only the first connection reports, and never blocks doing so: an
		// extra connection must fail the test, not hang the server.
		closeErrs := make(chan error, 1)
		tellClose := func(err error) {
			select {
			case closeErrs <- err:
			default:
			}
		}
		srv := startServer(t, func(_ *testServer, conn net.Conn, _ int) {
			r := bufio.NewReader(conn)
			line, err := r.ReadString('\n')
			if err != nil {
				tellClose(err)
				return
			}
			io.WriteString(conn, "9 "+line)
			_, err = r.ReadByte()
			tellClose(err)
		})
		args := []string{"-addr", srv.addr, "-connections", "1"}
		if linger0 {
			args = append(args, "-linger0")
		}
		if rep, code := runJSON(t, args...); code != exitOK || rep.Requests != 1 {
			t.Fatalf("linger0=%v: exit %d, requests %d; want 0, 1", linger0, code, rep.Requests)
		}
		select {
		case err := <-closeErrs:
			if wantReset := linger0; errors.Is(err, syscall.ECONNRESET) != wantReset || (!wantReset && err != io.EOF) {
				t.Errorf("linger0=%v: server saw the close as %v", linger0, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("linger0=%v: server did not see the close within 10s", linger0)
		}
	}
}

func TestTextReport(t *testing.T) {
	srv := startServer(t, replyWithPIDs(-1, 4711))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-addr", srv.addr, "-connections", "5"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{"requests      5 (", "connections   5 (", "errors        0\n",
		"1 distinct, spread max/min 1.00", "  4711       5\n"} {
		if !bytes.Contains(stdout.Bytes(), []byte(want)) {
			t.Errorf("text report lacks %q:\n%s", want, stdout.String())
		}
	}
}
