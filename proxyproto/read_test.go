//go:build linux

package proxyproto

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A transport gives the server side of a fresh connection as a raw
// descriptor, and the peer's side to write to.
type transport struct {
	name string
	open func(t *testing.T) (fd int, peer io.WriteCloser)
}

var transports = []transport{
	{"unix socketpair, blocking fd", socketPair},
	{"TCP loopback, non-blocking fd", tcpLoopback},
}

func socketPair(t *testing.T) (int, io.WriteCloser) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fds[0]) })
	peer := os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { peer.Close() })
	return fds[0], peer
}

func tcpLoopback(t *testing.T) (int, io.WriteCloser) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	peer, err := net.Dial("tcp", listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	server, err := listener.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	file, err := server.(*net.TCPConn).File() // a duplicate descriptor
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() }) // also keeps file from being finalized
	fd := int(file.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return fd, peer
}

// send writes pieces to peer with a pause before each, then closes peer if
// asked. The returned channel is closed once it is done.
func send(t *testing.T, peer io.WriteCloser, pieces []string, pause time.Duration, closeAfter bool) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, piece := range pieces {
			time.Sleep(pause)
			if _, err := io.WriteString(peer, piece); err != nil {
				t.Errorf("writing %q: %v", piece, err)
				return
			}
		}
		if closeAfter {
			peer.Close()
		}
	}()
	return done
}

// readToEOF reads fd until the peer's close, polling briefly when it is
// non-blocking.
func readToEOF(t *testing.T, fd int) []byte {
	var all []byte
	buf := make([]byte, 4096)
	for giveUp := time.Now().Add(5 * time.Second); time.Now().Before(giveUp); {
		n, err := syscall.Read(fd, buf)
		switch {
		case err == syscall.EAGAIN || err == syscall.EINTR:
			time.Sleep(time.Millisecond)
		case err != nil:
			t.Fatalf("reading application data: %v", err)
		case n == 0:
			return all
		default:
			all = append(all, buf[:n]...)
		}
	}
	t.Fatal("no EOF after 5s")
	return nil
}

// splitAt cuts s at the given offsets.
func splitAt(s string, cuts ...int) []string {
	var pieces []string
	last := 0
	for _, cut := range cuts {
		pieces = append(pieces, s[last:cut])
		last = cut
	}
	return append(pieces, s[last:])
}

func TestReadHeaderLeavesApplicationData(t *testing.T) {
	const appData = "HELLO, SERVER\r\n"
	v1 := validV1Cases[0]
	v2 := validV2Cases[1] // with TLVs
	v1Stream, v2Stream := string(v1.header)+appData, string(v2.header)+appData
	everyByte := make([]int, len(v1Stream)-1)
	for i := range everyByte {
		everyByte[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		pieces []string
		want   Header
	}{
		{"v1 at once", []string{v1Stream}, v1.want},
		{"v2 at once", []string{v2Stream}, v2.want},
		{"v1 in pieces", splitAt(v1Stream, 4, 20, len(v1.header)-1, len(v1.header)+3), v1.want},
		{"v2 in pieces", splitAt(v2Stream, 5, 14, 15, 30, len(v2.header)+1), v2.want},
		{"v1 byte by byte", splitAt(v1Stream, everyByte...), v1.want},
	} {
		for _, tr := range transports {
			t.Run(tc.name+"/"+tr.name, func(t *testing.T) {
				fd, peer := tr.open(t)
				done := send(t, peer, tc.pieces, time.Millisecond, true)
				got, err := ReadHeader(fd, time.Now().Add(5*time.Second))
				if err != nil {
					t.Fatalf("ReadHeader: %v", err)
				}
				if got != tc.want {
					t.Errorf("ReadHeader = %+v, want %+v", got, tc.want)
				}
				if rest := readToEOF(t, fd); string(rest) != appData {
					t.Errorf("after the header fd holds %q, want %q", rest, appData)
				}
				<-done
			})
		}
	}
}

func TestReadHeaderTimeout(t *testing.T) {
	const wait = 200 * time.Millisecond
	for _, tc := range []struct {
		name   string
		pieces []string
	}{
		{"nothing sent", nil},
		{"header cut short", []string{"PROXY TCP4 192.0.2.1"}},
		{"header trickling", []string{"PROXY ", "TCP4 ", "192.0.2.1 ", "198.51.100.7 ", "5"}},
	} {
		for _, tr := range transports {
			t.Run(tc.name+"/"+tr.name, func(t *testing.T) {
				fd, peer := tr.open(t)
				done := send(t, peer, tc.pieces, 30*time.Millisecond, false)
				start := time.Now()
				cpuBefore := cpuTime(t)
				_, err := ReadHeader(fd, start.Add(wait))
				elapsed, cpu := time.Since(start), cpuTime(t)-cpuBefore
				if err != ErrTimeout || errors.Is(err, ErrMalformed) {
					t.Fatalf("ReadHeader error = %v, want ErrTimeout", err)
				}
				if elapsed < wait || elapsed > 2*time.Second {
					t.Errorf("ReadHeader gave up after %v, want just after %v", elapsed, wait)
				}
				// A partial header left queued would keep fd readable and
				// make the wait a busy loop burning the whole 200ms.
				if cpu > wait/2 {
					t.Errorf("ReadHeader used %v of CPU waiting %v", cpu, elapsed)
				}
				<-done
			})
		}
	}
}

// cpuTime is the CPU time the test process has used so far.
func cpuTime(t *testing.T) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		t.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func TestReadHeaderPeerClosesEarly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pieces []string
	}{
		{"nothing sent", nil},
		{"v1 cut short", []string{"PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r"}},
		{"v2 cut short", []string{string(validV2Cases[0].header[:20])}},
	} {
		for _, tr := range transports {
			t.Run(tc.name+"/"+tr.name, func(t *testing.T) {
				fd, peer := tr.open(t)
				done := send(t, peer, tc.pieces, 10*time.Millisecond, true)
				_, err := ReadHeader(fd, time.Now().Add(5*time.Second))
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "connection closed before PROXY header complete") {
					t.Fatalf("ReadHeader error = %v, want the connection-closed error wrapping ErrMalformed", err)
				}
				<-done
			})
		}
	}
}

func TestReadHeaderMalformed(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			fd, peer := tr.open(t)
			done := send(t, peer, []string{"GET / HTTP/1.1\r\n"}, 0, false)
			_, err := ReadHeader(fd, time.Now().Add(5*time.Second))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "no PROXY header") {
				t.Fatalf("ReadHeader error = %v, want one wrapping ErrMalformed", err)
			}
			<-done
		})
	}
}

func TestReadHeaderZeroDeadlineWaits(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			fd, peer := tr.open(t)
			header := validV2Cases[0]
			done := send(t, peer, []string{string(header.header)}, 50*time.Millisecond, true)
			got, err := ReadHeader(fd, time.Time{})
			if err != nil || got != header.want {
				t.Fatalf("ReadHeader = %+v, %v; want %+v", got, err, header.want)
			}
			if rest := readToEOF(t, fd); len(rest) != 0 {
				t.Errorf("after the header fd holds %q, want nothing", rest)
			}
			<-done
		})
	}
}

func TestReadHeaderBadDescriptor(t *testing.T) {
	file, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	_, err = ReadHeader(int(file.Fd()), time.Now().Add(time.Second))
	if !errors.Is(err, syscall.ENOTSOCK) {
		t.Errorf("ReadHeader on a file: error = %v, want ENOTSOCK", err)
	}
}
