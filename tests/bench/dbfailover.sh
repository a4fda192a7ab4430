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
[ -x "$bench" ] || { echo "dbfailover.sh: $bench is missing: make build/bench/dbfailover" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "dbfailover.sh: run as root (private Postfix instances)" >&2; exit 1; }

# shellcheck source=tests/pg.sh
. "$here/tests/pg.sh"     # PGBIN; the rounds start their own clusters
tmp=$(mktemp -d /tmp/postroute-bench-dbfailover.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	if [ -n "${KEEP_TMP:-}" ]; then echo "dbfailover.sh: files kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export POSTROUTE_TMP=$tmp POSTROUTE_BINDIR=$bindir POSTROUTE_SRCDIR=$here
echo "database failover benchmark: $rounds rounds, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" "$rounds" | grep -v '^\['
echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
