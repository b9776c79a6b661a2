// Command goecho is the benchmark's upper bound: a minimal Go server for the one-line echo
// protocol of bench/cmd/sockbench. Each connection gets a goroutine; each line read is
// answered with "<pid> <line>". It listens on loopback only and exits when stdin closes or
// after -lifetime, so a benchmark run can never leave it behind.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	lifetime := flag.Duration("lifetime", 10*time.Minute, "exit after this long whatever happens")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "goecho: -addr must be a loopback address")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goecho:", err)
		os.Exit(1)
	}
	fmt.Println("port", ln.Addr().(*net.TCPAddr).Port)
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	time.AfterFunc(*lifetime, func() { os.Exit(0) })
	prefix := []byte(strconv.Itoa(os.Getpid()) + " ")
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(conn, prefix)
	}
}

func serve(conn net.Conn, prefix []byte) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	out := make([]byte, 0, 128)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		out = append(append(out[:0], prefix...), line...)
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}
