#!/bin/sh
# deps.sh: make sure this machine has what building and testing socketserver needs.
# Installs missing Debian packages with apt-get when run as root; otherwise says exactly
# what is missing and fails. Usage: scripts/deps.sh [build|test|bench|demo|tcl9]
# Each check tests what it names: a command is on PATH, a file is there, a Tcl package loads.
set -eu

need=${1:-test}
missing_pkgs=""
missing_other=""

want() { # want PACKAGE CHECK-COMMAND...
	pkg=$1; shift
	if ! "$@" >/dev/null 2>&1; then
		missing_pkgs="$missing_pkgs $pkg"
	fi
}

# tcl_package NAME: tclsh loads package NAME. tclsh reading its script from a pipe reports
# an error and still exits 0, so success is the line printed after the package loaded.
tcl_package() {
	printf 'package require %s; puts loaded\n' "$1" | tclsh 2>/dev/null | grep -qx loaded
}

# program NAME: an executable file NAME in a directory of PATH (a shell builtin such as
# kill does not count: Tcl's exec runs the program).
program() {
	for dir in $(echo "$PATH" | tr : ' '); do
		[ -f "$dir/$1" ] && [ -x "$dir/$1" ] && return 0
	done
	return 1
}

command -v go >/dev/null 2>&1 || missing_other="$missing_other go(1.26+:https://go.dev/dl)"
want gcc program gcc
want make program make
want tcl program tclsh # Debian's tclsh (tcl8.6 alone has only tclsh8.6)
want tcl8.6-dev test -f /usr/include/tcl8.6/tcl.h -o -f /usr/include/tcl.h
case $need in
test|bench|demo)
	want tclx8.4 tcl_package Tclx # fork, for the demo's workers and the suite's
	want iproute2 program ss      # listen queues and descriptors of a process
	;;
esac
case $need in
test)
	# What the suite's constraints look for; tests/all.tcl fails a run that skips for any.
	want tcl-thread tcl_package Thread # worker threads
	want tcl-tls tcl_package tls       # tls::import on a received channel
	want openssl program openssl       # the TLS test's throwaway certificate
	want curl program curl             # the HTTP server example's client
	want haproxy program haproxy       # PROXY protocol tests put a real HAProxy in front
	want systemd program systemd-socket-activate # socket activation, as systemd does it
	want procps program kill           # tests kill the processes they started, by pid
	want util-linux program setpriv    # a worker script unreadable by its user
	;;
esac
case $need in
test|bench)
	want strace program strace          # dispatch tests and the syscall count trace
	want tcllib tcl_package "httpd 4.3" # the HTTP server example (tcllib's httpd)
	;;
esac
case $need in
bench) want apache2-utils program ab ;; # the HTTP rows
esac
case $need in
tcl9) # scripts/tcl9.sh: Debian 13's Tcl 9 packages, fetched and linked into a static tclsh9
	want apt dpkg-deb --version
	want libtommath-dev test -f /usr/include/tommath.h
	want zlib1g-dev test -f /usr/include/zlib.h
	;;
esac

if [ -n "$missing_other" ]; then
	echo "deps.sh: missing, install by hand:$missing_other" >&2
	exit 1
fi
[ -z "$missing_pkgs" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: installing:$missing_pkgs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing_pkgs >/dev/null
	exit 0
fi
echo "deps.sh: missing Debian packages:$missing_pkgs" >&2
echo "deps.sh: install them with: sudo apt-get install$missing_pkgs" >&2
exit 1
