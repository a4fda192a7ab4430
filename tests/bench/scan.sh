#!/bin/bash
# scan.sh: log scan throughput of "postroute-agent scan".
#
#   tests/bench/scan.sh [LINES] [BINDIR]     (defaults: 3000000, bin)
#
# Writes a synthetic mixed Postfix log under a temp dir (both timestamp
# formats; about 40% delivery results of which ~85% sent, the rest deferred
# and bounced replies of every provider in deploy/providers.conf and
# connection failures; the other 60% smtpd/cleanup/qmgr lines as in a real
# log), then times, best of 3, on one core:
#   grep -c status=deferred      (the floor: reading the file at all)
#   postroute-agent scan > /dev/null
# and prints lines per second for each. Figures go to BENCHMARKS.md by hand.
set -eu

lines=${1:-3000000}
bindir=${2:-bin}
here=$(cd "$(dirname "$0")/../.." && pwd)
agent=$(cd "$bindir" && pwd)/postroute-agent
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
bench_tmp scan
trap 'rm -rf "$tmp"' EXIT
log=$tmp/maillog

bench_maillog "$lines" "$log"

size=$(stat -c %s "$log")
echo "log: $lines lines, $((size / 1048576)) MiB in $log"
cat "$log" >/dev/null   # warm the page cache

read -r gw gc _ < <(bench_best taskset -c 0 grep -c status=deferred "$log")
read -r aw ac _ < <(cd "$here" && bench_best taskset -c 0 "$agent" scan "$log")
out=$(cd "$here" && "$agent" scan "$log" | awk -F'"type":"' '{ split($2, a, "\""); n[a[1]]++ } END { printf "%d deliveries, %d events", n["delivery"], n["block"] + n["clear"] + n["volume"] }')
echo "load average: $(bench_load) on $(nproc) cores"
awk -v l="$lines" -v gw="$gw" -v gc="$gc" -v aw="$aw" -v ac="$ac" -v o="$out" 'BEGIN {
	printf "%-26s %8s %8s %14s %14s\n", "", "wall s", "cpu s", "lines/s wall", "lines/s cpu"
	printf "%-26s %8.3f %8.3f %14.0f %14.0f\n", "grep -c status=deferred", gw, gc, l / gw, l / gc
	printf "%-26s %8.3f %8.3f %14.0f %14.0f  (%s)\n", "postroute-agent scan", aw, ac, l / aw, l / ac, o
}'
