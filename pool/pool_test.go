package pool

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"socketserver/server"
)

// Start spawns Workers workers; each is "starting" until it asks the server for its
// first connection, then "running"; they serve the server's connections, oldest ready
// first, and Info counts what each has served.
func TestPoolWorkersStartAndServe(t *testing.T) {
	p := startPool(t, func(c *Config) { c.Workers = 3 })
	info := p.Info()
	if info.Name != "pooltest" || info.Port != p.srv.Port() || info.Size != 3 || len(info.Workers) != 3 ||
		info.Reloading || info.Stopping || info.Respawns != 0 {
		t.Fatalf("Info right after Start: %+v", info)
	}
	for _, w := range info.Workers {
		if w.State != "starting" && w.State != "running" {
			t.Errorf("worker %d is %q right after Start", w.PID, w.State)
		}
	}
	workers := p.waitRunning(3)
	if !slices.Equal(workers, pids(info)) {
		t.Fatalf("the running workers %v are not the ones started %v", workers, pids(info))
	}
	waitFor(t, func() bool { si := p.srv.Info(); return si.Workers == 3 && si.Ready == 3 },
		func() string { return fmt.Sprintf("server %+v, want 3 workers, 3 ready", p.srv.Info()) })

	seen := map[int]int{}
	for i := range 9 {
		pid := p.mustRequest("hello " + strconv.Itoa(i))
		if !slices.Contains(workers, pid) {
			t.Fatalf("request answered by %d, not one of the workers %v", pid, workers)
		}
		seen[pid]++
	}
	if len(seen) != 3 {
		t.Errorf("requests were served by %v, want every one of the three workers", seen)
	}
	waitFor(t, func() bool {
		var total uint64
		for _, w := range p.Info().Workers {
			if w.Served != uint64(seen[w.PID]) {
				return false
			}
			total += w.Served
		}
		return total == 9
	}, func() string {
		return fmt.Sprintf("Info %+v, want Served as the clients saw %v", p.Info().Workers, seen)
	})
	p.rec.AssertNone(t)
}

// What a worker is started with: `executable script args...`, its own pair as descriptor
// 3 (a socket), its lifeline's write end as descriptor 4 (a pipe), no other descriptor of
// the server, SOCKETSERVER_WORKER naming the port and those descriptors (a stale one from
// Env dropped), and TCLLIBPATH with the library's directory first.
func TestPoolWorkerEnvironment(t *testing.T) {
	out := t.TempDir()
	record := `out="$POOLTEST_OUT/$$"
{ echo "$SOCKETSERVER_WORKER"; echo "$TCLLIBPATH"; printf '%s|' "$@"; echo; } > "$out.tmp"
mv "$out.tmp" "$out"
` + execWorker
	p := startPool(t, func(c *Config) {
		c.Workers = 1
		c.Script = script(t, "record.sh", record)
		c.Args = []string{"a b", "", "c"}
		c.LibraryDir = "/lib dir"
		c.Env = append(c.Env, outEnv+"="+out, "SOCKETSERVER_WORKER=4242:9:10", "TCLLIBPATH=/old/lib {/other lib}")
	})
	pid := p.waitRunning(1)[0]
	lines := readLines(t, filepath.Join(out, strconv.Itoa(pid)))
	want := []string{fmt.Sprintf("%d:3:4", p.srv.Port()), "{/lib dir} /old/lib {/other lib}", "a b||c|"}
	if !slices.Equal(lines, want) {
		t.Errorf("SOCKETSERVER_WORKER, TCLLIBPATH, arguments = %q, want %q", lines, want)
	}

	// What the worker program inherited: exactly its standard descriptors, its pair and
	// its lifeline.
	var fds []string
	for _, line := range readLines(t, filepath.Join(out, strconv.Itoa(pid)+".fds")) {
		fd, target, _ := strings.Cut(line, " ")
		fds = append(fds, fd)
		if fd == "3" && !strings.HasPrefix(target, "socket:") {
			t.Errorf("descriptor 3 is %q, want a socket (the worker's pair)", target)
		}
		if fd == "4" && !strings.HasPrefix(target, "pipe:") {
			t.Errorf("descriptor 4 is %q, want a pipe (the worker's lifeline)", target)
		}
	}
	if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(fds, want) {
		t.Errorf("the worker inherited descriptors %q, want %q", fds, want)
	}
	if got := p.mustRequest("env"); got != pid {
		t.Errorf("answered by %d, want the worker %d", got, pid)
	}
}

