// Package worker is the C that a worker forked from the server process may run.
package worker

/*
#cgo CFLAGS: -DUSE_TCL_STUBS -Wall -Wextra -Wno-unused-parameter
*/
import "C"
