#!/bin/bash
# tls.sh: the fan-out and flip benchmarks again over mutual TLS.
#
#   tests/bench/tls.sh [BINDIR]   (default: bin)
#
# Runs feed.sh with FEED_TLS=mutual (1,000 and 5,000 waiting feeds, each
# presenting a client certificate; no LISTEN comparison) and agent.sh with
# AGENT_FLIP_TLS=mutual (10 flips, two agents, no install-cost part), so
# that BENCHMARKS.md can put the TLS figures beside the cleartext ones of
# the same `make bench`. The TLS targets are the cleartext ones: 1,000
# waiters p99 under 100 ms, flip to every agent applied p50 under 300 ms.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bindir=${1:-$here/../../bin}
FEED_TLS=mutual FEED_SIZES=${TLS_FEED_SIZES:-1000,5000} LISTEN_SIZES=0 \
	bash "$here/feed.sh" "$bindir"
AGENT_FLIP_TLS=mutual bash "$here/agent.sh" "${TLS_ROUNDS:-10}" none "$bindir"
