package server

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"socketserver/internal/workertest"
)

// exhaustDescriptors makes every new descriptor fail with EMFILE: it lowers the soft
// RLIMIT_NOFILE to just above the highest descriptor open, then fills every free number
// below it. Only the soft limit changes, so raising it back cannot be refused; the returned
// function (also run at cleanup, should the test stop early) puts everything back.
//
// No test in this package runs in parallel, so nothing else in the process needs a
// descriptor meanwhile (the Go runtime's own netpoller already has its one).
func exhaustDescriptors(t *testing.T) (restore func()) {
	t.Helper()
	var original unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &original); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	filler, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/null: %v", err)
	}
	highest := highestOpenFD(t)
	fillers := []int{filler}
	restored := false
	restore = func() {
		if restored {
			return
		}
		restored = true
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &original); err != nil {
			t.Errorf("restoring RLIMIT_NOFILE: %v", err)
		}
		for _, fd := range fillers {
			unix.Close(fd)
		}
	}
	t.Cleanup(restore)

	lowered := original
	lowered.Cur = uint64(highest + 1)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	for {
		fd, err := unix.FcntlInt(uintptr(filler), unix.F_DUPFD_CLOEXEC, 0)
		if errors.Is(err, unix.EMFILE) {
			return restore
		}
		if err != nil {
			t.Fatalf("filling descriptor numbers: %v", err)
		}
		fillers = append(fillers, fd)
	}
}

func highestOpenFD(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("reading /proc/self/fd: %v", err)
	}
	highest := 0
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, fd)
		}
	}
	return highest
}

// Out of descriptors, accept(2) fails with EMFILE: the server reports it, pauses instead of
// spinning on the still-readable listener, and once descriptors are free again accepts the
// waiting connection and hands it over; nothing is lost.
func TestAcceptOutOfDescriptorsPausesAndRecovers(t *testing.T) {
	s, rec := listen(t, loopback())
	w := registerWorker(t, s)
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})

	// The client's socket is made first: while descriptors are exhausted, nothing can be.
	clientFD, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	clientFile := os.NewFile(uintptr(clientFD), "client")
	defer clientFile.Close()

	restore := exhaustDescriptors(t)
	err = unix.Connect(clientFD, &unix.SockaddrInet4{Port: s.Port(), Addr: [4]byte{127, 0, 0, 1}})
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		t.Fatalf("connect: %v", err)
	}
	// The first failure is reported at once; the next report comes a second later and
	// counts the failures in between. Pausing 10ms, 20ms, 40ms... makes at most six of them
	// (fewer if the dispatcher is slow to wake); retrying without a pause makes thousands.
	first, second := rec.Next(t, eventTimeout), rec.Next(t, eventTimeout)
	accepted := s.Info().Accepted
	restore()

	wantCode := []string{"SOCKETSERVER", "ACCEPT", "EMFILE", unix.EMFILE.Error()}
	for _, rep := range []report{first, second} {
		if !slices.Equal(rep.Code, wantCode) || !strings.Contains(rep.Msg, "; accepting again in ") {
			t.Errorf("report %q %q, want code %q and a pause", rep.Msg, rep.Code, wantCode)
		}
	}
	if missed := suppressedCount(t, second.Msg); missed > 10 {
		t.Errorf("%d failures in the second between reports, want a handful: %q", missed, second.Msg)
	}
	if accepted != 0 {
		t.Errorf("accepted %d connections while out of descriptors", accepted)
	}

	conn, peer := w.recvConn()
	client, err := net.FileConn(clientFile)
	if err != nil {
		t.Fatalf("FileConn: %v", err)
	}
	defer client.Close()
	assertHandedOver(t, client, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
}

// suppressedCount reads N from a report's "(and N more since the last report)";
// a report without it stands for no failure but its own.
func suppressedCount(t *testing.T, msg string) int {
	t.Helper()
	_, after, found := strings.Cut(msg, "(and ")
	if !found {
		return 0
	}
	n, err := strconv.Atoi(strings.SplitN(after, " ", 2)[0])
	if err != nil {
		t.Fatalf("report %q: unreadable count of failures: %v", msg, err)
	}
	return n
}

