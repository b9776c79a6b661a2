#!/bin/sh
# tcl9.sh DIR: sets up Tcl 9.0 in DIR on a Debian 12 machine, which has none, without touching
# the system: Debian 13's binary packages are fetched with a private apt configuration and
# unpacked into DIR/root; DIR/tclsh9 is a Tcl_Main program linked statically against their
# libtcl9.0.a (their libtcl9.0.so needs a newer glibc than Debian 12's), and DIR/tclConfig.sh
# is theirs with its paths moved into DIR/root, for building extensions. DIR/tclsh9 finds its
# library (TCL_LIBRARY), tcltest (a Tcl module there) and Thread 3.0 without settings.
set -eu
scripts=$(cd "$(dirname "$0")" && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
root=$dir/root
apt=$dir/apt
packages="tcl9.0 libtcl9.0 tcl9.0-dev tcl9.0-thread"

if [ -x "$dir/tclsh9" ] && [ -f "$dir/tclConfig.sh" ]; then
	exit 0
fi
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
	>"$apt/sources.list"
set -- -q -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- \
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Dir::State::status=/dev/null
# apt drops root to _apt for downloads, which may not write here.
[ "$(id -u)" = 0 ] && set -- "$@" -o APT::Sandbox::User=root
echo "tcl9.sh: fetching $packages (Debian 13) into $apt"
apt-get "$@" update >/dev/null
# shellcheck disable=SC2086
(cd "$apt" && apt-get "$@" download $packages >/dev/null)
for deb in "$apt"/*.deb; do
	dpkg-deb -x "$deb" "$root"
done

library=$root/usr/lib/tcl9.0
packages_dir=$root/usr/lib/tcltk/$(gcc -dumpmachine)
cc -O2 -I"$root/usr/include/tcl9.0" -DTCL9_LIBRARY="\"$library\"" -DTCL9_PACKAGES="\"$packages_dir\"" \
	-o "$dir/tclsh9" "$scripts/tclsh9.c" "$root/usr/lib/$(gcc -dumpmachine)/libtcl9.0.a" \
	-ltommath -lz -lm -ldl -lpthread
sed -e "s|'/usr/|'$root/usr/|g" -e "s|-L/usr/|-L$root/usr/|g" -e "s|-I/usr/|-I$root/usr/|g" \
	"$root/usr/lib/$(gcc -dumpmachine)/tcl9.0/tclConfig.sh" >"$dir/tclConfig.sh"
echo "tcl9.sh: $dir/tclsh9 runs Tcl $(echo 'puts [info patchlevel]' | "$dir/tclsh9")"
