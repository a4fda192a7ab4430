#!/bin/bash
# report.sh: "postroute-agent scan --report" on a large log: time and memory.
#
#   tests/bench/report.sh [LINES] [BINDIR]     (defaults: 1000000, bin)
#
# Writes a synthetic mixed Postfix log of LINES lines under a temp dir (the
# mix of tests/bench/scan.sh: both timestamp formats, 40% delivery results
# of which ~85% sent, the rest the failures of every provider, connection
# failures and a Yahoo block episode on relay03; 60% smtpd/cleanup/qmgr
# lines), plus replies no rule knows: one refusal whose IPs and queue ids
# vary (one masked reply per provider) and one with a word out of 20,000,
# so that the unknown-reply table overflows and evicts. Then, best of 3 on
# one core (taskset -c 0), wall and CPU seconds and the maximum resident
# set (GNU time %M) of:
#   postroute-agent scan            > file   (the JSON lines, for comparison)
#   postroute-agent scan --report   > file
#   postroute-agent scan --report --json > file
# and the same --report on the first fifth of the log, to show that memory
# does not grow with the log. Prints the report's summary and unknown
# section. Exits 1 when --report's RSS is over 64 MB. Figures go to
# BENCHMARKS.md by hand.
set -eu

lines=${1:-1000000}
bindir=${2:-bin}
here=$(cd "$(dirname "$0")/../.." && pwd)
agent=$(cd "$bindir" && pwd)/postroute-agent
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
bench_tmp report
trap 'rm -rf "$tmp"' EXIT
log=$tmp/maillog

bench_maillog "$lines" "$log" unknown

size=$(stat -c %s "$log")
head -n $((lines / 5)) "$log" >"$tmp/fifth"
echo "log: $lines lines, $((size / 1048576)) MiB"
cat "$log" "$tmp/fifth" >/dev/null   # warm the page cache

cd "$here"
read -r lw lc lm < <(bench_best taskset -c 0 "$agent" scan "$log")
read -r rw rc rm < <(bench_best taskset -c 0 "$agent" scan --report "$log")
cp "$tmp/out" "$tmp/report.txt"
read -r jw jc jm < <(bench_best taskset -c 0 "$agent" scan --report --json "$log")
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("json: one document, %d providers, %d blocks, unknown %d distinct, %d evicted" % (len(d["providers"]), len(d["blocks"]), d["unknown"]["distinct"], d["unknown"]["evicted"]))' "$tmp/out"
read -r fw fc fm < <(bench_best taskset -c 0 "$agent" scan --report "$tmp/fifth")
echo "load average: $(bench_load) on $(nproc) cores"
awk -v l="$lines" -v lw="$lw" -v lc="$lc" -v lm="$lm" -v rw="$rw" -v rc="$rc" -v rm="$rm" \
    -v jw="$jw" -v jc="$jc" -v jm="$jm" -v fw="$fw" -v fc="$fc" -v fm="$fm" 'BEGIN {
	printf "%-34s %8s %8s %14s %10s\n", "", "wall s", "cpu s", "lines/s cpu", "max RSS MB"
	printf "%-34s %8.3f %8.3f %14.0f %10.1f\n", "scan (JSON lines)", lw, lc, l / lc, lm / 1024
	printf "%-34s %8.3f %8.3f %14.0f %10.1f\n", "scan --report", rw, rc, l / rc, rm / 1024
	printf "%-34s %8.3f %8.3f %14.0f %10.1f\n", "scan --report --json", jw, jc, l / jc, jm / 1024
	printf "%-34s %8.3f %8.3f %14.0f %10.1f\n", "scan --report, first fifth", fw, fc, l / 5 / fc, fm / 1024
}'
sed -n '1,4p' "$tmp/report.txt"
sed -n '/^Unknown replies/,$p' "$tmp/report.txt" | head -8
if [ "$rm" -gt 65536 ]; then
	echo "scan --report: max RSS $((rm / 1024)) MB, over 64 MB" >&2
	exit 1
fi
