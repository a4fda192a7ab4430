#!/bin/bash
# metrics.sh: what one scrape of postrouted's GET /metrics costs as the
# fleet grows (the routing state is read from the database at each scrape).
#
#   tests/bench/metrics.sh [BINDIR]   (default: bin)
#
# Starts a private PostgreSQL (tests/pg.sh), a database, `postrouted
# migrate`, a viewer token and postrouted on a free loopback port; then,
# for each fleet size (METRICS_SIZES, default "20 1000 3000" nodes, with
# 12 providers routed for "*", 8 relays, a node-scoped automatic route on
# each node and an open block on every second node, written straight into
# the tables), times ROUNDS (20) scrapes with curl and prints the median
# and the slowest, the size of the answer and its number of samples.
# Figures go to BENCHMARKS.md by hand. Stops everything on exit.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "${1:-$here/bin}" && pwd)
rounds=${ROUNDS:-20}

# shellcheck source=tests/pg.sh
. "$here/tests/pg.sh"
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
ctl=
bench_start metrics pg
bench_db
port=$((10000 + RANDOM % 20000))
printf '[server]\nlisten = 127.0.0.1:%s\nlog_level = warn\n\n[database]\nconninfo = %s\n' \
	"$port" "host=$PGHOST port=$PGPORT dbname=bench user=postroute" >"$tmp/postrouted.ini"
"$bindir/postrouted" migrate -c "$tmp/postrouted.ini" >"$tmp/migrate.log" 2>&1 ||
	{ cat "$tmp/migrate.log" >&2; exit 1; }
viewer=$("$bindir/postrouted" token create --name bench-viewer --role viewer -c "$tmp/postrouted.ini")
"$bindir/postrouted" -c "$tmp/postrouted.ini" >"$tmp/postrouted.log" 2>&1 &
ctl=$!
for _ in $(seq 250); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	sleep 0.02
done

# fleet N: N server nodes, 12 providers routed for "*" through r1, an
# automatic route of provider (i mod 12) on node i, a block on every
# second node, 8 relays
fleet() {
	psql -X -q -v ON_ERROR_STOP=1 -v n="$1" -d bench >/dev/null <<'SQL'
TRUNCATE blocks;
DELETE FROM routes; DELETE FROM nodes; DELETE FROM relays; DELETE FROM provider_domains;
DELETE FROM providers;
INSERT INTO providers (name) SELECT 'p' || i FROM generate_series(0, 11) i;
INSERT INTO relays (name, nexthop) SELECT 'r' || i, 'smtp:[192.0.2.' || i || ']:25'
    FROM generate_series(1, 8) i;
INSERT INTO nodes (name, role, applied_version, last_status, last_report_at, last_feed_at)
    SELECT 'mx' || i, 'server', 1, 'applied', now(), now() FROM generate_series(1, :n) i;
INSERT INTO routes (provider, scope, relay, origin, reason, actor)
    SELECT 'p' || i, '*', 'r1', 'manual', 'bench', 'bench' FROM generate_series(0, 11) i;
INSERT INTO routes (provider, scope, relay, origin, reason, actor, expires_at)
    SELECT 'p' || (i % 12), 'mx' || i, 'r' || (1 + i % 8), 'auto', 'bench', 'policy',
    now() + interval '1 hour' FROM generate_series(1, :n) i;
INSERT INTO blocks (node, provider, since, class, reporter)
    SELECT 'mx' || i, 'p' || (i % 12), now(), 'reputation', 'mx' || i
    FROM generate_series(2, :n, 2) i;
ANALYZE;
SQL
}

echo "metrics scrape: $(nproc) CPUs, $(uname -sr), PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'), load $(bench_load)"
echo
echo "| nodes | routes | open blocks | samples | bytes | median ms | slowest ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in ${METRICS_SIZES:-20 1000 3000}; do
	fleet "$n"
	times=()
	for _ in $(seq "$rounds"); do
		times+=("$(curl -fsS -H "Authorization: Bearer $viewer" -o "$tmp/scrape.txt" \
			-w '%{time_total}' "http://127.0.0.1:$port/metrics")")
	done
	grep -q '^postroute_state_up 1$' "$tmp/scrape.txt" || { echo "metrics.sh: no state read" >&2; exit 1; }
	samples=$(grep -vc '^#' "$tmp/scrape.txt")
	bytes=$(wc -c <"$tmp/scrape.txt")
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	med=$(echo "$sorted" | awk -v n="$rounds" 'NR == int((n + 1) / 2) { printf "%.1f", $1 * 1000 }')
	max=$(echo "$sorted" | tail -n 1 | awk '{ printf "%.1f", $1 * 1000 }')
	trunc=$(awk '/^postroute_state_truncated / { print $2 }' "$tmp/scrape.txt")
	[ "$trunc" = 0 ] || trunc=" truncated at 2000 rows"
	echo "| $n | $((12 + n)) | $((n / 2)) | $samples | $bytes | $med | $max |${trunc#0}"
done
