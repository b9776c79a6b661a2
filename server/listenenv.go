package server

import (
	"fmt"
	"math"
	"strconv"
)

// maxListenFDs keeps the descriptors systemd passes, 3 to 3+LISTEN_FDS-1, within an int32.
const maxListenFDs = math.MaxInt32 - systemdFirstFD

// ListenEnv reads LISTEN_PID and LISTEN_FDS as systemd's socket activation sets them, ""
// for a variable that is not set (0). Anything but a decimal number in range is an error,
// where sd_listen_fds(3) would say EINVAL: not a number taken for 0, nor a count of
// descriptors no process can have.
func ListenEnv(pid, fds string) (listenPID, listenFDs int, err error) {
	if listenPID, err = listenNumber("LISTEN_PID", pid, math.MaxInt32, "a process id"); err != nil {
		return 0, 0, err
	}
	listenFDs, err = listenNumber("LISTEN_FDS", fds, maxListenFDs, fmt.Sprintf("an integer from 0 to %d", maxListenFDs))
	return listenPID, listenFDs, err
}

func listenNumber(name, value string, max int64, must string) (int, error) {
	if value == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 || n > max {
		return 0, &Error{
			Msg:  fmt.Sprintf("bad %s \"%s\": must be %s", name, value, must),
			Code: []string{"SOCKETSERVER", "BADVALUE", name, value},
		}
	}
	return int(n), nil
}
