// Package pool keeps a set of worker processes started by exec (not fork) for one server:
// it respawns a worker that exits (with backoff, and a limit that stops a crash loop),
// replaces one that has served -maxconnections, reloads them one at a time, and stops them
// gracefully. An exec'd worker starts its own Go runtime, so unlike a forked one it could
// run Go; the library's worker side is C all the same.
//
// The environment protocol: a worker is started as `executable script ?args?` with its end
// of its own SOCK_SEQPACKET pair (the server holds the other, already registered) as
// descriptor 3, the write end of its lifeline pipe (see worker/protocol.h) as descriptor 4,
// and SOCKETSERVER_WORKER=port:3:4 in its environment; TCLLIBPATH starts with
// the directory the package was loaded from. `package require socketserver` in the worker
// reads SOCKETSERVER_WORKER, so `::socketserver::socket client handler` needs no port. When
// the server closes a worker's pair, the worker exits as soon as the connections it was
// handed are closed.
package pool

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"socketserver/handover"
	"socketserver/server"
	"socketserver/spawn"
)

const (
	workerFD   = 3 // the worker's end of its pair, in the worker
	lifelineFD = 4 // the write end of its lifeline, in the worker

	// A worker that exits within quickExit of starting is crashing; crashLoopLimit such
	// exits in a row stop respawning its slot (until the next reload). The wait before
	// respawning after a quick exit doubles from firstRespawnDelay: 100, 200, 400, 800 ms.
	quickExit         = time.Second
	crashLoopLimit    = 5
	firstRespawnDelay = 100 * time.Millisecond

	// readyTimeout bounds how long a reload waits for a new worker's first `client` call.
	readyTimeout = 30 * time.Second

	// stopPoll is how often Stop looks again for workers started while it was stopping.
	stopPoll = 20 * time.Millisecond
)

// Config describes a pool, its numbers as the caller gave them (see Validate).
type Config struct {
	Name           string
	Server         *server.Server
	Workers        int
	Executable     string   // the tclsh to run
	Script         string   // the worker script (absolute path)
	Args           []string // its arguments
	Env            []string // the environment to start from (the Tcl process's own)
	LibraryDir     string   // added in front of TCLLIBPATH
	MaxConnections int64    // replace a worker after this many connections (0: never)
	StopTimeout    server.Millis
	Report         server.Reporter
}

// Validate checks the numbers against their ranges (server.WorkersRange and the others,
// beside the server's own). Start expects a valid Config; the Tcl layer validates before it
// looks for the server, so a bad value is reported first.
func (c Config) Validate() error {
	return server.FirstError(server.WorkersRange.Check(int64(c.Workers)),
		server.MaxConnectionsRange.Check(c.MaxConnections), server.StopTimeoutRange.Check(int64(c.StopTimeout)))
}

// Pool is a running pool.
type Pool struct {
	cfg      Config
	mu       sync.Mutex
	members  map[int]*member // by pid
	slots    []slot
	respawns int
	stopping bool
	reloads  atomic.Int32  // reloads in progress
	stopped  chan struct{} // closed when a Stop has ended every worker
	stopOnce sync.Once
}

// slot is one of the Workers places; it counts its worker's quick exits.
type slot struct {
	quickExits int
	givenUp    bool // crash loop: not respawned until a reload
}

type member struct {
	pid     int
	slot    int
	started time.Time
	worker  atomic.Pointer[server.Worker] // nil until the server has added it
	state   atomic.Value                  // "starting", "running", "retiring"
	ready   chan struct{}
	exited  chan struct{}
	retired atomic.Bool // the pool or the server chose to end it: no respawn
}

