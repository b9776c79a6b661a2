package handover_test

import (
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"socketserver/handover"
	"socketserver/internal/workertest"
)

// In the style of x/sys/unix's TestPassFD: a descriptor sent with ss_send_fd (PassConn)
// and received with ss_recv_fd (RecvConn) is the same open file, not a copy of it; and
// PassConn closed the sender's copy.
func TestPassedDescriptorIsTheSameOpenFile(t *testing.T) {
	server, worker := seqpacketPair(t)
	r, w := pipe(t)

	if err := handover.PassConn(server, w, netip.MustParseAddrPort("127.0.0.1:1"), false); err != nil {
		t.Fatalf("PassConn: %v", err)
	}
	if _, err := unix.FcntlInt(uintptr(w), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("after PassConn the sender's descriptor %d is still open (F_GETFD: %v)", w, err)
	}
	received, _, ok, err := workertest.RecvConn(worker)
	if err != nil || !ok {
		t.Fatalf("RecvConn: ok=%v err=%v", ok, err)
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
	assertNoCopyOfWriteEnd(t, r, received)
}

// The three descriptors of a registration (ss_send_fds with 3, ss_recv_fds with 3) arrive
// in the order sent, each the same open file as the worker's: the server's end of the
// worker's pair is the peer of the worker's own end, the copy of the worker's end is that
// very socket, and the lifeline is the read end of the pipe whose write end the worker kept.
func TestRegistrationPassesThreeDescriptorsInOrder(t *testing.T) {
	registration, workersEnd, err := handover.RegistrationPair()
	must(t, err)
	t.Cleanup(func() {
		handover.Close(registration)
		handover.CloseUnregistered(workersEnd)
	})
	own, lifeline, err := workertest.Register(workersEnd)
	must(t, err)
	closeAtEnd(t, own)
	reg, _, err := handover.RecvRegistration(registration)
	must(t, err)
	t.Cleanup(func() {
		handover.Close(reg.ServerEnd)
		handover.Close(reg.WorkerEnd)
		handover.Close(reg.Lifeline)
	})

	if !sameFile(t, reg.WorkerEnd, own) {
		t.Error("the registration's WorkerEnd is not the worker's own end of its pair")
	}
	// The server's end is the peer: what it sends, the worker's end reads.
	if _, err := unix.Write(reg.ServerEnd, []byte("to the worker")); err != nil {
		t.Fatalf("write on ServerEnd: %v", err)
	}
	if got := string(recvRaw(t, own)); got != "to the worker" {
		t.Errorf("the worker's end read %q, want what ServerEnd sent", got)
	}
	// The lifeline: a pipe, read end at the server, write end at the worker.
	var st unix.Stat_t
	must(t, unix.Fstat(reg.Lifeline, &st))
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("Lifeline is not a pipe (mode %o)", st.Mode)
	}
	if _, err := unix.Write(lifeline, []byte("x")); err != nil {
		t.Fatalf("write on the worker's lifeline end: %v", err)
	}
	var b [4]byte
	if n, err := unix.Read(reg.Lifeline, b[:]); n != 1 || err != nil {
		t.Fatalf("read on Lifeline: %d, %v; want the byte the worker wrote", n, err)
	}
	unix.Close(lifeline)
	if n, err := unix.Read(reg.Lifeline, b[:]); n != 0 || err != nil {
		t.Fatalf("read on Lifeline after the worker closed its end: %d, %v; want end of file", n, err)
	}
}

