#!/bin/bash
# failover.sh: a provider block failing over by itself, from the first
# refusal in the mail log to mail delivered through the healthy relay.
#
#   tests/bench/failover.sh [ROUNDS] [BINDIR] [BENCH]
#   (defaults: 5, bin, build/bench/failover)
#
# Starts a private PostgreSQL (tests/pg.sh) for the controller, then runs
# BENCH (tests/bench/failover.c): ROUNDS rounds of a 10-message burst and
# ROUNDS rounds of one message every 500 ms, each on a fresh private Postfix
# instance whose relay answers 421 [TSS04], with an agent following its
# mail log with the default detector thresholds; time from the first
# refusal to the block, the automatic route, the route applied, and the
# first and last message at the healthy relay. Needs root (private Postfix
# instances). Prints Markdown tables; figures go to BENCHMARKS.md by hand.
# Everything is stopped on exit, pass or fail; KEEP_TMP=1 keeps the files.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-5}
bindir=$(cd "${2:-$here/bin}" && pwd)
bench=${3:-$here/build/bench/failover}
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
bench_postfix failover build/bench/failover pg
echo "failover benchmark: $rounds rounds per shape, default detector thresholds, $(nproc) cores, load $(bench_load)"
"$bench" "$rounds" | grep -v '^\['
echo
echo "load at the end: $(bench_load)"