// Start starts the pool's workers.
func Start(cfg Config) (*Pool, error) {
	if err := readable(cfg.Script); err != nil {
		return nil, &server.Error{Msg: fmt.Sprintf("couldn't read worker script \"%s\": %v", cfg.Script, err),
			Code: []string{"SOCKETSERVER", "BADVALUE", "-script", cfg.Script}}
	}
	p := &Pool{cfg: cfg, members: make(map[int]*member), slots: make([]slot, cfg.Workers), stopped: make(chan struct{})}
	for i := range cfg.Workers {
		if _, err := p.spawn(i, false); err != nil {
			p.Stop(0)
			return nil, err
		}
	}
	// A pool ends with its server: this is the one place that says so.
	go func() {
		select {
		case <-cfg.Server.Done():
			p.Stop(cfg.StopTimeout.Duration())
		case <-p.stopped:
		}
	}()
	return p, nil
}

// readable checks, as this process, that the worker script is a file it can read: every
// worker would fail on it otherwise, and the pool report a crash loop a second later.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	return nil
}

// environment is the worker's: the Tcl process's own, with the worker's descriptor and
// the package's directory.
func (p *Pool) environment() []string {
	env := []string{fmt.Sprintf("SOCKETSERVER_WORKER=%d:%d:%d", p.cfg.Server.Port(), workerFD, lifelineFD)}
	libpath := "{" + p.cfg.LibraryDir + "}"
	for _, kv := range p.cfg.Env {
		switch {
		case len(kv) > 20 && kv[:20] == "SOCKETSERVER_WORKER=":
		case len(kv) > 11 && kv[:11] == "TCLLIBPATH=":
			libpath += " " + kv[11:]
		default:
			env = append(env, kv)
		}
	}
	return append(env, "TCLLIBPATH="+libpath)
}

// spawn starts a worker in slot i and makes it a worker of the server. A trial worker (a
// reload's) is not respawned if it exits before its first `client` call.
func (p *Pool) spawn(i int, trial bool) (*member, error) {
	serverEnd, workerEnd, err := handover.WorkerPair()
	if err != nil {
		return nil, err
	}
	lifeline, lifelineEnd, err := handover.Lifeline()
	if err != nil {
		handover.Close(serverEnd)
		handover.Close(workerEnd)
		return nil, err
	}
	// The server keeps a copy of the worker's end (see server.AddWorker), but not of the
	// lifeline's write end: the lifeline ends when the worker does.
	reg := handover.Registration{ServerEnd: serverEnd, WorkerEnd: workerEnd, Lifeline: lifeline}
	argv := append([]string{p.cfg.Executable, p.cfg.Script}, p.cfg.Args...)
	pid, err := spawn.Start(spawn.Process{
		Argv: argv, Env: p.environment(), DieWithServer: true,
		Files: []uintptr{0, 1, 2, uintptr(workerEnd), uintptr(lifelineEnd)},
	})
	handover.Close(lifelineEnd)
	if err != nil {
		handover.Close(serverEnd)
		handover.Close(workerEnd)
		handover.Close(lifeline)
		return nil, &server.Error{Msg: fmt.Sprintf("couldn't start worker \"%s\": %v", p.cfg.Executable, err),
			Code: []string{"SOCKETSERVER", "SPAWN", err.Error()}}
	}
	m := &member{pid: pid, slot: i, started: time.Now(), ready: make(chan struct{}), exited: make(chan struct{})}
	m.state.Store("starting")
	m.retired.Store(trial)
	p.mu.Lock()
	stopping := p.stopping
	p.members[pid] = m
	p.mu.Unlock()
	go p.wait(m)
	if stopping {
		// Stop began while this worker was being started: it may have looked for workers
		// already, so this one ends here (wait reaps it).
		m.retired.Store(true)
		syscall.Kill(pid, syscall.SIGKILL)
		handover.Close(serverEnd)
		handover.Close(workerEnd)
		handover.Close(lifeline)
		return nil, &server.Error{Msg: fmt.Sprintf("socketserver pool %s is stopping", p.cfg.Name),
			Code: []string{"SOCKETSERVER", "POOL", "STOPPING", p.cfg.Name}}
	}
	var readyOnce sync.Once
	// Hooks run in the server's dispatch goroutine: no locks, nothing blocking.
	w, err := p.cfg.Server.AddWorker(reg, pid, server.WorkerHooks{
		MaxConnections: uint64(p.cfg.MaxConnections),
		OnFirstReady: func() {
			// It works: from now on a trial worker is a worker like any other, unless it was
			// retired meanwhile (markRetiring): then it stays "retiring", and retired.
			if trial {
				m.retired.Store(false)
			}
			if !m.state.CompareAndSwap("starting", "running") && trial {
				m.retired.Store(true)
			}
			readyOnce.Do(func() { close(m.ready) })
		},
		OnLimit: func() {
			// Marked here, before the worker can exit, so its exit is not taken for a crash.
			if p.markRetiring(m, p.cfg.StopTimeout.Duration()) {
				go p.respawn(m.slot)
			}
		},
	})
	if err != nil {
		m.retired.Store(true)
		syscall.Kill(pid, syscall.SIGKILL)
		return nil, err
	}
	m.worker.Store(w)
	return m, nil
}

