package handover_test

import (
	"testing"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// The port table stores numbers only, so these tests publish made-up ports and descriptor
// numbers. Nothing else in this package's tests publishes, so the table starts empty.

func assertLookup(t *testing.T, asked, wantPort, wantFD int) {
	t.Helper()
	port, fd := workertest.Lookup(asked)
	if port != wantPort || (wantPort != 0 && fd != wantFD) {
		t.Errorf("Lookup(%d) = port %d, fd %d; want port %d, fd %d", asked, port, fd, wantPort, wantFD)
	}
}

func publish(t *testing.T, port, fd int) {
	t.Helper()
	if err := handover.Publish(port, fd); err != nil {
		t.Fatalf("Publish(%d, %d): %v", port, fd, err)
	}
	t.Cleanup(func() { handover.Withdraw(port, fd) })
}

// Lookup(0) is "the first server published" (a worker's `client` without -port); a
// withdrawn port is not found; the next one published becomes the first.
func TestPortTablePublishLookupWithdraw(t *testing.T) {
	assertLookup(t, 0, 0, 0)
	assertLookup(t, 8001, 0, 0)

	publish(t, 8001, 101)
	publish(t, 8002, 102)
	assertLookup(t, 0, 8001, 101)
	assertLookup(t, 8001, 8001, 101)
	assertLookup(t, 8002, 8002, 102)
	assertLookup(t, 8003, 0, 0)

	handover.Withdraw(8001, 999) // another server's pair: this one stays
	assertLookup(t, 8001, 8001, 101)
	handover.Withdraw(8001, 101)
	assertLookup(t, 8001, 0, 0)
	assertLookup(t, 0, 8002, 102)

	handover.Withdraw(8002, 102)
	assertLookup(t, 0, 0, 0)
	handover.Withdraw(8002, 102) // withdrawing what is not there is harmless
}

// The table grows past its first allocation and keeps every entry, in order.
func TestPortTableGrows(t *testing.T) {
	const n = 40
	for i := range n {
		publish(t, 9000+i, 500+i)
	}
	for i := range n {
		assertLookup(t, 9000+i, 9000+i, 500+i)
	}
	assertLookup(t, 0, 9000, 500)
	handover.Withdraw(9000+n/2, 500+n/2)
	assertLookup(t, 9000+n/2, 0, 0)
	assertLookup(t, 9000+n/2+1, 9000+n/2+1, 500+n/2+1)
}
