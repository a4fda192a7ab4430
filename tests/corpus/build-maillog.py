#!/usr/bin/env python3
"""build-maillog.py: Postfix log lines from the replies of responses.tsv.

    tests/corpus/build-maillog.py [responses.tsv [maillog.tsv]]

Reads the labelled replies (reply, provider, mx, dsn, stage, class,
reroutable, source_url) and writes one postfix/smtp delivery line per
reply, labelled like ../shared/corpus/maillog-dev.tsv (provider, class,
reroutable, line) with the reply's source_url as a fifth column.

The lines vary what a rule must not depend on: both timestamp layouts,
node names, queue ids, the remote IP and the recipient's local part. A
reply at the greeting is logged as Postfix logs it ("relay=none ... host
H[IP] refused to talk to me: REPLY"), any other stage as "host H[IP]
said: REPLY (in reply to CMD command)". The output depends on the input
only (no clock, no randomness), so the committed maillog.tsv can be
checked by running this script again and comparing.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# A recipient domain per provider; customer domains for the gateways and
# "other" (they are known by their MX hosts only).
DOMAINS = {
    "google": "gmail.com", "microsoft": "outlook.com", "yahoo": "yahoo.com",
    "yahoo_japan": "yahoo.co.jp", "apple": "icloud.com", "gmx": "web.de",
    "t_online": "t-online.de", "orange": "orange.fr", "free": "free.fr",
    "sfr": "sfr.fr", "libero": "libero.it", "seznam": "seznam.cz",
    "mailru": "mail.ru", "yandex": "yandex.ru", "naver": "naver.com",
    "qq": "qq.com", "netease": "163.com", "docomo": "docomo.ne.jp",
    "au": "ezweb.ne.jp", "softbank": "i.softbank.jp", "rakuten": "rakumail.jp",
    "comcast": "comcast.net", "cox": "cox.net", "mimecast": "globex.example",
    "proofpoint": "initech.example", "barracuda": "umbrella.example",
    "other": "customer.example",
}

# Hosts whose recipients live on another domain of the same provider.
HOST_DOMAINS = (
    ("mx-aol.", "aol.com"),
    (".mail.protection.outlook.com", "contoso.example"),
    ("mx1.hotmail.com", "hotmail.com"),
    ("aspmx.l.google.com", "acme-workspace.example"),
    ("mx00.emig.gmx.net", "gmx.de"),
    ("mx1.centrum.cz", "centrum.cz"),
)

COMMANDS = {"helo": "HELO", "mail": "MAIL FROM", "rcpt": "RCPT TO",
            "data": "DATA", "eod": "end of DATA"}
NODES = ("mx01", "relay03", "edge-7", "mx12")
LOCALS = ("info", "k.tanaka", "sales", "yuki.sato", "order", "taro")
MONTHS = ("Dec",)


def domain_for(provider, mx):
    for part, dom in HOST_DOMAINS:
        if part in mx:
            return dom
    return DOMAINS.get(provider, "customer.example")


def timestamp(i):
    sec = 10 + i * 7
    hh, mm, ss = 9 + sec // 3600, (sec // 60) % 60, sec % 60
    if i % 2:
        return "2026-12-03T%02d:%02d:%02d.%06d+09:00" % (hh, mm, ss, (i * 104729) % 1000000)
    return "%s  3 %02d:%02d:%02d" % (MONTHS[0], hh, mm, ss)


def line_for(i, row):
    reply, provider, mx, dsn, stage = row[:5]
    status = "deferred" if reply.startswith("4") else "bounced"
    ip = "192.0.2.%d" % (10 + i % 240)
    qid = "%011X" % (0x3A1B2C3D4E + i * 7919)
    rcpt = "%s@%s" % (LOCALS[i % len(LOCALS)], domain_for(provider, mx))
    head = "%s %s postfix/smtp[%d]: %s: to=<%s>, " % (
        timestamp(i), NODES[i % len(NODES)], 12000 + i, qid, rcpt)
    if stage == "greeting":
        return head + ("relay=none, delay=1.2, delays=0.02/0.01/1.2/0, dsn=%s, "
                       "status=%s (host %s[%s] refused to talk to me: %s)"
                       % (dsn, status, mx, ip, reply))
    if stage not in COMMANDS:
        raise ValueError("row %d: unknown stage %r" % (i + 2, stage))
    return head + ("relay=%s[%s]:25, delay=1.9, delays=0.02/0.01/0.95/0.92, dsn=%s, "
                   "status=%s (host %s[%s] said: %s (in reply to %s command))"
                   % (mx, ip, dsn, status, mx, ip, reply, COMMANDS[stage]))


def main(argv):
    src = argv[1] if len(argv) > 1 else os.path.join(HERE, "responses.tsv")
    dst = argv[2] if len(argv) > 2 else os.path.join(HERE, "maillog.tsv")
    with open(src, encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t") for l in f][1:]
    out = ["provider\tclass\treroutable\tline\tsource_url"]
    for i, row in enumerate(rows):
        if len(row) != 8:
            raise ValueError("%s:%d: %d fields, want 8" % (src, i + 2, len(row)))
        out.append("\t".join((row[1], row[5], row[6], line_for(i, row), row[7])))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