// wait reaps a worker and decides what its exit means.
func (p *Pool) wait(m *member) {
	status := spawn.Wait(m.pid)
	p.mu.Lock()
	delete(p.members, m.pid)
	close(m.exited)
	if p.stopping || m.retired.Load() {
		p.mu.Unlock() // stopping, or replaced when it was retired
		return
	}
	s := &p.slots[m.slot]
	if time.Since(m.started) < quickExit {
		s.quickExits++
	} else {
		s.quickExits = 0
	}
	if s.quickExits >= crashLoopLimit {
		s.givenUp = true
		p.mu.Unlock()
		p.cfg.Report(fmt.Sprintf("socketserver pool %s: a worker exited %d times in a row within %v of starting "+
			"(last: %s); not respawning it", p.cfg.Name, crashLoopLimit, quickExit, describe(status)),
			[]string{"SOCKETSERVER", "POOL", "CRASHLOOP", p.cfg.Name})
		return
	}
	delay := time.Duration(0)
	if s.quickExits > 0 {
		delay = firstRespawnDelay << (s.quickExits - 1)
	}
	p.respawns++
	p.mu.Unlock()
	time.AfterFunc(delay, func() { p.respawn(m.slot) })
}

func (p *Pool) respawn(i int) {
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	if stopping {
		return
	}
	if _, err := p.spawn(i, false); err != nil {
		p.cfg.Report(fmt.Sprintf("socketserver pool %s: couldn't respawn a worker: %v", p.cfg.Name, err),
			[]string{"SOCKETSERVER", "POOL", "SPAWN", p.cfg.Name})
	}
}

func describe(status syscall.WaitStatus) string {
	switch {
	case status.Signaled():
		return "killed by " + status.Signal().String()
	case status.Exited():
		return fmt.Sprintf("exit status %d", status.ExitStatus())
	}
	return "status unknown"
}

// retire ends m gracefully: the server closes its pair (no new connections) and the worker
// exits once the connections it was handed are closed, or is killed after grace.
func (p *Pool) retire(m *member, grace time.Duration) {
	if !p.markRetiring(m, grace) {
		return
	}
	if w := m.worker.Load(); w != nil {
		p.cfg.Server.Retire(w)
	}
}

// markRetiring marks m as ending by choice, so its exit is not respawned, and kills it if it
// takes over grace to finish. False if it was marked already: of the callers that race to
// retire a worker (its connection limit, a reload, Stop), exactly one gets true.
func (p *Pool) markRetiring(m *member, grace time.Duration) bool {
	for {
		state := m.state.Load()
		if state == "retiring" {
			return false
		}
		if m.state.CompareAndSwap(state, "retiring") {
			break
		}
	}
	m.retired.Store(true)
	go func() {
		select {
		case <-m.exited:
		case <-time.After(grace):
			syscall.Kill(m.pid, syscall.SIGKILL)
		}
	}()
	return true
}

