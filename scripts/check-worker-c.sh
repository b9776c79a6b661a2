#!/bin/sh
# check-worker-c.sh DIR CFLAGS...: proves that the C in DIR, the code a forked worker may run,
# cannot enter Go. No file there includes _cgo_export.h, and every symbol its objects use is
# defined by one of them, by the C library, or is a Tcl stubs table: so nothing there calls
# a Go export, or a function of the server's side that might. Each file is compiled on its
# own here (with the given flags) and its undefined symbols listed with nm.
set -eu
dir=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if grep -l '_cgo_export\.h' "$dir"/*.c "$dir"/*.h 2>/dev/null; then
	echo "check-worker-c: the files above, in $dir, include _cgo_export.h" >&2
	exit 1
fi
for c in "$dir"/*.c; do
	cc -c "$@" -o "$tmp/$(basename "$c" .c).o" "$c"
done
nm --defined-only -j "$tmp"/*.o | sort -u >"$tmp/defined"
nm -u -j "$tmp"/*.o | sort -u >"$tmp/used"
libc=$(cc -print-file-name=libc.so.6)
nm -D --defined-only -j "$libc" | sed 's/@.*//' | sort -u >"$tmp/libc"
comm -23 "$tmp/used" "$tmp/defined" | comm -23 - "$tmp/libc" |
	grep -v -x -e 'tclStubsPtr' -e 'tclPlatStubsPtr' -e 'tclIntStubsPtr' -e 'tclIntPlatStubsPtr' \
		-e '_GLOBAL_OFFSET_TABLE_' >"$tmp/foreign" || true
if [ -s "$tmp/foreign" ]; then
	echo "check-worker-c: C in $dir uses symbols that are neither its own, the C library's nor Tcl's stubs:" >&2
	sed 's/^/  /' "$tmp/foreign" >&2
	exit 1
fi
echo "check-worker-c: $(ls "$dir"/*.c | wc -l) files in $dir use only each other, the C library and Tcl's stubs"