// Out of descriptors while connections are held for their first bytes: the oldest held one
// gives its descriptor back (closed, counted as silent) so that the connection waiting in
// the kernel is accepted, instead of accepting pausing until the held ones' deadlines.
func TestOutOfDescriptorsHeldConnectionsMakeRoom(t *testing.T) {
	o := loopback()
	o.WaitData = 60000 // a minute: no deadline passes during the test
	s, rec := listen(t, o)
	w := registerWorker(t, s)
	w.ready()
	waitCounts(t, s, counts{Workers: 1, Ready: 1})
	for i := range 3 {
		dial(t, "127.0.0.1", s.Port())
		waitCounts(t, s, counts{Workers: 1, Ready: 1, Accepted: uint64(i + 1)})
	}
	clientFD, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	clientFile := os.NewFile(uintptr(clientFD), "client")
	defer clientFile.Close()
	time.Sleep(makeRoomAfter) // the held ones past the time before which none makes room

	restore := exhaustDescriptors(t)
	if err := unix.Connect(clientFD, &unix.SockaddrInet4{Port: s.Port(), Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if _, err := unix.Write(clientFD, []byte("request")); err != nil {
		t.Fatalf("write: %v", err)
	}
	// It is sent as soon as its bytes arrive (sending needs no new descriptor), and counted.
	waitCounts(t, s, counts{Workers: 1, Ready: 0, Accepted: 4, Dispatched: 1, Silent: 1})
	rep := rec.Next(t, eventTimeout)
	holdsFor(t, s, counts{Workers: 1, Ready: 0, Accepted: 4, Dispatched: 1, Silent: 1}) // one gave way, no more
	restore()
	if want := []string{"SOCKETSERVER", "WAITDATA", "127.0.0.1"}; !slices.Equal(rep.Code, want) ||
		!strings.Contains(rep.Msg, "no data yet, and the server is out of descriptors") {
		t.Errorf("report %q %q, want code %q", rep.Msg, rep.Code, want)
	}
	conn, _ := w.recvConn()
	expectRead(t, conn, "request")
	waitCounts(t, s, counts{Workers: 1, Accepted: 4, Dispatched: 1, Silent: 1})
}

// A registration carries three descriptors, and the server takes all three or none: with
// room for none, or for only two of them, the kernel's partial delivery is undone (nothing
// kept), the registration stays queued in the registration pair, the server reports it and
// pauses, and once descriptors are free it registers the worker, which then serves. That the
// server's end of the worker's pair has no stray copy shows when the server closes: the
// worker reads end of file.
func TestRegistrationOutOfDescriptorsStaysQueued(t *testing.T) {
	for _, free := range []int{0, 2} {
		t.Run(strconv.Itoa(free)+" free", func(t *testing.T) {
			s, rec := listen(t, loopback())
			_, registration := workertest.Lookup(s.Port())
			msg, fds, own, lifeline := registrationMessage(t)
			w := newTestWorker(t, own, lifeline, unix.Close)
			var spare []int
			for range free {
				fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
				must(t, err)
				spare = append(spare, fd)
			}

			restore := exhaustDescriptors(t)
			for _, fd := range spare {
				unix.Close(fd) // exactly free numbers left
			}
			if err := unix.Sendmsg(registration, msg, unix.UnixRights(fds...), nil, 0); err != nil {
				restore()
				t.Fatalf("sendmsg: %v", err)
			}
			rep := rec.Next(t, eventTimeout)
			holdsFor(t, s, counts{})
			restore()
			for _, fd := range fds {
				unix.Close(fd) // the copies in flight are the server's to take
			}
			if want := []string{"SOCKETSERVER", "REGISTER", "EMFILE"}; len(rep.Code) < 3 || !slices.Equal(rep.Code[:3], want) {
				t.Errorf("report %q %q, want a code starting %q", rep.Msg, rep.Code, want)
			}

			waitCounts(t, s, counts{Workers: 1})
			serveOne(t, s, w)
			closeWithin(t, s)
			w.assertServerGone()
		})
	}
}

// registrationMessage is a genuine REGISTER, as WorkerRegister sends it, caught on a pair of
// the test's own: its bytes and the three descriptors it carried (for the test to send on),
// and what the worker kept.
func registrationMessage(t *testing.T) (msg []byte, fds []int, own, lifeline int) {
	t.Helper()
	sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(sv[0])
	defer unix.Close(sv[1])
	own, lifeline, err = workertest.Register(sv[0])
	must(t, err)
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(sv[1], buf, oob, unix.MSG_CMSG_CLOEXEC)
	must(t, err)
	cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	must(t, err)
	if len(cmsgs) != 1 {
		t.Fatalf("REGISTER carried %d control messages, want 1", len(cmsgs))
	}
	fds, err = unix.ParseUnixRights(&cmsgs[0])
	must(t, err)
	if len(fds) != 3 {
		t.Fatalf("REGISTER carried %d descriptors, want 3", len(fds))
	}
	return buf[:n], fds, own, lifeline
}

// A worker dies with a connection unread while the server is out of descriptors: the
// connection stays in the dead worker's pair (reported, TAKEBACK EMFILE) and reaches another
// worker once descriptors are free; nothing is lost.
func TestTakeBackOutOfDescriptorsWaitsAndRecovers(t *testing.T) {
	s, rec := listen(t, loopback())
	dying, other := registerWorker(t, s), registerWorker(t, s)
	dying.ready()
	waitCounts(t, s, counts{Workers: 2, Ready: 1})
	client := dial(t, "127.0.0.1", s.Port())
	defer client.Close()
	dying.waitUnread(1)
	other.ready()
	waitCounts(t, s, counts{Workers: 2, Ready: 1, Accepted: 1, Dispatched: 1})

	// The dying worker's descriptors go to a child process, so that its death frees none of
	// this process's descriptors.
	pairEnd, lifeline := os.NewFile(uintptr(dying.fd), "pair"), os.NewFile(uintptr(dying.lifeline), "lifeline")
	holder := exec.Command("sleep", "60")
	holder.ExtraFiles = []*os.File{pairEnd, lifeline}
	must(t, holder.Start())
	dying.closed = true
	pairEnd.Close()
	lifeline.Close()

	restore := exhaustDescriptors(t)
	holder.Process.Kill()
	// (The server may take it back before restore: closing the dead worker's other two
	// descriptors made room.)
	rep := rec.Next(t, eventTimeout)
	restore()
	holder.Wait()

	if want := []string{"SOCKETSERVER", "TAKEBACK", "EMFILE"}; !slices.Equal(rep.Code, want) {
		t.Errorf("report %q %q, want code %q", rep.Msg, rep.Code, want)
	}
	conn, peer := other.recvConn()
	defer conn.Close()
	assertHandedOver(t, client, conn, peer)
	waitCounts(t, s, counts{Workers: 1, Accepted: 1, Dispatched: 1})
}