// sameFile says whether two descriptors refer to the same file (device and inode).
func sameFile(t *testing.T, a, b int) bool {
	t.Helper()
	var sa, sb unix.Stat_t
	must(t, unix.Fstat(a, &sa))
	must(t, unix.Fstat(b, &sb))
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// receiver is one side of the protocol that takes descriptors from its peer.
type receiver struct {
	name    string
	genuine func(t *testing.T) []byte
	fds     int // how many descriptors a genuine message carries
	// recv receives one message and closes whatever descriptors it accepted.
	recv func(fd int) error
}

var receivers = []receiver{
	{
		name:    "RecvConn",
		genuine: capturedConnMsg,
		fds:     1,
		recv: func(fd int) error {
			conn, _, ok, err := workertest.RecvConn(fd)
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
		fds:     3,
		recv: func(fd int) error {
			reg, _, err := handover.RecvRegistration(fd)
			if err == nil {
				handover.Close(reg.ServerEnd)
				handover.Close(reg.WorkerEnd)
				handover.Close(reg.Lifeline)
			}
			return err
		},
	},
}

// A peer that sends another number of descriptors than the message carries (one more, one
// fewer, none, so many the control data is truncated), or a message that is not what the
// protocol says, is refused with EPROTO; every descriptor the message carried is closed
// (none leaks), and the next genuine message on the same pair is received normally.
func TestMalformedMessagesAreRejectedWithoutLeaks(t *testing.T) {
	same := func(msg []byte) []byte { return msg }
	withByte := func(i int, b byte) func([]byte) []byte {
		return func(msg []byte) []byte { msg[i] = b; return msg }
	}
	cases := []struct {
		name   string
		mutate func(genuine []byte) []byte
		// descriptors is how many the message carries, relative to a genuine one's
		extra    int
		none     bool // no descriptor at all
		connOnly bool
		wantErr  error
	}{
		{name: "genuine message (control case)", mutate: same},
		{name: "one descriptor too many", mutate: same, extra: 1, wantErr: unix.EPROTO},
		// ss_recv_fds has room for one descriptor more than asked: two more truncate the
		// control data (MSG_CTRUNC), and the kernel closes what did not fit.
		{name: "two descriptors too many: control data truncated", mutate: same, extra: 2, wantErr: unix.EPROTO},
		{name: "many descriptors too many", mutate: same, extra: 6, wantErr: unix.EPROTO},
		{name: "one descriptor too few", mutate: same, extra: -1, wantErr: unix.EPROTO},
		{name: "no descriptor", mutate: same, none: true, wantErr: unix.EPROTO},
		{name: "longer than a message: data truncated", mutate: func(m []byte) []byte { return append(m, 0) }, wantErr: unix.EPROTO},
		{name: "shorter than a message", mutate: func(m []byte) []byte { return m[:2] }, wantErr: unix.EPROTO},
		{name: "unknown protocol version", mutate: withByte(0, 0xff), wantErr: unix.EPROTO},
		{name: "protocol version 2", mutate: withByte(0, 2), wantErr: unix.EPROTO},
		{name: "wrong message type", mutate: withByte(1, 'X'), wantErr: unix.EPROTO},
		{
			// Every byte after version and type is non-zero, so the address has no terminating NUL.
			name: "address without a terminating NUL", connOnly: true, wantErr: unix.EPROTO,
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
			if tc.connOnly && rc.name != "RecvConn" {
				continue
			}
			descriptors := rc.fds + tc.extra
			if tc.none {
				descriptors = 0
			}
			if descriptors == 0 && !tc.none {
				continue // "one too few" of a one-descriptor message is "no descriptor"
			}
			t.Run(rc.name+"/"+tc.name, func(t *testing.T) {
				msg := tc.mutate(rc.genuine(t))
				sender, receiving := seqpacketPair(t)
				r, w := pipe(t)
				before := openFDCount(t)

				sendWithDescriptors(t, sender, msg, w, descriptors)
				err := rc.recv(receiving)
				if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("%s with %d descriptors: error %v, want %v", rc.name, descriptors, err, tc.wantErr)
				}
				if after := openFDCount(t); after != before {
					t.Errorf("open descriptors: %d before, %d after receiving", before, after)
				}
				assertNoCopyOfWriteEnd(t, r, w)

				// The pair is still in step: a genuine message after the bad one is accepted.
				_, w2 := pipe(t)
				defer unix.Close(w2)
				sendWithDescriptors(t, sender, rc.genuine(t), w2, rc.fds)
				if err := rc.recv(receiving); err != nil {
					t.Fatalf("genuine message after the rejected one: %v", err)
				}
			})
		}
	}
}