// Reload replaces the workers one at a time: each new worker must ask for its first
// connection before the old one it replaces is retired, so capacity never drops and no
// connection is refused. A new worker that fails stops the reload (the old ones go on
// serving) and is not respawned. Slots given up after a crash loop start afresh. It runs
// in the background; Info shows "reloading".
func (p *Pool) Reload() {
	p.mu.Lock()
	old := p.sortedMembers()
	var restart []int
	for i := range p.slots {
		if p.slots[i].givenUp {
			p.slots[i] = slot{}
			restart = append(restart, i)
		}
	}
	p.mu.Unlock()
	p.reloads.Add(1)
	go func() {
		defer p.reloads.Add(-1)
		for _, i := range restart {
			p.respawn(i)
		}
		for _, m := range old {
			if m.state.Load() == "retiring" {
				continue
			}
			fresh, err := p.spawn(m.slot, true)
			if err != nil {
				p.cfg.Report(fmt.Sprintf("socketserver pool %s: reload stopped: %v", p.cfg.Name, err),
					[]string{"SOCKETSERVER", "POOL", "RELOAD", p.cfg.Name})
				return
			}
			select {
			case <-fresh.ready:
				p.retire(m, p.cfg.StopTimeout.Duration())
			case <-fresh.exited:
				p.cfg.Report(fmt.Sprintf("socketserver pool %s: reload stopped: new worker %d exited before it was ready",
					p.cfg.Name, fresh.pid), []string{"SOCKETSERVER", "POOL", "RELOAD", p.cfg.Name})
				return
			case <-time.After(readyTimeout):
				p.retire(fresh, 0)
				p.cfg.Report(fmt.Sprintf("socketserver pool %s: reload stopped: new worker %d not ready within %v",
					p.cfg.Name, fresh.pid, readyTimeout), []string{"SOCKETSERVER", "POOL", "RELOAD", p.cfg.Name})
				return
			}
		}
	}()
}

// Stop retires every worker, waits up to timeout for them to finish their connections and
// exit, then kills the rest; it returns when all have exited. Workers a reload or respawn
// was starting meanwhile are caught by the next round.
func (p *Pool) Stop(timeout time.Duration) {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		members := p.sortedMembers()
		p.mu.Unlock()
		if len(members) == 0 {
			p.stopOnce.Do(func() { close(p.stopped) })
			return
		}
		overdue := time.Now().After(deadline)
		for _, m := range members {
			if m.worker.Load() != nil {
				p.retire(m, timeout)
			}
			if overdue {
				syscall.Kill(m.pid, syscall.SIGKILL)
			}
		}
		select {
		case <-members[0].exited:
		case <-time.After(stopPoll):
		}
	}
}

func (p *Pool) sortedMembers() []*member {
	members := make([]*member, 0, len(p.members))
	for _, m := range p.members {
		members = append(members, m)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].started.Before(members[j].started) })
	return members
}

// WorkerInfo describes one worker.
type WorkerInfo struct {
	PID     int
	Started time.Time
	Served  uint64
	State   string
}

// Info describes the pool.
type Info struct {
	Name      string
	Port      int
	Size      int
	Workers   []WorkerInfo
	Respawns  int
	Reloading bool
	Stopping  bool
}

// Info returns the pool's state now.
func (p *Pool) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := Info{Name: p.cfg.Name, Port: p.cfg.Server.Port(), Size: p.cfg.Workers, Respawns: p.respawns,
		Reloading: p.reloads.Load() > 0, Stopping: p.stopping}
	for _, m := range p.sortedMembers() {
		var served uint64
		if w := m.worker.Load(); w != nil {
			served = w.Served()
		}
		info.Workers = append(info.Workers, WorkerInfo{PID: m.pid, Started: m.started, Served: served,
			State: m.state.Load().(string)})
	}
	return info
}

// Stopped is closed once the pool has stopped: by Stop, or because its server closed.
func (p *Pool) Stopped() <-chan struct{} { return p.stopped }

// StopTimeout is the pool's -stoptimeout.
func (p *Pool) StopTimeout() time.Duration { return p.cfg.StopTimeout.Duration() }
