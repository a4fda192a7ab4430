#!/bin/bash
# test_alert_rules.sh: deploy/prometheus-alerts.yml and
# deploy/grafana-dashboard.json, checked with the tools that load them.
#
#   check_rules   promtool check rules: the file loads, every expression parses
#   test_rules    promtool test rules tests/alerts/prometheus-alerts.test.yml:
#                 every alert fires where it must and stays quiet where not
#   dashboard     the dashboard is JSON in the shape Grafana's import takes
#
# Prints cmocka's "[ RUN ]"/"[ OK ]" lines so that tests/run.sh counts each
# check; exits 1 when one fails. promtool comes from Debian's prometheus
# package (deploy/install-deps.sh).
set -u
here=$(cd "$(dirname "$0")/../alerts" && pwd)
src=$(cd "$here/../.." && pwd)
fails=0

check() {
	local name=$1
	shift
	echo "[ RUN      ] $name"
	if "$@"; then
		echo "[       OK ] $name"
	else
		echo "[  FAILED  ] $name"
		fails=$((fails + 1))
	fi
}

if ! command -v promtool >/dev/null; then
	echo "test_alert_rules: promtool not found (Debian package prometheus)" >&2
	exit 1
fi
check check_rules promtool check rules "$src/deploy/prometheus-alerts.yml"
check test_rules promtool test rules "$here/prometheus-alerts.test.yml"
check dashboard /usr/bin/python3 "$here/check_dashboard.py" "$src/deploy/grafana-dashboard.json"
exit $((fails > 0))
