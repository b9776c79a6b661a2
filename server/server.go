package server

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

// Reporter receives what the server cannot return to a caller: accept failures and the
// like. The Tcl layer turns each report into a background error in the server's interpreter.
type Reporter func(msg string, code []string)

// Server is one listening port and the goroutine that dispatches its connections.
type Server struct {
	opts      Options
	port      int
	listeners []int
	// The registration pair: the server reads registrations from its end; every worker
	// inherits the other end and sends its own pair's server end through it.
	registration, registrationForWorkers int
	epoll, wake                          int
	report                               Reporter

	stats   stats
	closing atomic.Bool
	done    chan struct{}

	// Work other goroutines hand to the dispatch goroutine (see do).
	commandsMu sync.Mutex
	commands   []func(*dispatcher)
	stopped    bool
}

// stats are written by the dispatch goroutine and read by Info from the Tcl thread.
type stats struct {
	workers, ready, queued                 atomic.Int64
	accepted, dispatched, rejected, silent atomic.Uint64
}

// Info is what `::socketserver::socket info port` reports.
type Info struct {
	Port, Backlog, Queue           int
	Workers, Ready, Queued         int
	Accepted, Dispatched, Rejected uint64
	Silent                         uint64 // closed by -waitdata: no data in time
}

// Listen binds and listens before it returns, so every failure is the caller's error and
// nothing is left running; then it starts dispatching in the background.
func Listen(o Options, report Reporter) (*Server, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	listeners, port, err := openListeners(o)
	if err != nil {
		return nil, err
	}
	if o.adopting() && !o.BacklogGiven {
		if backlog, ok := listenBacklog(listeners[0]); ok {
			o.Backlog = backlog // what the adopted socket was given, for info
		}
	}
	s := &Server{opts: o, port: port, listeners: listeners, report: report, done: make(chan struct{})}
	fail := func(err error) (*Server, error) {
		s.closeDescriptors()
		if s.wake >= 0 {
			handover.Close(s.wake)
		}
		return nil, socketError(err)
	}
	if err := s.openControl(); err != nil {
		return fail(err)
	}
	d, err := newDispatcher(s)
	if err != nil {
		return fail(err)
	}
	if err := handover.Publish(port, s.registrationForWorkers); err != nil {
		return fail(err)
	}
	go d.run()
	return s, nil
}

// openControl makes the registration pair, the epoll instance and the wake-up eventfd.
func (s *Server) openControl() (err error) {
	s.registration, s.registrationForWorkers, s.epoll, s.wake = -1, -1, -1, -1
	if s.registration, s.registrationForWorkers, err = handover.RegistrationPair(); err != nil {
		return err
	}
	if s.epoll, err = handover.Epoll(); err != nil {
		return err
	}
	s.wake, err = handover.Eventfd()
	return err
}

// closeDescriptors closes what Listen and openControl made but the wake-up eventfd, which
// Close may still write to (Close closes it); workers reading their end of the registration
// pair (or of their own pair) see end-of-file.
func (s *Server) closeDescriptors() {
	closeAll(s.listeners)
	for _, fd := range []int{s.registration, s.epoll} {
		if fd >= 0 {
			handover.Close(fd)
		}
	}
	if s.registrationForWorkers >= 0 {
		handover.CloseUnregistered(s.registrationForWorkers)
	}
}

// Port is the port the server is bound to (the one the kernel chose, for port 0).
func (s *Server) Port() int { return s.port }

// Done is closed when the server has closed.
func (s *Server) Done() <-chan struct{} { return s.done }

// do runs command in the dispatch goroutine, soon; false if the server has closed.
func (s *Server) do(command func(*dispatcher)) bool {
	s.commandsMu.Lock()
	defer s.commandsMu.Unlock()
	if s.stopped {
		return false
	}
	s.commands = append(s.commands, command)
	s.wakeDispatcher()
	return true
}

func (s *Server) takeCommands() []func(*dispatcher) {
	s.commandsMu.Lock()
	defer s.commandsMu.Unlock()
	commands := s.commands
	s.commands = nil
	return commands
}

// stopCommands refuses further commands and returns the ones not yet run.
func (s *Server) stopCommands() []func(*dispatcher) {
	s.commandsMu.Lock()
	defer s.commandsMu.Unlock()
	s.stopped = true
	commands := s.commands
	s.commands = nil
	return commands
}

func (s *Server) wakeDispatcher() {
	one := [8]byte{1}
	unix.Write(s.wake, one[:]) // an eventfd write of 1 cannot fail short of overflow
}

// Listeners runs f with the server's listening descriptors, in the dispatch goroutine so
// that they stay open while f uses them; false if the server has closed.
func (s *Server) Listeners(f func(fds []int)) bool {
	finished := make(chan struct{})
	if !s.do(func(d *dispatcher) { f(d.s.listeners); close(finished) }) {
		return false
	}
	<-finished
	return true
}

// Close stops accepting, closes the listeners and every pair, and returns when the port is
// free. Connections accepted but not yet handed to a worker are closed.
func (s *Server) Close() {
	if s.closing.Swap(true) {
		<-s.done
		return
	}
	handover.Withdraw(s.port, s.registrationForWorkers)
	s.wakeDispatcher()
	<-s.done
	handover.Close(s.wake)
}

// Info returns the current counters.
func (s *Server) Info() Info {
	return Info{
		Port: s.port, Backlog: s.opts.Backlog, Queue: s.opts.Queue,
		Workers:    int(s.stats.workers.Load()),
		Ready:      int(s.stats.ready.Load()),
		Queued:     int(s.stats.queued.Load()),
		Accepted:   s.stats.accepted.Load(),
		Dispatched: s.stats.dispatched.Load(),
		Rejected:   s.stats.rejected.Load(),
		Silent:     s.stats.silent.Load(),
	}
}