// readLines reads a file a worker wrote (before it asked for a connection).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the worker recorded nothing: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// A worker killed outright is respawned in its slot (a new pid, counted in Respawns), the
// other keeps running, and requests are served throughout.
func TestPoolRespawnsAKilledWorker(t *testing.T) {
	p := startPool(t, nil)
	before := p.waitRunning(2)
	victim, survivor := before[0], before[1]
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", victim, err)
	}
	waitGone(t, victim)
	var after []int
	waitFor(t, func() bool {
		info := p.Info()
		after = pids(info)
		return len(after) == 2 && !slices.Contains(after, victim) && info.Respawns == 1 &&
			info.Workers[0].State == "running" && info.Workers[1].State == "running"
	}, func() string { return fmt.Sprintf("pool %+v after killing %d", p.Info(), victim) })
	if !slices.Contains(after, survivor) {
		t.Errorf("workers %v after the respawn: the other worker %d is gone", after, survivor)
	}
	for i := range 4 {
		if pid := p.mustRequest("after " + strconv.Itoa(i)); !slices.Contains(after, pid) {
			t.Errorf("answered by %d, want one of %v", pid, after)
		}
	}
	p.rec.AssertNone(t)
}

// A worker killed with a connection sent to it but not yet read loses nothing: its lifeline
// ends with it, the server takes the connection back from its pair and hands it to the
// worker respawned in its place, which answers the client. (The first worker the script
// starts only asks and never reads; the ones after serve.)
func TestPoolKilledWorkersUnreadConnectionGoesToItsReplacement(t *testing.T) {
	out := t.TempDir()
	stallFirst := `if mkdir "$POOLTEST_OUT/stalled" 2>/dev/null; then export POOLTEST_MODE=stall; fi
` + execWorker
	p := startPool(t, func(c *Config) {
		c.Workers = 1
		c.Script = script(t, "stall-first.sh", stallFirst)
		c.Env = append(c.Env, outEnv+"="+out)
	})
	victim := p.waitRunning(1)[0]
	type reply struct {
		pid int
		err error
	}
	replied := make(chan reply, 1)
	go func() {
		pid, err := request(p.srv.Port(), "rescued")
		replied <- reply{pid, err}
	}()
	waitFor(t, func() bool { si := p.srv.Info(); return si.Accepted == 1 && si.Dispatched == 1 },
		func() string {
			return fmt.Sprintf("server %+v: the connection was not sent to the worker", p.srv.Info())
		})
	select {
	case r := <-replied:
		t.Fatalf("answered (%d, %v) by a worker that never reads", r.pid, r.err)
	default:
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", victim, err)
	}
	select {
	case r := <-replied:
		if r.err != nil {
			t.Fatalf("the request sent to the killed worker: %v", r.err)
		}
		if r.pid == victim {
			t.Fatalf("answered by the killed worker %d", victim)
		}
		if pids := pids(p.Info()); !slices.Contains(pids, r.pid) {
			t.Errorf("answered by %d, not the pool's worker %v", r.pid, pids)
		}
	case <-time.After(2 * eventTimeout):
		t.Fatal("the request sent to the killed worker was never answered")
	}
	if si := p.srv.Info(); si.Accepted != 1 || si.Dispatched != 1 {
		t.Errorf("server %+v: want 1 accepted and 1 dispatched (taken back, sent again, counted once)", si)
	}
	p.rec.AssertNone(t)
}

