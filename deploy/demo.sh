#!/bin/bash
# demo.sh: the whole postroute stack on loopback, and a failover timeline.
#
#   make demo          (or deploy/demo.sh after make)
#
# Starts, all under ./var/demo and on 127.0.0.x only: a private PostgreSQL
# (unix socket), the controller, two private Postfix instances (mx01 with a
# hash map, mx02 with lmdb; own config, queue and log) each with an agent,
# and two smtp-sink relays. relay01 is the servers' default relay and
# answers every recipient with "421 4.7.0 [TSS04] ...", as Yahoo and Gmail
# do when they block an IP; relay02 is healthy. Mail to the provider piles
# up deferred; `postroute flip` sends the provider through relay02, and the
# timeline shows the flip committed, each agent applying it, and the
# deferred mail arriving at relay02. Everything is stopped on exit, Ctrl-C
# included. Needs root (private Postfix instances).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
var=$root/var/demo
# shellcheck source=tests/pg.sh
. "$root/tests/pg.sh"

[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it starts private Postfix instances)" >&2; exit 1; }
for b in postrouted postroute-agent postroute; do
	[ -x "$bin/$b" ] || { echo "demo.sh: $bin/$b missing: run make first" >&2; exit 1; }
done

pids=()
instances=()
cleanup() {
	set +e
	trap - EXIT INT TERM
	echo
	echo "stopping everything"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for d in "${instances[@]}"; do /usr/sbin/postfix -c "$d/etc" stop >/dev/null 2>&1; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t_start=${EPOCHREALTIME/./}
now_us() { echo "${EPOCHREALTIME/./}"; }
say() { printf '%s\n' "$*"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

# A loopback TCP port nobody listens on.
free_port() {
	local p
	while :; do
		p=$((12000 + RANDOM % 8000))   # below the ephemeral range and tests/pg.sh's ports
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# Polls "$@" every 20 ms for up to $timeout seconds.
wait_for() {
	local timeout=$1 what=$2
	shift 2
	local end=$(( $(now_us) + timeout * 1000000 ))
	until "$@"; do
		[ "$(now_us)" -lt "$end" ] || die "timed out waiting for $what"
		sleep 0.02
	done
}

rm -rf "$var"
mkdir -p "$var"
chmod 755 "$var"

# --- PostgreSQL and the controller ------------------------------------------
say "starting PostgreSQL in $var/pg"
pg_start "$var/pg" || die "cannot start PostgreSQL"
# Two roles: postroute_owner owns the tables and migrates; the controller
# runs as postroute, which may only read and append to history.
"$PGBIN/psql" -qX -c "CREATE ROLE postroute_owner LOGIN" -c "CREATE ROLE postroute LOGIN" \
	-c "CREATE DATABASE postroute OWNER postroute_owner" >/dev/null

cport=$(free_port)
url=http://127.0.0.1:$cport
mkdir -p "$var/ctl"
cat >"$var/ctl/postrouted.ini" <<EOF
[server]
listen = 127.0.0.1:$cport

[database]
conninfo = host=$PGHOST port=$PGPORT dbname=postroute user=postroute
migrate_conninfo = host=$PGHOST port=$PGPORT dbname=postroute user=postroute_owner
EOF
"$bin/postrouted" migrate -c "$var/ctl/postrouted.ini" >/dev/null
admin=$("$bin/postrouted" token create --name demo-sre --role admin -c "$var/ctl/postrouted.ini")
"$bin/postrouted" -c "$var/ctl/postrouted.ini" >"$var/ctl/postrouted.log" 2>&1 &
pids+=($!)
wait_for 10 "the controller" curl -fso /dev/null "$url/healthz"
say "controller listening on $url"
export POSTROUTE_URL=$url POSTROUTE_TOKEN=$admin

# --- relays: smtp-sink on 127.0.0.2 (blocked) and 127.0.0.3 (healthy) --------
start_sink() {   # VAR NAME IP [reply]: sets VAR to the relay's nexthop
	local var=$1 name=$2 ip=$3 port dir
	port=$(free_port)
	dir=$var_dir/$name
	mkdir -p "$dir"
	chown nobody "$dir"
	if [ $# -gt 3 ]; then
		/usr/sbin/smtp-sink -4 -u nobody -h "$name.demo" -r RCPT -b "$4" \
			-d "$dir/%Y%m%d%H%M%S." "$ip:$port" 64 >"$dir.log" 2>&1 &
	else
		/usr/sbin/smtp-sink -4 -u nobody -h "$name.demo" -d "$dir/%Y%m%d%H%M%S." \
			"$ip:$port" 64 >"$dir.log" 2>&1 &
	fi
	pids+=($!)
	printf -v "$var" 'smtp:[%s]:%s' "$ip" "$port"
	wait_for 10 "smtp-sink $name" eval "(exec 3<>/dev/tcp/$ip/$port) 2>/dev/null"
}
var_dir=$var
tss04="421 4.7.0 [TSS04] Messages from 127.0.0.2 temporarily deferred due to user complaints"
start_sink relay01 relay01 127.0.0.2 "$tss04"
start_sink relay02 relay02 127.0.0.3
say "relay01 $relay01 (answers: $tss04)"
say "relay02 $relay02 (healthy)"

# --- two private Postfix instances ------------------------------------------
start_postfix() {   # NAME MAP_TYPE DEFAULT_TRANSPORT
	local name=$1 type=$2 dt=$3 d=$var/$1 port
	port=$(free_port)
	mkdir -p "$d/etc" "$d/queue" "$d/data" "$d/maps"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf.tmp" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $name.demo
mydomain = demo
myorigin = demo
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $d/maillog
maillog_file_prefixes = $d
default_transport = $dt
transport_maps = $type:$d/maps/transport
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
biff = no
EOF
	cat >"$d/etc/master.cf.tmp" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# a main.cf younger than a second makes Postfix commands stall
	touch -d '-10 sec' "$d/etc/main.cf.tmp" "$d/etc/master.cf.tmp"
	mv "$d/etc/main.cf.tmp" "$d/etc/main.cf"
	mv "$d/etc/master.cf.tmp" "$d/etc/master.cf"
	: >"$d/maps/transport"
	/usr/sbin/postmap -c "$d/etc" "$type:$d/maps/transport"
	/usr/sbin/postfix -c "$d/etc" start >/dev/null 2>&1 || die "postfix $name did not start: $(tail -5 "$d/maillog")"
	instances+=("$d")
	say "postfix $name: $type map, smtpd on 127.0.0.1:$port, default relay relay01, log $d/maillog"
}

start_agent() {   # NAME MAP_TYPE [USER]
	local name=$1 type=$2 user=${3:-} d=$var/$1
	"$bin/postroute" node add "$name" --role server --reason "demo" >/dev/null
	"$bin/postrouted" token create --name "agent-$name" --role agent --node "$name" \
		-c "$var/ctl/postrouted.ini" >"$d/agent.token"
	chmod 600 "$d/agent.token"
	mkdir -p "$d/state"
	cat >"$d/agent.ini" <<EOF
[agent]
node = $name
controller = $url
token_file = $d/agent.token
state_dir = $d/state
user = $user

[postfix]
config_directory = $d/etc
transport_file = $d/maps/transport
map_type = $type
EOF
	"$bin/postroute-agent" -n -c "$d/agent.ini" >/dev/null
	"$bin/postroute-agent" -c "$d/agent.ini" >"$d/agent.log" 2>&1 &
	pids+=($!)
}

start_postfix mx01 hash "$relay01"
start_postfix mx02 lmdb "$relay01"

# --- objects ------------------------------------------------------------------
"$bin/postroute" relay add relay01 --nexthop "$relay01" --reason "demo: default relay" >/dev/null
"$bin/postroute" relay add relay02 --nexthop "$relay02" --reason "demo: spare relay" >/dev/null
# migrate loaded the default catalogue; yahoo gets the demo's test domains
"$bin/postroute" provider set yahoo --domain yahoo.test --domain ymail.test \
	--mx-pattern '*.yahoodns.test' --subdomains no --reason "demo" >/dev/null
start_agent mx01 hash nobody
start_agent mx02 lmdb
node_current() {   # both nodes have applied the current version
	[ "$(curl -fs -H "Authorization: Bearer $admin" "$url/v1/status" |
		grep -Eo '"lag": *0[,}]' | wc -l)" -eq 2 ]
}
wait_for 20 "both agents" node_current
say "agents of mx01 and mx02 connected and current (mx01's runs as nobody beside a root helper for postmap, reload and requeue)"

# --- the block ----------------------------------------------------------------
n=5
say
say "sending $n messages to yahoo.test from each server; relay01 refuses them:"
for name in mx01 mx02; do
	for i in $(seq 1 "$n"); do
		printf 'From: shop@origin.demo\nTo: user%d@yahoo.test\nSubject: order %d\n\nhello\n' "$i" "$i" |
			/usr/sbin/sendmail -C "$var/$name/etc" -f shop@origin.demo "user$i@yahoo.test"
	done
done
deferred_all() {
	[ "$(cat "$var"/mx0?/maillog | grep -c 'status=deferred.*TSS04')" -ge $((2 * n)) ]
}
wait_for 30 "deferrals" deferred_all
grep -h 'status=deferred.*TSS04' "$var/mx01/maillog" | head -1 | cut -c1-200 | sed 's/^/    /'
say "    ... $((2 * n)) messages deferred (Postfix would retry them in 10 s here, 5 min to over an hour with default timers)"

# --- the flip -------------------------------------------------------------------
say
say "$ postroute flip yahoo --to relay02 --reason \"TSS04 on relay01\""
t0=$(now_us)
"$bin/postroute" flip yahoo --to relay02 --reason "TSS04 on relay01" --timeout 30s
t_cli=$(now_us)
delivered_all() { [ "$(find "$var/relay02" -type f | wc -l)" -ge $((2 * n)) ]; }
wait_for 30 "deferred mail at relay02" delivered_all

# Times from the controller's records (committed, reported) and the sink's
# files (arrival), all on this host's clock.
ms_of() { date -d "$1" +%s%6N; }
rel() { awk -v a="$1" -v b="$t0" 'BEGIN { printf "%8.3f s", (a - b) / 1e6 }'; }
routes=$(curl -fs -H "Authorization: Bearer $admin" "$url/v1/routes")
committed=$(printf '%s' "$routes" | grep -o '"created_at": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
version=$(printf '%s' "$routes" | grep -o '"version": *[0-9]*' | head -1 | grep -o '[0-9]*$')
status=$(curl -fs -H "Authorization: Bearer $admin" "$url/v1/status")
report_at() {   # NODE -> last_report_at
	printf '%s' "$status" | tr '{' '\n' | grep -E "\"name\": *\"$1\"" |
		grep -o '"last_report_at": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'
}
arrivals=$(find "$var/relay02" -type f -printf '%T@\n' | sort -n)
first=$(echo "$arrivals" | head -1 | tr -d .)
last=$(echo "$arrivals" | tail -1 | tr -d .)
first=${first:0:16}
last=${last:0:16}

events=()
event() { events+=("$1|$2"); }   # TIME_US TEXT
event "$t0" "postroute flip yahoo --to relay02"
event "$(ms_of "$committed")" "flip committed: routing version $version"
for name in mx01 mx02; do
	steps=$(grep 'applied' "$var/$name/agent.log" | tail -1 | sed 's/.* ms: //')
	event "$(ms_of "$(report_at "$name")")" "$name reported version $version applied ($steps)"
done
event "$t_cli" "postroute flip returned (it waits for every agent's report)"
event "$first" "first deferred message delivered via relay02"
event "$last" "all $((2 * n)) deferred messages delivered via relay02"
say
say "timeline (t = 0: postroute flip started; the agents requeue before they report)"
printf '%s\n' "${events[@]}" | sort -t'|' -k1,1n | while IFS='|' read -r t text; do
	say "  $(rel "$t")  $text"
done

# --- after ----------------------------------------------------------------------
say
say "new mail to yahoo.test now leaves through relay02:"
printf 'Subject: after\n\nhello\n' | /usr/sbin/sendmail -C "$var/mx01/etc" -f shop@origin.demo new@yahoo.test
new_delivered() { [ "$(find "$var/relay02" -type f | wc -l)" -ge $((2 * n + 1)) ]; }
wait_for 10 "new mail at relay02" new_delivered
grep -h 'to=<new@yahoo.test>.*status=sent' "$var/mx01/maillog" | tail -1 | cut -c1-220 | sed 's/^/    /'

say
say "$ postroute status"
"$bin/postroute" status --format table || true
say
say "$ postroute history --provider yahoo"
"$bin/postroute" history --provider yahoo --format table || true
say
say "$ postroute history --verify     # the history's hash chain"
"$bin/postroute" history --verify || true
say
say "logs and files: $var"
