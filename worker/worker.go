// Package worker is the C that a worker forked from the server process may run.
package worker

import "C"
