package main

import (
	"errors"
	"strconv"
)

// errBadReply marks a reply line that does not start with a pid.
var errBadReply = errors.New("bad reply")

// appendRequestLine appends "ping <seq>\n" to buf. Appending to a reused
// buffer keeps the per-request path free of allocations.
func appendRequestLine(buf []byte, seq uint64) []byte {
	buf = append(buf, "ping "...)
	buf = strconv.AppendUint(buf, seq, 10)
	return append(buf, '\n')
}

// maxPID is above any pid Linux hands out (2^22) and keeps the parse below
// from overflowing.
const maxPID = 1<<31 - 1

// parsePID returns the first whitespace-separated word of a reply line as a
// pid. It works on the bytes in place rather than via strings.Fields and
// strconv.Atoi, which would allocate for every request.
func parsePID(line []byte) (int, bool) {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	pid, digits := 0, 0
	for ; i < len(line) && '0' <= line[i] && line[i] <= '9'; i++ {
		pid = pid*10 + int(line[i]-'0')
		digits++
		if pid > maxPID {
			return 0, false
		}
	}
	if digits == 0 || (i < len(line) && !isSpace(line[i])) {
		return 0, false
	}
	return pid, true
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == '\v' || b == '\f'
}
