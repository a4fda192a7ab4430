#!/bin/bash
# scan.sh: log scan throughput of "postroute-agent scan".
#
#   tests/bench/scan.sh [LINES] [BINDIR]     (defaults: 3000000, bin)
#
# Writes a synthetic mixed Postfix log under a temp dir (both timestamp
# formats; about 40% delivery results of which ~85% sent, the rest deferred
# and bounced replies of every provider in deploy/providers.conf and
# connection failures; the other 60% smtpd/cleanup/qmgr lines as in a real
# log), then times, best of 3, on one core:
#   grep -c status=deferred      (the floor: reading the file at all)
#   postroute-agent scan > /dev/null
# and prints lines per second for each. Figures go to BENCHMARKS.md by hand.
set -eu

lines=${1:-3000000}
bindir=${2:-bin}
here=$(cd "$(dirname "$0")/../.." && pwd)
agent=$(cd "$bindir" && pwd)/postroute-agent
tmp=$(mktemp -d /tmp/postroute-bench-scan.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/maillog

python3 - "$lines" "$log" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
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
months = ["Nov"]
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
        else:
            dsn, st, txt = rnd.choice(fails)
            body = head + "dsn=%s, status=%s (host %s[%s] %s)" % (dsn, st, mx, ip, txt % (i % 250))
    out.write("%s %s %s\n" % (ts, node, body))
out.close()
PY

size=$(stat -c %s "$log")
echo "log: $lines lines, $((size / 1048576)) MiB in $log"
cat "$log" >/dev/null   # warm the page cache

# best of 3 runs of "$@": "wall cpu" seconds (cpu = user + sys, which
# other load on the machine disturbs less than wall time)
best() {
	local bw=999999 bc=999999 w c
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >"$tmp/out"   # not /dev/null: grep stops at the first match there
		read -r w u s <"$tmp/time"
		c=$(awk "BEGIN { print $u + $s }")
		bw=$(awk "BEGIN { print ($w < $bw) ? $w : $bw }")
		bc=$(awk "BEGIN { print ($c < $bc) ? $c : $bc }")
	done
	echo "$bw $bc"
}

read -r gw gc < <(best taskset -c 0 grep -c status=deferred "$log")
read -r aw ac < <(cd "$here" && best taskset -c 0 "$agent" scan "$log")
out=$(cd "$here" && "$agent" scan "$log" | awk -F'"type":"' '{ split($2, a, "\""); n[a[1]]++ } END { printf "%d deliveries, %d events", n["delivery"], n["block"] + n["clear"] + n["volume"] }')
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
awk -v l="$lines" -v gw="$gw" -v gc="$gc" -v aw="$aw" -v ac="$ac" -v o="$out" 'BEGIN {
	printf "%-26s %8s %8s %14s %14s\n", "", "wall s", "cpu s", "lines/s wall", "lines/s cpu"
	printf "%-26s %8.3f %8.3f %14.0f %14.0f\n", "grep -c status=deferred", gw, gc, l / gw, l / gc
	printf "%-26s %8.3f %8.3f %14.0f %14.0f  (%s)\n", "postroute-agent scan", aw, ac, l / aw, l / ac, o
}'