// A worker program that exits at once is respawned with a growing delay; after 5 quick
// exits in a row its slot is given up and the server's interpreter hears of it once.
func TestPoolGivesUpACrashLoopingSlot(t *testing.T) {
	start := time.Now()
	p := startPool(t, func(c *Config) {
		c.Workers = 1
		c.Script = script(t, "crash.sh", "exit 3")
	})
	rep := p.rec.Next(t, 3*eventTimeout)
	elapsed := time.Since(start)
	if want := []string{"SOCKETSERVER", "POOL", "CRASHLOOP", "pooltest"}; !slices.Equal(rep.Code, want) {
		t.Errorf("report code %q, want %q", rep.Code, want)
	}
	if !strings.Contains(rep.Msg, "exit status 3") {
		t.Errorf("report %q does not say how the worker last exited (exit status 3)", rep.Msg)
	}
	// 100+200+400+800 ms between the five exits.
	if elapsed < 1500*time.Millisecond {
		t.Errorf("gave up %v after Start, before the respawn delays (1.5 s) had passed", elapsed)
	}
	waitFor(t, func() bool { return len(p.Info().Workers) == 0 },
		func() string { return fmt.Sprintf("pool %+v after giving up", p.Info()) })
	if info := p.Info(); info.Respawns != 4 {
		t.Errorf("Respawns %d, want 4 (five starts)", info.Respawns)
	}
	select {
	case rep := <-p.rec.Reports:
		t.Errorf("another report after giving up: %q %q", rep.Msg, rep.Code)
	case <-time.After(2 * quietPeriod):
	}
	if workers := p.Info().Workers; len(workers) != 0 {
		t.Errorf("a worker was started after the slot was given up: %+v", workers)
	}
}

// With MaxConnections 2 each worker serves at most two connections and is then replaced;
// no request fails for it, and a replaced worker exits.
func TestPoolReplacesWorkersAtMaxConnections(t *testing.T) {
	p := startPool(t, func(c *Config) { c.MaxConnections = 2 })
	p.waitRunning(2)
	const n = 12
	byPID := map[int]int{}
	for i := range n {
		byPID[p.mustRequest("req "+strconv.Itoa(i))]++
	}
	for pid, served := range byPID {
		if served > 2 {
			t.Errorf("worker %d served %d connections, want at most 2", pid, served)
		}
	}
	if len(byPID) < n/2 {
		t.Errorf("%d requests served by %d workers (%v), want at least %d", n, len(byPID), byPID, n/2)
	}
	current := p.waitRunning(2)
	for pid, served := range byPID {
		if served == 2 {
			if slices.Contains(current, pid) {
				t.Errorf("worker %d served 2 connections and is still in the pool %v", pid, current)
			}
			waitGone(t, pid)
		}
	}
	for _, w := range p.Info().Workers {
		if w.Served > 2 {
			t.Errorf("worker %d has served %d", w.PID, w.Served)
		}
	}
	p.rec.AssertNone(t)
}

