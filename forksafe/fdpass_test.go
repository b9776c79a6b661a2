package forksafe_test

import (
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"socketserver/forksafe"
)

// In the style of x/sys/unix's TestPassFD: a descriptor sent with ss_send_fd (SendConn)
// and received with ss_recv_fd (WorkerRecvConn) is the same open file, not a copy of it.
func TestPassedDescriptorIsTheSameOpenFile(t *testing.T) {
	server, worker := seqpacketPair(t)
	r, w := pipe(t)

	if err := forksafe.SendConn(server, w, netip.MustParseAddrPort("127.0.0.1:1"), false); err != nil {
		t.Fatalf("SendConn: %v", err)
	}
	received, _, ok, err := forksafe.WorkerRecvConn(worker)
	if err != nil || !ok {
		t.Fatalf("WorkerRecvConn: ok=%v err=%v", ok, err)
	}
	if received == w {
		t.Fatalf("received descriptor %d is the sender's own number: nothing was passed", received)
	}
	want := "written through the received descriptor"
	if _, err := unix.Write(received, []byte(want)); err != nil {
		t.Fatalf("write through the received descriptor: %v", err)
	}
	got := make([]byte, 64)
	n, err := unix.Read(r, got)
	if err != nil || string(got[:n]) != want {
		t.Fatalf("read through the original pipe: %q, %v; want %q", got[:max(n, 0)], err, want)
	}
	unix.Close(received)
	assertNoCopyOfWriteEnd(t, r, w)
}

// receiver is one side of the protocol that takes descriptors from its peer.
type receiver struct {
	name    string
	genuine func(t *testing.T) []byte
	// recv receives one message and closes whatever descriptor it accepted.
	recv func(fd int) error
}

var receivers = []receiver{
	{
		name:    "WorkerRecvConn",
		genuine: capturedConnMsg,
		recv: func(fd int) error {
			conn, _, ok, err := forksafe.WorkerRecvConn(fd)
			if ok {
				unix.Close(conn)
			}
			if err == nil && !ok {
				return errors.New("unexpected end of file")
			}
			return err
		},
	},
	{
		name:    "RecvRegistration",
		genuine: capturedRegisterMsg,
		recv: func(fd int) error {
			own, _, err := forksafe.RecvRegistration(fd)
			if err == nil {
				forksafe.Close(own)
			}
			return err
		},
	},
}

// A peer that sends too many descriptors, or a message that is not what the protocol says,
// is refused with EPROTO; every descriptor the message carried is closed (none leaks), and
// the next genuine message on the same pair is received normally.
func TestMalformedMessagesAreRejectedWithoutLeaks(t *testing.T) {
	same := func(msg []byte) []byte { return msg }
	withByte := func(i int, b byte) func([]byte) []byte {
		return func(msg []byte) []byte { msg[i] = b; return msg }
	}
	cases := []struct {
		name        string
		mutate      func(genuine []byte) []byte
		descriptors int
		connOnly    bool
		wantErr     error
	}{
		{name: "genuine message with one descriptor (control case)", mutate: same, descriptors: 1},
		{name: "two descriptors", mutate: same, descriptors: 2, wantErr: unix.EPROTO},
		// ss_recv_fd has room for two descriptors: a third truncates the control data (MSG_CTRUNC).
		{name: "three descriptors: control data truncated", mutate: same, descriptors: 3, wantErr: unix.EPROTO},
		{name: "longer than a message: data truncated", mutate: func(m []byte) []byte { return append(m, 0) }, descriptors: 1, wantErr: unix.EPROTO},
		{name: "shorter than a message", mutate: func(m []byte) []byte { return m[:2] }, descriptors: 1, wantErr: unix.EPROTO},
		{name: "no descriptor", mutate: same, descriptors: 0, wantErr: unix.EPROTO},
		{name: "unknown protocol version", mutate: withByte(0, 0xff), descriptors: 1, wantErr: unix.EPROTO},
		{name: "wrong message type", mutate: withByte(1, 'X'), descriptors: 1, wantErr: unix.EPROTO},
		{
			// Every byte after version and type is non-zero, so the address has no terminating NUL.
			name: "address without a terminating NUL", connOnly: true, descriptors: 1, wantErr: unix.EPROTO,
			mutate: func(m []byte) []byte {
				for i := 2; i < len(m); i++ {
					m[i] = 'A'
				}
				return m
			},
		},
	}
	for _, rc := range receivers {
		for _, tc := range cases {
			if tc.connOnly && rc.name != "WorkerRecvConn" {
				continue
			}
			t.Run(rc.name+"/"+tc.name, func(t *testing.T) {
				msg := tc.mutate(rc.genuine(t))
				sender, receiving := seqpacketPair(t)
				r, w := pipe(t)
				before := openFDCount(t)

				sendWithDescriptors(t, sender, msg, w, tc.descriptors)
				err := rc.recv(receiving)
				if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("%s: error %v, want %v", rc.name, err, tc.wantErr)
				}
				if after := openFDCount(t); after != before {
					t.Errorf("open descriptors: %d before, %d after receiving", before, after)
				}
				assertNoCopyOfWriteEnd(t, r, w)

				// The pair is still in step: a genuine message after the bad one is accepted.
				_, w2 := pipe(t)
				defer unix.Close(w2)
				sendWithDescriptors(t, sender, rc.genuine(t), w2, 1)
				if err := rc.recv(receiving); err != nil {
					t.Fatalf("genuine message after the rejected one: %v", err)
				}
			})
		}
	}
}
