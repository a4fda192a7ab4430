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
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
bench_postfix agent build/bench/agent_flip pg
echo "agent flip and install benchmark: $rounds rounds, sizes $sizes, $(nproc) cores, load $(bench_load)${AGENT_FLIP_TLS:+, TLS ($AGENT_FLIP_TLS)}"
"$bench" "$rounds" "$sizes" | grep -v '^\[' 
