#!/bin/bash
# run.sh: every benchmark of tests/bench, one after the other.
#
#   tests/bench/run.sh
#
# Runs each tests/bench/*.sh other than this one and lib.sh with its defaults (the
# binaries in bin/ and build/), prints what each prints, and exits non-zero
# when any of them failed. Figures go to BENCHMARKS.md by hand.
set -u

here=$(cd "$(dirname "$0")" && pwd)
failed=""
for b in "$here"/*.sh; do
	case $(basename "$b") in run.sh|lib.sh) continue ;; esac
	echo "== $(basename "$b")"
	start=$EPOCHREALTIME
	bash "$b" || failed="$failed $(basename "$b")"
	echo "== $(basename "$b"): $(awk "BEGIN { printf \"%.0f\", $EPOCHREALTIME - $start }") s"
	echo
done
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
