# pg.sh: a throwaway PostgreSQL cluster for tests, benchmarks and the demo.
#
# Source it, then: pg_start DIR (initdb if DIR is new, start on a unix
# socket in DIR), pg_stop, pg_restart. Exports PGHOST, PGPORT, PGUSER and
# POSTROUTE_PGDATA. As root, the server runs as the postgres user.

export PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
_pg_dir=

_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	_pg_dir=$1
	export POSTROUTE_PGDATA=$_pg_dir/data
	export PGHOST=$_pg_dir
	export PGPORT=${PGPORT:-$((20000 + RANDOM % 20000))}
	export PGUSER=postgres
	mkdir -p "$_pg_dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$_pg_dir"
	if [ ! -s "$POSTROUTE_PGDATA/PG_VERSION" ]; then
		_pg_as "$PGBIN/initdb" -D "$POSTROUTE_PGDATA" -U postgres --auth=trust \
			--no-sync -E UTF8 --locale=C >"$_pg_dir/initdb.log" 2>&1 || {
			cat "$_pg_dir/initdb.log" >&2; return 1; }
	fi
	export POSTROUTE_PGOPTS="-c listen_addresses='' -c unix_socket_directories='$_pg_dir' -p $PGPORT -c fsync=off -c max_connections=300 -c synchronous_commit=off ${POSTROUTE_PG_EXTRA_OPTS:-}"
	export POSTROUTE_PGLOG="$_pg_dir/server.log"
	_pg_as "$PGBIN/pg_ctl" -D "$POSTROUTE_PGDATA" -l "$POSTROUTE_PGLOG" -w -t 60 \
		-o "$POSTROUTE_PGOPTS" start >/dev/null || { cat "$_pg_dir/server.log" >&2; return 1; }
}

pg_stop() {
	[ -n "$_pg_dir" ] && [ -e "$POSTROUTE_PGDATA/postmaster.pid" ] || return 0
	_pg_as "$PGBIN/pg_ctl" -D "$POSTROUTE_PGDATA" -m fast -w stop >/dev/null 2>&1
}
