#!/bin/sh
# tclconfig.sh TCLSH: prints the tclConfig.sh of the Tcl that TCLSH runs: the one beside it
# (as make tcl9 leaves it in build/tcl9), or the one in that Tcl's library directory.
set -eu
tclsh=$(command -v "$1") || { echo "tclconfig.sh: no tclsh \"$1\"" >&2; exit 1; }
dir=$(dirname "$tclsh")
if [ -f "$dir/tclConfig.sh" ]; then
	echo "$dir/tclConfig.sh"
	exit 0
fi
echo 'puts "[::tcl::pkgconfig get libdir,runtime] [info tclversion]"' | "$tclsh" | {
	read -r libdir version
	for config in "$libdir/tcl$version/tclConfig.sh" "$libdir/tclConfig.sh" "/usr/lib/tcl$version/tclConfig.sh"; do
		if [ -f "$config" ]; then
			echo "$config"
			exit 0
		fi
	done
	echo "tclconfig.sh: no tclConfig.sh for $tclsh (Tcl $version, $libdir): set TCL_CONFIG" >&2
	exit 1
}
