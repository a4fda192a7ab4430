#!/bin/sh
# install-deps.sh: install the Debian packages postroute builds and tests with.
#
# Idempotent and non-interactive: packages already installed are skipped, so a
# second run asks apt nothing. Postfix is installed with "No configuration": no
# /etc/postfix/main.cf is written and no system instance starts; every test and
# the demo run private instances with their own -c directory.
#
# debhelper, dpkg-dev, fakeroot and lintian build and check the Debian
# packages (make deb, tests/script/test_deb.sh, which also needs systemd's
# systemd-sysusers and systemd-tmpfiles and init-system-helpers'
# deb-systemd-helper for its scratch-root install); bash-completion loads
# the CLI's completion in tests/script/test_completion.sh.
#
# Needs root for apt-get; as another user it only reports what is missing.
set -eu

PKGS="build-essential pkg-config libpq-dev libcurl4-openssl-dev libssl-dev \
libinih-dev libcmocka-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev libpcre2-dev \
openssl iproute2 \
postgresql postgresql-contrib postfix postfix-lmdb postfix-cdb curl \
sasl2-bin libsasl2-modules \
libsystemd-dev \
debhelper dpkg-dev fakeroot lintian systemd init-system-helpers bash-completion \
prometheus python3 \
chromium chromium-driver python3-selenium"
# prometheus: for promtool (tests/script/test_alert_rules.sh); on a host
# run by systemd, installing it also starts a Prometheus server on :9090
# (systemctl disable --now prometheus if it is not wanted).

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
	'postfix postfix/mailname string localhost' | debconf-set-selections
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