// Reload replaces every worker, one at a time, while a client keeps sending requests: not
// one fails, and afterwards only new workers answer.
func TestPoolReloadReplacesEveryWorker(t *testing.T) {
	p := startPool(t, nil)
	old := p.waitRunning(2)
	loop := startClientLoop(p.srv.Port())
	waitFor(t, func() bool { return loop.requests() >= 5 },
		func() string { return "the client loop made no requests" })
	before := loop.requests()

	p.Reload()
	if !p.Info().Reloading {
		t.Error("Info does not say Reloading right after Reload")
	}
	var info Info
	waitFor(t, func() bool {
		info = p.Info()
		if info.Reloading || len(info.Workers) != 2 {
			return false
		}
		for _, w := range info.Workers {
			if slices.Contains(old, w.PID) || w.State != "running" {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("pool %+v, want two new running workers replacing %v", info, old) })
	waitGone(t, old...)
	waitFor(t, func() bool { return loop.requests() >= before+5 },
		func() string { return "the client loop stopped making requests" })
	byPID, errs := loop.finish(t)
	if len(errs) > 0 {
		t.Errorf("%d of %d requests failed during the reload, first: %v", len(errs), len(errs)+len(byPID), errs[0])
	}
	t.Logf("requests by worker: %v (old %v, new %v)", byPID, old, pids(info))
	fresh := pids(info)
	for i := range 4 {
		if pid := p.mustRequest("after " + strconv.Itoa(i)); !slices.Contains(fresh, pid) {
			t.Errorf("answered by %d after the reload, want one of the new workers %v", pid, fresh)
		}
	}
	if info.Respawns != 0 {
		t.Errorf("Respawns %d after a reload, want 0: retired workers are not crashes", info.Respawns)
	}
	p.rec.AssertNone(t)
}

// Stop lets a worker finish the connection it holds, then returns with every worker gone
// and the pool marked stopping. Stop's own timeout decides when to kill, not the pool's
// StopTimeout, even when that is shorter.
func TestPoolStopWaitsForConnectionsInProgress(t *testing.T) {
	for _, poolTimeout := range []time.Duration{eventTimeout, 50 * time.Millisecond} {
		t.Run("pool StopTimeout "+poolTimeout.String(), func(t *testing.T) {
			p := startPool(t, func(c *Config) { c.Workers, c.StopTimeout = 1, server.Millis(poolTimeout.Milliseconds()) })
			pid := p.waitRunning(1)[0]
			client, err := dialServer(p.srv.Port())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			waitFor(t, func() bool { w := p.Info().Workers; return len(w) == 1 && w[0].Served == 1 },
				func() string { return fmt.Sprintf("pool %+v: the connection was not handed over", p.Info()) })

			stopped := make(chan time.Duration, 1)
			go func() { start := time.Now(); p.Stop(eventTimeout); stopped <- time.Since(start) }()
			select {
			case <-stopped:
				t.Fatal("Stop returned while a worker still held a connection")
			case <-time.After(quietPeriod):
			}
			if !alive(pid) {
				t.Fatalf("worker %d ended with a connection in progress, before Stop's timeout", pid)
			}
			if info := p.Info(); !info.Stopping {
				t.Errorf("Info %+v does not say Stopping", info)
			}
			client.SetDeadline(time.Now().Add(eventTimeout))
			if _, err := client.Write([]byte("last\n")); err != nil {
				t.Fatal(err)
			}
			reply := make([]byte, 64)
			n, err := client.Read(reply)
			if want := strconv.Itoa(pid) + " last\n"; string(reply[:n]) != want {
				t.Errorf("reply %q, %v; want %q", reply[:n], err, want)
			}
			select {
			case d := <-stopped:
				if d >= eventTimeout {
					t.Errorf("Stop took %v: the worker was killed, not let finish", d)
				}
			case <-time.After(2 * eventTimeout):
				t.Fatal("Stop did not return after the last connection ended")
			}
			waitGone(t, pid)
			if workers := p.Info().Workers; len(workers) != 0 {
				t.Errorf("workers after Stop: %+v", workers)
			}
		})
	}
}

// A worker that does not exit when retired (it ignores SIGTERM too) is killed once Stop's
// timeout has passed, and Stop returns then, not before, not much later.
func TestPoolStopKillsWorkersAfterTheTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	p := startPool(t, func(c *Config) {
		setEnv(c, modeEnv, "linger")
		c.StopTimeout = 60000 // a minute: only Stop's own timeout applies
	})
	workers := p.waitRunning(2)
	took := p.stopWithin(timeout, eventTimeout)
	if took < timeout || took > timeout+2*time.Second {
		t.Errorf("Stop(%v) returned after %v", timeout, took)
	}
	waitGone(t, workers...)
	if left := p.Info().Workers; len(left) != 0 {
		t.Errorf("workers after Stop: %+v", left)
	}
}

// When its server closes, the pool stops: its workers see their pairs closed and exit.
func TestPoolStopsWithItsServer(t *testing.T) {
	p := startPool(t, nil)
	workers := p.waitRunning(2)
	p.srv.Close()
	waitFor(t, func() bool { info := p.Info(); return info.Stopping && len(info.Workers) == 0 },
		func() string { return fmt.Sprintf("pool %+v after its server closed", p.Info()) })
	waitGone(t, workers...)
	select {
	case <-p.Stopped():
	case <-time.After(eventTimeout):
		t.Fatal("Stopped not closed after the server closed")
	}
	p.rec.AssertNone(t)
}

// Stopped is closed by an explicit Stop as well, once every worker has gone.
func TestPoolStoppedAfterStop(t *testing.T) {
	p := startPool(t, nil)
	p.waitRunning(2)
	select {
	case <-p.Stopped():
		t.Fatal("Stopped closed before Stop")
	default:
	}
	p.stopWithin(eventTimeout, eventTimeout)
	select {
	case <-p.Stopped():
	default:
		t.Fatal("Stopped not closed when Stop returned")
	}
}

// Validate checks each number against its range, as the caller gave it.
func TestConfigValidate(t *testing.T) {
	if err := (Config{Workers: 1024, MaxConnections: 0, StopTimeout: 0}).Validate(); err != nil {
		t.Errorf("a valid Config: %v", err)
	}
	for _, tc := range []struct {
		cfg  Config
		code string
	}{
		{Config{Workers: 0}, "SOCKETSERVER BADVALUE -workers 0"},
		{Config{Workers: 1, MaxConnections: -1}, "SOCKETSERVER BADVALUE -maxconnections -1"},
		{Config{Workers: 1, StopTimeout: 1 << 40}, "SOCKETSERVER BADVALUE -stoptimeout 1099511627776"},
	} {
		var tclErr *server.Error
		if err := tc.cfg.Validate(); !errors.As(err, &tclErr) || strings.Join(tclErr.Code, " ") != tc.code {
			t.Errorf("Validate(%+v) = %v, want %s", tc.cfg, err, tc.code)
		}
	}
}

// Of callers racing to retire one worker (its connection limit, a reload, Stop), exactly
// one is told to go on; the worker ends retired, whatever its state was.
func TestMarkRetiringOnce(t *testing.T) {
	for _, state := range []string{"starting", "running"} {
		p := &Pool{}
		m := &member{pid: math.MaxInt32, exited: make(chan struct{})} // no such process
		m.state.Store(state)
		var wg sync.WaitGroup
		var won atomic.Int32
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if p.markRetiring(m, time.Hour) {
					won.Add(1)
				}
			}()
		}
		wg.Wait()
		close(m.exited) // ends the grace timer before it could signal anything
		if won.Load() != 1 || m.state.Load() != "retiring" || !m.retired.Load() {
			t.Errorf("from %q: %d callers won, state %v, retired %v; want 1, retiring, true",
				state, won.Load(), m.state.Load(), m.retired.Load())
		}
	}
}

