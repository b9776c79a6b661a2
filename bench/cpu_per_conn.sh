#!/bin/bash
# cpu_per_conn.sh NAME CONNECTIONS -- SERVER-COMMAND...
#
# Where the time goes: runs one bench server (a script of bench/servers, which prints
# "port N" when ready), drives CONNECTIONS oneshot connections at concurrency 32 with
# sockbench, and reports the CPU time (user+system, from /proc) per connection of the
# server process, of its workers, and of the load generator. On a machine whose cores are
# shared by all of them, conn/s cannot exceed cores / (sum of those times).
# Needs `make bench-tools` (it uses build/bin/sockbench). Loopback only.
set -eu
name=$1 n=$2; shift 3
bin=${BENCH_BIN:-build/bin}
coproc SRV { "$@"; }
while read -r key port _ <&"${SRV[0]}"; do [ "$key" = port ] && break; done
server=$(pgrep -P "$SRV_PID" | head -1 || true)
[ -n "$server" ] || server=$SRV_PID
workers=$(pgrep -P "$server" | tr '\n' ' ' || true)
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
s0=$(ticks "$server"); w0=$(ticks $workers)
/usr/bin/time -f "%U %S" -o "${TMPDIR:-/tmp}/cpu_per_conn.time" "$bin/sockbench" -addr "127.0.0.1:$port" \
	-mode oneshot -concurrency 32 -connections "$n" -duration 120s -linger0 -json > "${TMPDIR:-/tmp}/cpu_per_conn.json"
s1=$(ticks "$server"); w1=$(ticks $workers)
exec {SRV[1]}>&-
wait "$SRV_PID" 2>/dev/null || true
read -r cu cs < "${TMPDIR:-/tmp}/cpu_per_conn.time"
tick_us=$((1000000 / $(getconf CLK_TCK)))
awk -v name="$name" -v n="$n" -v s=$(((s1 - s0) * tick_us)) -v w=$(((w1 - w0) * tick_us)) -v cu="$cu" -v cs="$cs" \
	-v rate="$(sed -n 's/.*"conns_per_sec": *\([0-9.]*\).*/\1/p' "${TMPDIR:-/tmp}/cpu_per_conn.json")" 'BEGIN {
	c = (cu + cs) * 1e6 / n
	printf "| %s | %.0f | %.1f | %.1f | %.1f | %.1f |\n", name, rate, s / n, w / n, c, s / n + w / n + c
}'
