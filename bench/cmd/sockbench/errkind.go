package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// errorKind is what the report counts errors by: coarse enough to compare
// servers, specific enough to tell refusals, timeouts and resets apart.
type errorKind int

const (
	kindDialRefused errorKind = iota
	kindDialTimeout
	kindConnReset
	kindEOFBeforeReply
	kindReadTimeout
	kindWriteError
	kindBadReply
	// kindCutByHardDeadline is an operation still waiting when the hard
	// deadline came; it did not exceed -timeout, so it is not a timeout.
	kindCutByHardDeadline
	kindOther
	numErrorKinds
)

// errorKindNames are the keys of the report's errors object.
var errorKindNames = [numErrorKinds]string{
	kindDialRefused:       "dial_refused",
	kindDialTimeout:       "dial_timeout",
	kindConnReset:         "conn_reset",
	kindEOFBeforeReply:    "eof_before_reply",
	kindReadTimeout:       "read_timeout",
	kindWriteError:        "write_error",
	kindBadReply:          "bad_reply",
	kindCutByHardDeadline: "cut_by_hard_deadline",
	kindOther:             "other",
}

func (k errorKind) String() string { return errorKindNames[k] }

// operation is the step of a request that failed; the same error (say a
// timeout) means different things on a dial and on a read.
type operation int

const (
	opDial operation = iota
	opWrite
	opRead
)

// classify names the kind of err, which happened during op. A timeout that
// fired at or after the hard deadline is reported by the caller as
// kindCutByHardDeadline, since only it knows the deadline.
func classify(op operation, err error) errorKind {
	switch {
	// A reply longer than the read buffer is not a line the protocol allows.
	case errors.Is(err, errBadReply), errors.Is(err, bufio.ErrBufferFull):
		return kindBadReply
	case errors.Is(err, syscall.ECONNRESET):
		return kindConnReset
	case op == opDial && errors.Is(err, syscall.ECONNREFUSED):
		return kindDialRefused
	case op == opDial && isTimeout(err):
		return kindDialTimeout
	// ReadSlice reports io.EOF also when a partial line preceded it: either
	// way no reply line arrived.
	case op == opRead && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return kindEOFBeforeReply
	case op == opRead && isTimeout(err):
		return kindReadTimeout
	case op == opWrite:
		return kindWriteError
	default:
		return kindOther
	}
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}
