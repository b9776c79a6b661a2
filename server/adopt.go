package server

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"socketserver/handover"
)

// systemdFirstFD is where systemd's socket activation protocol starts passing sockets.
const systemdFirstFD = 3

// adoptListeners takes over listening sockets someone else opened: one descriptor (-fd),
// or the ones systemd passed (-systemd), keeping those bound to o.Port when it is not 0.
// Each must be a listening TCP socket; from then on the server owns it (a forked child
// closes it; `close` closes it).
func adoptListeners(o Options) (fds []int, port int, err error) {
	var first, count int
	if o.Systemd {
		if first, count, err = systemdListeners(o); err != nil {
			return nil, 0, err
		}
	} else {
		first, count = *o.FD, 1
	}
	for fd := first; fd < first+count; fd++ { // checked one by one: LISTEN_FDS may be any size
		p, err := checkListening(fd)
		if err != nil {
			return nil, 0, err
		}
		if o.Port != 0 && p != o.Port {
			if o.Systemd {
				continue // another port's socket: a later `server -systemd 1 port` takes it
			}
			return nil, 0, adoptError(fd, fmt.Sprintf("is bound to port %d, not %d", p, o.Port))
		}
		if port != 0 && p != port {
			return nil, 0, &Error{
				Msg:  fmt.Sprintf("systemd passed sockets on several ports (%d and %d): give the port", port, p),
				Code: []string{"SOCKETSERVER", "BADVALUE", "-systemd", "1"},
			}
		}
		port = p
		fds = append(fds, fd)
	}
	if len(fds) == 0 {
		return nil, 0, &Error{
			Msg:  fmt.Sprintf("systemd passed no listening socket for port %d", o.Port),
			Code: []string{"SOCKETSERVER", "BADVALUE", "-systemd", "1"},
		}
	}
	for i, fd := range fds {
		if err := takeOver(fd, o); err != nil {
			closeAll(fds[:i]) // ours already; the rest stay the caller's
			return nil, 0, err
		}
	}
	return fds, port, nil
}

// systemdListeners says which descriptors systemd passed: count of them from first.
func systemdListeners(o Options) (first, count int, err error) {
	if o.ListenPID != unix.Getpid() || o.ListenFDs <= 0 || o.ListenFDs > maxListenFDs {
		return 0, 0, &Error{
			Msg: fmt.Sprintf("no sockets from systemd for this process (LISTEN_PID %d, LISTEN_FDS %d, pid %d)",
				o.ListenPID, o.ListenFDs, unix.Getpid()),
			Code: []string{"SOCKETSERVER", "BADVALUE", "-systemd", "1"},
		}
	}
	return systemdFirstFD, o.ListenFDs, nil
}

// checkListening returns the port of fd if it is a listening IPv4 or IPv6 TCP socket.
func checkListening(fd int) (int, error) {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return 0, adoptError(fd, "is not open")
	}
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM {
		return 0, adoptError(fd, "is not a TCP socket")
	}
	if domain, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); domain != unix.AF_INET && domain != unix.AF_INET6 {
		return 0, adoptError(fd, "is not an IPv4 or IPv6 socket")
	}
	if listening, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); listening != 1 {
		return 0, adoptError(fd, "is not listening")
	}
	return boundPort(fd)
}

// listenBacklog reads a listening socket's backlog: for a socket in LISTEN state the
// kernel reports it as TCP_INFO's tcpi_sacked.
func listenBacklog(fd int) (int, bool) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, false
	}
	return int(info.Sacked), true
}

// takeOver registers fd (so a forked child closes it), makes it close-on-exec and
// non-blocking for the dispatch loop, and applies -backlog if it was given.
func takeOver(fd int, o Options) error {
	if err := handover.Adopt(fd); err != nil {
		return adoptError(fd, "is already in use by a socketserver server")
	}
	unix.CloseOnExec(fd)
	err := unix.SetNonblock(fd, true)
	if err == nil && o.BacklogGiven {
		err = unix.Listen(fd, o.Backlog)
	}
	if err != nil {
		return socketError(err)
	}
	return nil
}

func adoptError(fd int, what string) *Error {
	return &Error{
		Msg:  fmt.Sprintf("descriptor %d %s", fd, what),
		Code: []string{"SOCKETSERVER", "BADVALUE", "-fd", strconv.Itoa(fd)},
	}
}
