#!/bin/bash
# feed.sh: feed fan-out of postrouted, and PostgreSQL LISTEN/NOTIFY beside it.
#
#   tests/bench/feed.sh [BINDIR] [BENCH]   (defaults: bin, build/bench/feed_fanout)
#
# Starts a private PostgreSQL (tests/pg.sh, max_connections raised for the
# LISTEN comparison), a database, `postrouted migrate`, an admin token and
# postrouted itself on a free loopback port with its default [server]
# settings, then runs BENCH (tests/bench/feed_fanout.c) against it: N
# waiting feeds, one route change, time until every waiter has the new
# version, for N = 20, 1000 and 5000; then N LISTEN connections and one
# NOTIFY for N = 20 and 1000. FEED_SIZES, LISTEN_SIZES and ROUNDS override
# the defaults. Prints Markdown tables; figures go to BENCHMARKS.md by hand.
# The controller and PostgreSQL are stopped on exit, pass or fail.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "${1:-$here/bin}" && pwd)
bench=${2:-$here/build/bench/feed_fanout}
[ -x "$bench" ] || { echo "feed.sh: $bench is missing: make build/bench/feed_fanout" >&2; exit 1; }

# Descriptors: the controller and this benchmark each hold one per waiter
# (feed_fanout checks the controller's limit against the largest N).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# shellcheck source=tests/pg.sh
. "$here/tests/pg.sh"
tmp=$(mktemp -d /tmp/postroute-bench-feed.XXXXXX)
chmod 755 "$tmp"
ctl=
cleanup() {
	if [ -n "$ctl" ] && kill -0 "$ctl" 2>/dev/null; then
		kill -TERM "$ctl" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$ctl" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$ctl" 2>/dev/null || true
		wait "$ctl" 2>/dev/null || true
	fi
	pg_stop
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

POSTROUTE_PG_EXTRA_OPTS="-c max_connections=1200 ${POSTROUTE_PG_EXTRA_OPTS:-}" \
	pg_start "$tmp/pg" || { echo "feed.sh: cannot start PostgreSQL" >&2; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "CREATE ROLE postroute LOGIN" -c "CREATE DATABASE bench OWNER postroute" >/dev/null

# postrouted on a free loopback port below the ephemeral range (the
# benchmark's own 5,000 client connections take ephemeral ports); another
# port when the one picked is taken after all
conninfo="host=$PGHOST port=$PGPORT dbname=bench user=postroute"
port=
for _ in $(seq 10); do
	port=$((10000 + RANDOM % 20000))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
	cat >"$tmp/postrouted.ini" <<-EOF
	[server]
	listen = 127.0.0.1:$port
	log_level = warn
	; every waiter of the bench comes from 127.0.0.1
	max_connections_per_ip = 0

	[database]
	conninfo = $conninfo
	EOF
	if [ -z "${admin:-}" ]; then
		"$bindir/postrouted" migrate -c "$tmp/postrouted.ini" >"$tmp/migrate.log" 2>&1 ||
			{ cat "$tmp/migrate.log" >&2; exit 1; }
		admin=$("$bindir/postrouted" token create --name bench-admin --role admin -c "$tmp/postrouted.ini")
	fi
	"$bindir/postrouted" -c "$tmp/postrouted.ini" >"$tmp/postrouted.log" 2>&1 &
	ctl=$!
	for _ in $(seq 250); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
		kill -0 "$ctl" 2>/dev/null || break
		sleep 0.02
	done
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	kill "$ctl" 2>/dev/null || true
	wait "$ctl" 2>/dev/null || true
	ctl=
done
[ -n "$ctl" ] || { echo "feed.sh: postrouted did not start:" >&2; cat "$tmp/postrouted.log" >&2; exit 1; }

echo "feed fan-out: $(nproc) CPUs, $(uname -sr), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')"
rc=0
"$bench" --url "http://127.0.0.1:$port" --token "$admin" --conninfo "$conninfo" --pid "$ctl" \
	--sizes "${FEED_SIZES:-20,1000,5000}" --listen-sizes "${LISTEN_SIZES:-20,1000}" \
	--rounds "${ROUNDS:-20}" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "postrouted's log (last lines):" >&2
	tail -20 "$tmp/postrouted.log" >&2
fi
exit "$rc"
