#!/bin/bash
# agent.sh: the agent on real Postfix: flip latency and install cost by size.
#
#   tests/bench/agent.sh [ROUNDS] [SIZES] [BINDIR] [BENCH]
#   (defaults: 10, 10,1000,100000, bin, build/bench/agent_flip)
#
# Starts a private PostgreSQL (tests/pg.sh) for the controller, then runs
# BENCH (tests/bench/agent_flip.c): ROUNDS flips with two agents on private
# Postfix instances (time to every agent applied, to the first and to the
# last deferred message at the new relay), and `postroute-agent --once` for
# maps of each size in SIZES and each map type (the agent's step durations).
# AGENT_FLIP_TLS=1 (https) or =mutual (https with client certificates) is
# passed on to BENCH; SIZES "none" skips the install-cost part.
# Needs root (private Postfix instances). Prints Markdown tables; figures go
# to BENCHMARKS.md by hand. Everything is stopped on exit, pass or fail.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-10}
sizes=${2:-10,1000,100000}
bindir=$(cd "${3:-$here/bin}" && pwd)
bench=${4:-$here/build/bench/agent_flip}
[ -x "$bench" ] || { echo "agent.sh: $bench is missing: make build/bench/agent_flip" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "agent.sh: run as root (private Postfix instances)" >&2; exit 1; }

# shellcheck source=tests/pg.sh
. "$here/tests/pg.sh"
tmp=$(mktemp -d /tmp/postroute-bench-agent.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	pg_stop
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_start "$tmp/pg" || { echo "agent.sh: cannot start PostgreSQL" >&2; exit 1; }
export POSTROUTE_TMP=$tmp POSTROUTE_BINDIR=$bindir POSTROUTE_SRCDIR=$here
echo "agent flip and install benchmark: $rounds rounds, sizes $sizes, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)${AGENT_FLIP_TLS:+, TLS ($AGENT_FLIP_TLS)}"
"$bench" "$rounds" "$sizes" | grep -v '^\[' 