// A worker that exits on its own (after one connection here) is respawned like any exit.
func TestPoolRespawnsAWorkerThatExits(t *testing.T) {
	p := startPool(t, func(c *Config) {
		c.Workers = 1
		setEnv(c, exitAfterEnv, "1")
	})
	first := p.waitRunning(1)[0]
	if pid := p.mustRequest("one"); pid != first {
		t.Fatalf("answered by %d, want %d", pid, first)
	}
	waitGone(t, first)
	var second int
	waitFor(t, func() bool {
		info := p.Info()
		if len(info.Workers) != 1 || info.Workers[0].PID == first || info.Workers[0].State != "running" {
			return false
		}
		second = info.Workers[0].PID
		return true
	}, func() string { return fmt.Sprintf("pool %+v: no new worker after %d exited", p.Info(), first) })
	if pid := p.mustRequest("two"); pid != second {
		t.Errorf("answered by %d, want the new worker %d", pid, second)
	}
	if info := p.Info(); info.Respawns < 1 {
		t.Errorf("Respawns %d after a worker exited", info.Respawns)
	}
}

// Start refuses a script it cannot read and a program it cannot start, leaving nothing
// behind: no worker on the server.
func TestPoolStartErrors(t *testing.T) {
	o := server.DefaultOptions(0)
	o.MyAddr = "127.0.0.1"
	srv, err := server.Listen(o, newRecorder().Report)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	missing := filepath.Join(t.TempDir(), "missing.tcl")
	cases := []struct {
		name     string
		cfg      Config
		wantCode []string // a prefix of the error's code
		wantMsg  string   // a prefix of its message
	}{
		{"unreadable script", Config{Executable: "/bin/sh", Script: missing},
			[]string{"SOCKETSERVER", "BADVALUE", "-script", missing}, `couldn't read worker script "` + missing + `": `},
		{"no such executable", Config{Executable: "/nonexistent/tclsh", Script: script(t, "w.sh", execWorker)},
			[]string{"SOCKETSERVER", "SPAWN"}, `couldn't start worker "/nonexistent/tclsh": `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Name, cfg.Server, cfg.Workers, cfg.StopTimeout = "bad", srv, 2, 1000
			cfg.Report = newRecorder().Report
			p, err := Start(cfg)
			if err == nil {
				p.Stop(time.Second)
				t.Fatal("Start succeeded")
			}
			var e *server.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *server.Error", err, err)
			}
			if len(e.Code) < len(tc.wantCode) || !slices.Equal(e.Code[:len(tc.wantCode)], tc.wantCode) {
				t.Errorf("code %q, want it to start with %q", e.Code, tc.wantCode)
			}
			if !strings.HasPrefix(e.Msg, tc.wantMsg) {
				t.Errorf("message %q, want it to start with %q", e.Msg, tc.wantMsg)
			}
			if si := srv.Info(); si.Workers != 0 {
				t.Errorf("the server has %d workers after a failed Start", si.Workers)
			}
		})
	}
}

