#!/bin/bash
# run.sh: run every test binary against a private PostgreSQL.
#
#   tests/run.sh BINDIR:TESTDIR [BINDIR:TESTDIR ...]
#
# Starts one throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir,
# unix socket only, as the postgres user when run as root), runs each test
# binary of each TESTDIR with POSTROUTE_BINDIR=BINDIR, and stops the cluster
# on exit, pass or fail. Prints "N passed, N failed" last; exits non-zero on
# any failure or crash.
set -u

here=$(cd "$(dirname "$0")" && pwd)
export POSTROUTE_SRCDIR=$(cd "$here/.." && pwd)
# The labelled corpus (../shared next to the tree; for a local clone made
# elsewhere, next to the tree it was cloned from).
if [ -z "${POSTROUTE_SHARED:-}" ]; then
	POSTROUTE_SHARED=$(cd "$POSTROUTE_SRCDIR/.." && pwd)/shared
	origin=$(git -C "$POSTROUTE_SRCDIR" config --get remote.origin.url 2>/dev/null || true)
	if [ ! -d "$POSTROUTE_SHARED" ] && [ -n "$origin" ] && [ -d "$origin/../shared" ]; then
		POSTROUTE_SHARED=$(cd "$origin/../shared" && pwd)
	fi
fi
export POSTROUTE_SHARED

# shellcheck source=tests/pg.sh
. "$here/pg.sh"
tmp=$(mktemp -d /tmp/postroute-test.XXXXXX)
chmod 755 "$tmp"
export POSTROUTE_TMP=$tmp
cleanup() {
	pg_stop
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_start "$tmp/pg" || { echo "run.sh: cannot start PostgreSQL" >&2; exit 1; }

passed=0 failed=0 bad_bins=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run_one TEST NAME WHERE: runs one test, counts its "[ RUN ]" and
# "[ OK ]" lines (cmocka's; scripted tests print the same), prints its log
# when it fails.
run_one() {
	local t=$1 name=$2 where=$3 log rc ok ran ko start secs
	if [ -n "${TESTS:-}" ] && ! [[ "$name" == *$TESTS* ]]; then
		return
	fi
	log="$tmp/$(echo "$where-$name" | tr '/:' '__').log"
	start=$EPOCHREALTIME
	timeout -k 10 600 "$t" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^\[       OK \]' "$log")
	ran=$(grep -c '^\[ RUN      \]' "$log")
	ko=$((ran - ok))
	secs=$(awk "BEGIN { print $EPOCHREALTIME - $start }")
	if [ "$rc" -ne 0 ] && [ "$ko" -eq 0 ]; then
		ko=1
	fi
	passed=$((passed + ok))
	failed=$((failed + ko))
	printf '%-50s %3d ok %3d failed  %6.1fs  (%s)\n' "$name" "$ok" "$ko" "$secs" "$where"
	if [ "$rc" -ne 0 ] || [ "$ko" -ne 0 ]; then
		bad_bins="$bad_bins $name"
		sed 's/^/    | /' "$log" | tail -60
	fi
}

for pair in "$@"; do
	bindir=$(cd "${pair%%:*}" && pwd)
	testdir=${pair#*:}
	export POSTROUTE_BINDIR=$bindir
	for t in "$testdir"/unit/test_* "$testdir"/integration/test_*; do
		[ -x "$t" ] || continue
		run_one "$t" "${t#"$testdir"/}" "${pair%%:*}"
	done
done

# Scripted tests of the tree itself (tests/DIR/test_*.sh: alert rules,
# dashboard): once, not once per binary directory.
for t in "$here"/*/test_*.sh; do
	[ -x "$t" ] || continue
	run_one "$t" "${t#"$here"/}" "script"
done

[ -z "$bad_bins" ] || echo "failing:$bad_bins"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$bad_bins" ]
