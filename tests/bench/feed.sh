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
# the defaults. FEED_TLS=1 serves https ([server] tls_cert/tls_key, a CA and
# a certificate for 127.0.0.1 made with openssl in the temp dir);
# FEED_TLS=mutual also sets tls_client_ca, and every waiter presents a client
# certificate. Prints Markdown tables; figures go to BENCHMARKS.md by hand.
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
# shellcheck source=tests/bench/lib.sh
. "$here/tests/bench/lib.sh"
ctl=
POSTROUTE_PG_EXTRA_OPTS="-c max_connections=1200 ${POSTROUTE_PG_EXTRA_OPTS:-}" bench_start feed pg
bench_db

# TLS material (FEED_TLS): a CA, a server certificate for 127.0.0.1, a client one
tls=${FEED_TLS:-}
scheme=http
tls_ini=
curl_tls=()
bench_tls=()
if [ -n "$tls" ]; then
	scheme=https
	cat >"$tmp/openssl.cnf" <<-EOF
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	CN = unused
	[ca]
	basicConstraints = critical, CA:true
	keyUsage = critical, keyCertSign
	[server]
	basicConstraints = critical, CA:false
	extendedKeyUsage = serverAuth
	subjectAltName = IP:127.0.0.1
	[client]
	basicConstraints = critical, CA:false
	extendedKeyUsage = clientAuth
	EOF
	mk() {   # ext subject name [ca]
		timeout 60 openssl req -x509 -config "$tmp/openssl.cnf" -extensions "$1" -subj "$2" \
			-newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -days 2 \
			-keyout "$tmp/$3.key" -out "$tmp/$3.pem" ${4:+-CA "$tmp/$4.pem" -CAkey "$tmp/$4.key"} 2>/dev/null
	}
	mk ca "/CN=bench CA" ca && mk server "/CN=127.0.0.1" server ca && mk client "/CN=bench" client ca ||
		{ echo "feed.sh: openssl could not make the certificates" >&2; exit 1; }
	tls_ini="tls_cert = $tmp/server.pem
tls_key = $tmp/server.key"
	curl_tls=(--cacert "$tmp/ca.pem")
	bench_tls=(--ca-file "$tmp/ca.pem")
	if [ "$tls" = mutual ]; then
		tls_ini="$tls_ini
tls_client_ca = $tmp/ca.pem"
		curl_tls+=(--cert "$tmp/client.pem" --key "$tmp/client.key")
		bench_tls+=(--client-cert "$tmp/client.pem" --client-key "$tmp/client.key")
	fi
fi

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
	; the bench opens every waiter at once: 5,000 TLS handshakes on two
	; cores take longer than the default 10 s deadline for a whole request
	request_timeout = 60s
	$tls_ini

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
		curl -fsS ${curl_tls[@]+"${curl_tls[@]}"} -o /dev/null "$scheme://127.0.0.1:$port/healthz" 2>/dev/null && break
		kill -0 "$ctl" 2>/dev/null || break
		sleep 0.02
	done
	curl -fsS ${curl_tls[@]+"${curl_tls[@]}"} -o /dev/null "$scheme://127.0.0.1:$port/healthz" 2>/dev/null && break
	kill "$ctl" 2>/dev/null || true
	wait "$ctl" 2>/dev/null || true
	ctl=
done
[ -n "$ctl" ] || { echo "feed.sh: postrouted did not start:" >&2; cat "$tmp/postrouted.log" >&2; exit 1; }

echo "feed fan-out: $(nproc) CPUs, $(uname -sr), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')," \
	"${tls:+TLS ($tls), }load $(bench_load)"
rc=0
"$bench" --url "$scheme://127.0.0.1:$port" ${bench_tls[@]+"${bench_tls[@]}"} --token "$admin" --conninfo "$conninfo" --pid "$ctl" \
	--sizes "${FEED_SIZES:-20,1000,5000}" --listen-sizes "${LISTEN_SIZES:-20,1000}" \
	--rounds "${ROUNDS:-20}" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "postrouted's log (last lines):" >&2
	tail -20 "$tmp/postrouted.log" >&2
fi
exit "$rc"
