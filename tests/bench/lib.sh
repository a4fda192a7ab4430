# lib.sh: what the benchmark scripts of tests/bench share.
#
#   . "$(dirname "$0")/lib.sh"     (sourced; not a benchmark: run.sh skips it)
#
# bench_tmp NAME       a fresh /tmp/postroute-bench-NAME.XXXXXX, mode 755
#                      (private Postfix and PostgreSQL read it), in $tmp
# bench_rm_tmp SCRIPT  remove $tmp, or with KEEP_TMP=1 say where it was kept
# bench_start NAME [pg]
#                      bench_tmp NAME, and on exit, pass or fail: stop the
#                      process $ctl if set (bench_stop), stop PostgreSQL
#                      (with pg), bench_rm_tmp; INT and TERM exit 130. With
#                      pg, starts the cluster of tests/pg.sh (sourced
#                      before) in $tmp/pg
# bench_need BENCH SCRIPT TARGET
#                      exit 1 unless BENCH (make TARGET) is built and this
#                      runs as root (private Postfix instances); SCRIPT
#                      names the script in the message
# bench_stop PID       stop the process PID if it runs (TERM, at most 5 s,
#                      then KILL) and reap it
# bench_postfix NAME TARGET [pg]
#                      the start of a benchmark on private Postfix
#                      instances, NAME.sh running $bench (make TARGET):
#                      bench_need, tests/pg.sh sourced, bench_start NAME
#                      [pg], and POSTROUTE_TMP, POSTROUTE_BINDIR ($bindir)
#                      and POSTROUTE_SRCDIR ($here) exported for $bench
# bench_load           the load average, "1.00 0.50 0.25"
# bench_db             in the cluster of tests/pg.sh: the role postroute
#                      and its database bench
# bench_maillog LINES PATH [unknown]
#                      a synthetic mixed Postfix log (seeded: the same
#                      every time): both timestamp formats; about 40%
#                      delivery results of which ~85% sent, the rest the
#                      deferred and bounced replies of every provider in
#                      deploy/providers.conf, connection failures and a
#                      Yahoo block episode on relay03; the other 60%
#                      smtpd/cleanup/qmgr lines as in a real log. With
#                      "unknown", also replies no rule knows: one refusal
#                      whose IPs and queue ids vary and one with a word out
#                      of 20,000
# bench_best CMD...    best of 3 runs of CMD (stdout to $tmp/out, not
#                      /dev/null: grep stops at the first match there):
#                      "wall cpu maxrss_kb", each the best of its own; cpu
#                      is user + sys, which other load disturbs less

bench_tmp() {
	tmp=$(mktemp -d "/tmp/postroute-bench-$1.XXXXXX")
	chmod 755 "$tmp"
}

bench_rm_tmp() {
	if [ -n "${KEEP_TMP:-}" ]; then echo "$1: files kept in $tmp" >&2; else rm -rf "$tmp"; fi
}

bench_start() {
	bench_name=$1
	bench_pg=${2:-}
	bench_tmp "$1"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	[ -z "$bench_pg" ] || pg_start "$tmp/pg" ||
		{ echo "$bench_name.sh: cannot start PostgreSQL" >&2; exit 1; }
}

bench_cleanup() {
	bench_stop "${ctl:-}"
	[ -z "$bench_pg" ] || pg_stop
	bench_rm_tmp "$bench_name.sh"
}

bench_postfix() {
	bench_need "$bench" "$1.sh" "$2"
	# shellcheck source=tests/pg.sh
	. "$here/tests/pg.sh"
	bench_start "$1" "${3:-}"
	export POSTROUTE_TMP=$tmp POSTROUTE_BINDIR=$bindir POSTROUTE_SRCDIR=$here
}

bench_need() {
	[ -x "$1" ] || { echo "$2: $1 is missing: make $3" >&2; exit 1; }
	[ "$(id -u)" = 0 ] || { echo "$2: run as root (private Postfix instances)" >&2; exit 1; }
}

bench_stop() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bench_load() {
	cut -d' ' -f1-3 /proc/loadavg
}

bench_db() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "CREATE ROLE postroute LOGIN" -c "CREATE DATABASE bench OWNER postroute" >/dev/null
}

bench_maillog() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import random, sys
n, path, unknown = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "unknown"
rnd = random.Random(42)
nodes = ["mx01", "mx02", "mx07", "mx12", "relay03", "relay05"]
dests = [("gmail.com", "gmail-smtp-in.l.google.com", "142.250.%d.27"),
         ("corp.example", "aspmx.l.google.com", "142.251.%d.26"),
         ("outlook.com", "outlook-com.olc.protection.outlook.com", "52.101.%d.1"),
         ("tenant.example", "tenant-example.mail.protection.outlook.com", "52.101.%d.9"),
         ("yahoo.com", "mta6.am0.yahoodns.net", "67.195.%d.72"),
         ("att.net", "ff-ip4-mx-vip1.prodigy.net", "67.195.%d.72"),
         ("yahoo.co.jp", "mx1.mail.yahoo.co.jp", "183.79.%d.242"),
         ("icloud.com", "mx01.mail.icloud.com", "17.57.%d.9"),
         ("web.de", "mx-ha03.web.de", "212.227.%d.9"),
         ("docomo.ne.jp", "mfsmax.docomo.ne.jp", "203.138.%d.112"),
         ("ezweb.ne.jp", "lsean.ezweb.ne.jp", "111.86.%d.153"),
         ("i.softbank.jp", "mx.softbank.ne.jp", "126.240.%d.24"),
         ("orange.fr", "smtp-in.orange.fr", "193.252.%d.65"),
         ("qq.com", "mx1.qq.com", "183.3.%d.11"),
         ("globex.example", "eu-smtp-inbound-1.mimecast.com", "195.130.%d.17"),
         ("example.org", "mail.example.org", "198.51.100.%d")]
