#!/bin/bash
# dbfailover.sh: the controller following a promoted standby, from the
# primary's loss to the next successful flip and to the agent applying it.
#
#   tests/bench/dbfailover.sh [ROUNDS] [BINDIR] [BENCH]
#   (defaults: 5, bin, build/bench/dbfailover)
#
# Runs BENCH (tests/bench/dbfailover.c): ROUNDS rounds, each with a new
# PostgreSQL primary and streaming standby on loopback ports (initdb,
# pg_basebackup -R, as tests/pg.sh runs its cluster), the real controller on
# the multi-host conninfo and a real agent on a private Postfix instance;
# the primary is stopped with -m immediate and the standby promoted at once.
# Needs root (private Postfix instances, servers run as postgres). Prints
# Markdown tables; figures go to BENCHMARKS.md by hand. Everything is
# stopped on exit, pass or fail; KEEP_TMP=1 keeps the files.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-5}
bindir=$(cd "${2:-$here/bin}" && pwd)
bench=${3:-$here/build/bench/dbfailover}
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
bench_postfix dbfailover build/bench/dbfailover   # no cluster: the rounds start their own
echo "database failover benchmark: $rounds rounds, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), $(nproc) cores, load $(bench_load)"
"$bench" "$rounds" | grep -v '^\['
echo
echo "load at the end: $(bench_load)"