// failScript is a worker script that exits (status 4) instead of becoming a worker
// when the file "fail" is in $POOLTEST_OUT, removing it if it says "once".
const failScript = `f="$POOLTEST_OUT/fail"
if [ -e "$f" ]; then
	if [ "$(cat "$f")" = once ]; then rm -f "$f"; fi
	exit 4
fi
` + execWorker

// failingPool is a pool whose workers fail (see failScript) while the file says so.
func failingPool(t *testing.T, workers int) (p *testPool, fail func(how string)) {
	t.Helper()
	out := t.TempDir()
	p = startPool(t, func(c *Config) {
		c.Workers = workers
		c.Script = script(t, "fail.sh", failScript)
		c.Env = append(c.Env, outEnv+"="+out)
	})
	return p, func(how string) {
		path := filepath.Join(out, "fail")
		if how == "" {
			os.Remove(path)
		} else if err := os.WriteFile(path, []byte(how), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A new worker that exits before it is ready stops the reload with a report; the old
// workers go on serving, and the failed one is not respawned (that would give its slot a
// second worker) nor counted towards a crash loop.
func TestPoolReloadStopsWhenANewWorkerFails(t *testing.T) {
	p, fail := failingPool(t, 2)
	old := p.waitRunning(2)
	fail("once")
	p.Reload()
	rep := p.rec.Next(t, eventTimeout)
	if want := []string{"SOCKETSERVER", "POOL", "RELOAD", "pooltest"}; !slices.Equal(rep.Code, want) ||
		!strings.Contains(rep.Msg, "exited before it was ready") {
		t.Errorf("report %q %q, want a RELOAD report saying the new worker exited before it was ready", rep.Msg, rep.Code)
	}
	waitFor(t, func() bool { return !p.Info().Reloading },
		func() string { return "the reload did not end" })
	// A respawn would come 100 ms after the exit: watch well past that.
	for end := time.Now().Add(3 * quietPeriod); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if info := p.Info(); !slices.Equal(pids(info), old) || info.Respawns != 0 {
			t.Fatalf("after the failed reload the pool is %+v, want its old workers %v and no respawn", info, old)
		}
	}
	for i := range 4 {
		if pid := p.mustRequest("still " + strconv.Itoa(i)); !slices.Contains(old, pid) {
			t.Errorf("answered by %d, want one of the old workers %v", pid, old)
		}
	}
	p.rec.AssertNone(t)
}

// A slot given up after a crash loop starts afresh with the next reload.
func TestPoolReloadRestartsAGivenUpSlot(t *testing.T) {
	p, fail := failingPool(t, 1)
	pid := p.waitRunning(1)[0]
	fail("always")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	rep := p.rec.Next(t, 3*eventTimeout)
	if want := []string{"SOCKETSERVER", "POOL", "CRASHLOOP", "pooltest"}; !slices.Equal(rep.Code, want) {
		t.Fatalf("report %q %q, want %q", rep.Msg, rep.Code, want)
	}
	waitFor(t, func() bool { return len(p.Info().Workers) == 0 },
		func() string { return fmt.Sprintf("pool %+v after giving up", p.Info()) })

	fail("")
	p.Reload()
	fresh := p.waitRunning(1)[0]
	if got := p.mustRequest("back"); got != fresh {
		t.Errorf("answered by %d, want the restarted worker %d", got, fresh)
	}
	waitFor(t, func() bool { return !p.Info().Reloading }, func() string { return "the reload did not end" })
	p.rec.AssertNone(t)
}