fails = [   # failures outside the episode: recipients, the message, the receiver
 ("5.1.1", "bounced", "said: 550 5.1.1 <x%d@example>: user does not exist (in reply to RCPT TO command)"),
 ("5.1.1", "bounced", "said: 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos %d - gsmtp (in reply to RCPT TO command)"),
 ("5.2.2", "bounced", "said: 552-5.2.2 The recipient's inbox is out of storage space and inactive. Please 552-5.2.2 direct the recipient to 552 5.2.2 https://support.google.com/mail/?p=OverQuotaPerm %d - gsmtp (in reply to RCPT TO command)"),
 ("4.0.0", "deferred", "said: 451 Temporary local problem %d - please try later (in reply to end of DATA command)"),
 ("4.2.0", "deferred", "said: 450 4.2.0 <x%d@example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.html (in reply to RCPT TO command)"),
 ("5.7.26", "bounced", "said: 550-5.7.26 Unauthenticated email from example.com %d is not accepted due to 550 5.7.26 domain's DMARC policy. (in reply to end of DATA command)"),
]
letters = "abcdefghijklmnopqrstuvwxyz"
def word(k):   # 20,000 letter-only words: distinct after masking
    return "".join(letters[k // 26 ** j % 26] for j in range(4))
qchars = "0123456789ABCDEF"
out = open(path, "w", buffering=1 << 20)
t = 0
for i in range(n):
    t += rnd.random() * 0.02
    s = int(t)
    node = rnd.choice(nodes)
    if i % 2:
        ts = "Nov 27 %02d:%02d:%02d" % (17 + s // 3600 % 6, s // 60 % 60, s % 60)
    else:
        ts = "2026-11-27T%02d:%02d:%02d.%06d+09:00" % (17 + s // 3600 % 6, s // 60 % 60, s % 60, rnd.randrange(10**6))
    qid = "".join(rnd.choice(qchars) for _ in range(11))
    pid = rnd.randrange(1000, 30000)
    r = rnd.random()
    if r < 0.6:
        k = i % 4
        if k == 0:
            body = "postfix/smtpd[%d]: connect from unknown[198.51.100.%d]" % (pid, i % 250)
        elif k == 1:
            body = "postfix/cleanup[%d]: %s: message-id=<%d.%d@mail.example.jp>" % (pid, qid, i, pid)
        elif k == 2:
            body = "postfix/qmgr[%d]: %s: from=<user%d@example.jp>, size=%d, nrcpt=1 (queue active)" % (pid, qid, i % 977, 1000 + i % 50000)
        else:
            body = "postfix/qmgr[%d]: %s: removed" % (pid, qid)
    else:
        dom, mx, ipf = rnd.choice(dests)
        ip = ipf % rnd.randrange(1, 250)
        head = "postfix/smtp[%d]: %s: to=<user%d@%s>, relay=%s[%s]:25, delay=0.9, delays=0.02/0.01/0.4/0.47, " % (pid, qid, i % 9973, dom, mx, ip)
        r2 = rnd.random()
        episode = n // 3 < i < n // 3 + n // 50 and node == "relay03" and mx.endswith("yahoodns.net")
        if episode:   # one relay blocked by Yahoo for a while: block, then clear
            body = head + "dsn=4.7.0, status=deferred (host %s[%s] said: 421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command))" % (mx, ip)
        elif r2 < 0.85:
            body = head + "dsn=2.0.0, status=sent (250 2.0.0 OK  %d %s - gsmtp)" % (i, qid)
        elif r2 < 0.88:
            body = "postfix/smtp[%d]: %s: to=<user%d@%s>, relay=none, delay=30, delays=0.02/0/30/0, dsn=4.4.1, status=deferred (connect to %s[%s]:25: Connection timed out)" % (pid, qid, i % 9973, dom, mx, ip)
        elif unknown and r2 < 0.89:   # one reply, its IP and queue id varying
            body = head + "dsn=5.9.9, status=bounced (host %s[%s] said: 554 5.9.9 zqx quorble refused for 192.0.2.%d id %s (in reply to RCPT TO command))" % (mx, ip, i % 250, qid)
        elif unknown and r2 < 0.895:  # 20,000 distinct replies
            body = head + "dsn=4.9.9, status=deferred (host %s[%s] said: 451 4.9.9 zqx held for %s (in reply to end of DATA command))" % (mx, ip, word(rnd.randrange(20000)))
        else:
            dsn, st, txt = rnd.choice(fails)
            body = head + "dsn=%s, status=%s (host %s[%s] %s)" % (dsn, st, mx, ip, txt % (i % 250))
    out.write("%s %s %s\n" % (ts, node, body))
out.close()
PY
}

bench_best() {
	local bw=999999 bc=999999 bm=999999999 w u s m c
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >"$tmp/out"
		read -r w u s m <"$tmp/time"
		c=$(awk "BEGIN { print $u + $s }")
		bw=$(awk "BEGIN { print ($w < $bw) ? $w : $bw }")
		bc=$(awk "BEGIN { print ($c < $bc) ? $c : $bc }")
		bm=$((m < bm ? m : bm))
	done
	echo "$bw $bc $bm"
}
