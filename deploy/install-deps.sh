#!/bin/sh
# install-deps.sh: install the Debian packages postroute builds and tests with.
#
# Idempotent and non-interactive: packages already installed are skipped, so a
# second run asks apt nothing. Postfix is installed with "No configuration": no
# /etc/postfix/main.cf is written and no system instance starts; every test and
# the demo run private instances with their own -c directory.
#
# Needs root for apt-get; as another user it only reports what is missing.
set -eu

PKGS="build-essential pkg-config libpq-dev libcurl4-openssl-dev libssl-dev \
libinih-dev libcmocka-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev libpcre2-dev \
openssl iproute2 \
postgresql postgresql-contrib postfix postfix-lmdb postfix-cdb curl \
sasl2-bin libsasl2-modules \
chromium chromium-driver python3-selenium"

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
