package server

import (
	"math"
	"strconv"
	"testing"
)

// LISTEN_PID and LISTEN_FDS are read strictly: unset is 0, anything but a decimal number in
// range is an error naming the variable and its value.
func TestListenEnv(t *testing.T) {
	ok := []struct {
		pid, fds         string
		wantPID, wantFDs int
	}{
		{"", "", 0, 0},
		{"42", "1", 42, 1},
		{"1", strconv.Itoa(maxListenFDs), 1, maxListenFDs},
	}
	for _, tc := range ok {
		pid, fds, err := ListenEnv(tc.pid, tc.fds)
		if err != nil || pid != tc.wantPID || fds != tc.wantFDs {
			t.Errorf("ListenEnv(%q, %q) = %d, %d, %v; want %d, %d", tc.pid, tc.fds, pid, fds, err, tc.wantPID, tc.wantFDs)
		}
	}
	bad := []struct{ pid, fds, name, value string }{
		{"1", "abc", "LISTEN_FDS", "abc"},
		{"1", "-1", "LISTEN_FDS", "-1"},
		{"1", " 1", "LISTEN_FDS", " 1"},
		{"1", strconv.Itoa(maxListenFDs + 1), "LISTEN_FDS", strconv.Itoa(maxListenFDs + 1)},
		{"1", strconv.Itoa(math.MaxInt32), "LISTEN_FDS", strconv.Itoa(math.MaxInt32)},
		{"12x", "1", "LISTEN_PID", "12x"},
		{"4294967296", "1", "LISTEN_PID", "4294967296"},
	}
	for _, tc := range bad {
		_, _, err := ListenEnv(tc.pid, tc.fds)
		assertTclError(t, err, []string{"SOCKETSERVER", "BADVALUE", tc.name, tc.value}, "")
	}
}
