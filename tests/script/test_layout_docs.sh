#!/bin/bash
# test_layout_docs.sh: every source file is named where a newcomer looks.
#
# Each of agent/, controller/, common/ and cli/ has a README.md saying which
# file does what, and docs/architecture.md names the files along the path
# of a flip. A new .c file that no README names fails here, and so does a
# README or architecture entry naming a file that no longer exists.
set -u
export LC_ALL=C

src=${POSTROUTE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/shtest.sh
. "$src/tests/lib/shtest.sh"

t_every_file_named()
{
	local d f missing=""
	for d in agent controller common cli; do
		[ -f "$src/$d/README.md" ] || st_fail "$d/README.md is missing"
		for f in "$src/$d"/*.c; do
			grep -qF "\`${f##*/}\`" "$src/$d/README.md" || missing="$missing $d/${f##*/}"
		done
	done
	[ -z "$missing" ] || st_fail "not named in their folder's README.md:$missing"
}

t_no_stale_names()
{
	local d name stale=""
	for d in agent controller common cli; do
		for name in $(grep -o '`[a-z0-9_]*\.c`' "$src/$d/README.md" | tr -d '`' | sort -u); do
			[ -f "$src/$d/$name" ] || stale="$stale $d/$name"
		done
	done
	for name in $(grep -oE '(agent|controller|common|cli)/[a-z0-9_]+\.[ch]' "$src/docs/architecture.md" | sort -u); do
		[ -f "$src/$name" ] || stale="$stale $name"
	done
	[ -z "$stale" ] || st_fail "named but not in the tree:$stale"
}

st_case t_every_file_named
st_case t_no_stale_names
st_done
