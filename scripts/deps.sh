#!/bin/sh
# deps.sh: make sure this machine has what building and testing socketserver needs.
# Installs missing Debian packages with apt-get when run as root; otherwise says exactly
# what is missing and fails. Usage: scripts/deps.sh [build|test|bench|demo|tcl9]
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

command -v go >/dev/null 2>&1 || missing_other="$missing_other go(1.26+:https://go.dev/dl)"
want gcc command -v gcc
want make command -v make
want tcl8.6 command -v tclsh
want tcl8.6-dev test -f /usr/include/tcl8.6/tcl.h -o -f /usr/include/tcl.h
case $need in
test|bench|demo)
	want tclx8.4 sh -c 'echo "package require Tclx" | tclsh'
	want iproute2 command -v ss
	;;
esac
case $need in
test) want haproxy command -v haproxy ;; # PROXY protocol tests put a real HAProxy in front
esac
case $need in
test|bench) want strace command -v strace ;; # dispatch tests and the syscall count trace
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
	apt-get install -y -q $missing_pkgs >/dev/null
	exit 0
fi
echo "deps.sh: missing Debian packages:$missing_pkgs" >&2
echo "deps.sh: install them with: sudo apt-get install$missing_pkgs" >&2
exit 1
