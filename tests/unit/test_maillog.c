/*
 * test_maillog.c: every line shape the parser knows, and garbage.
 *
 * Runs with TZ=UTC so traditional syslog timestamps have exact values.
 * Lines are copied into buffers of their exact size so that the
 * sanitizer build catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maillog.h"

/* 2026-11-27 12:00:00 UTC: the reference time for year inference */
#define REF 1795780800

struct pcase {
	const char *line;
	enum maillog_kind kind;
	long long ts;
	const char *host, *service, *qid, *rcpt, *domain, *relay, *ip, *dsn;
	enum maillog_status status;
	enum maillog_stage stage;
	enum maillog_conn conn;
	int suspended;
	unsigned code;
	const char *reply;   /* exact, or NULL to skip */
};

static enum maillog_kind
parse_exact(const char *line, size_t len, struct maillog_rec *rec)
{
	struct maillog_clock clk;
	char *copy = malloc(len ? len : 1);
	enum maillog_kind k;

	memcpy(copy, line, len);
	maillog_clock_init(&clk, REF);
	k = maillog_parse_line(copy, len, &clk, rec);
	/* the record points into copy: compare before freeing (callers re-parse) */
	free(copy);
	return k;
}

static void
check_str(size_t i, const char *what, struct maillog_str got, const char *want)
{
	if (want == NULL)
		return;
	if (got.len != strlen(want) || (got.len > 0 && memcmp(got.p, want, got.len) != 0))
		fail_msg("case %zu: %s: got \"%.*s\", want \"%s\"", i, what, (int)got.len,
		    got.p ? got.p : "", want);
}

#define SENT_TAIL "delay=0.9, delays=0.02/0.01/0.4/0.47, dsn=2.0.0, status=sent (250 2.0.0 OK queued)"

static const struct pcase cases[] = {
	/* traditional syslog, sent: the fast path */
	{ "Nov 27 17:31:39 mx12 postfix/smtp[12279]: 689447AB57A: to=<yuki.sato@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.33.1]:25, " SENT_TAIL,
	  MAILLOG_DELIVERY, 1795800699, "mx12", "postfix/smtp", "689447AB57A", "yuki.sato@gmail.com", "gmail.com",
	  "gmail-smtp-in.l.google.com", "142.250.33.1", "2.0.0", MAILLOG_STATUS_SENT, MAILLOG_STAGE_NONE,
	  MAILLOG_CONN_NONE, 0, 250, "250 2.0.0 OK queued" },
	/* RFC 3339 with an offset; a multi-instance syslog_name; orig_to and conn_use */
	{ "2026-11-27T17:31:39.123456+09:00 relay03 postfix-out/smtp[7]: 3Fz9Kx1y2Wz4: to=<a@b.example>, orig_to=<alias@c.example>, relay=mx.b.example[2001:db8::1]:25, conn_use=2, " SENT_TAIL,
	  MAILLOG_DELIVERY, 1795768299, "relay03", "postfix-out/smtp", "3Fz9Kx1y2Wz4", "a@b.example", "b.example",
	  "mx.b.example", "2001:db8::1", "2.0.0", MAILLOG_STATUS_SENT, 0, 0, 0, 250, NULL },
	/* journalctl -o short-iso: "+0900", no fraction */
	{ "2026-11-27T17:31:39+0900 mx1 postfix/lmtp[9]: ABCDE12345: to=<u@local.example>, relay=mail.local.example[private/dovecot-lmtp], " SENT_TAIL,
	  MAILLOG_DELIVERY, 1795768299, "mx1", "postfix/lmtp", NULL, NULL, "local.example",
	  "mail.local.example", "private/dovecot-lmtp", NULL, MAILLOG_STATUS_SENT, 0, 0, 0, 250, NULL },
	/* Z, and a space-padded day in syslog format */
	{ "2026-11-27T08:31:39Z h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=x[1.2.3.4]:25, " SENT_TAIL,
	  MAILLOG_DELIVERY, 1795768299, "h", NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_SENT, 0, 0, 0, 250, NULL },
	{ "Nov  7 01:02:03 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=x[1.2.3.4]:25, " SENT_TAIL,
	  MAILLOG_DELIVERY, 1794013323, "h", NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_SENT, 0, 0, 0, 250, NULL },
	/* Postfix 3.7 maillog_file (postlogd), as measured on a private instance */
	{ "Nov 27 18:08:55 pfx-sandbox postfix/smtp[21717]: 13F12A72003: to=<u@gmail.test>, relay=127.0.0.1[127.0.0.1]:2602, delay=0.12, delays=0.02/0.04/0/0.06, dsn=4.7.0, status=deferred (host 127.0.0.1[127.0.0.1] said: 421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to user complaints (in reply to RCPT TO command))",
	  MAILLOG_DELIVERY, 1795802935, "pfx-sandbox", "postfix/smtp", "13F12A72003", "u@gmail.test", "gmail.test",
	  "127.0.0.1", "127.0.0.1", "4.7.0", MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_RCPT, 0, 0, 421,
	  "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to user complaints" },
	/* greeting refusal: relay=none, the host comes from the text */
	{ "Nov 27 17:31:45 relay05 postfix/smtp[12310]: 79AFFD2B49C: to=<info@fabrikam.example>, relay=none, delay=2.44, delays=0.02/0.01/1.22/1.22, dsn=5.7.606, status=bounced (host fabrikam-example.mail.protection.outlook.com[52.101.174.1] refused to talk to me: 550 5.7.606 Access denied, banned sending IP [203.0.113.125].)",
	  MAILLOG_DELIVERY, 1795800705, "relay05", NULL, NULL, NULL, "fabrikam.example",
	  "fabrikam-example.mail.protection.outlook.com", "52.101.174.1", "5.7.606", MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_GREETING, 0, 0, 550, "550 5.7.606 Access denied, banned sending IP [203.0.113.125]." },
	/* replies at each stage */
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=4.7.1, status=deferred (host mx[1.2.3.4] said: 451 4.7.1 Try later (in reply to MAIL FROM command))",
	  MAILLOG_DELIVERY, 1795798800, NULL, NULL, NULL, NULL, NULL, "mx", NULL, "4.7.1", MAILLOG_STATUS_DEFERRED,
	  MAILLOG_STAGE_MAIL, 0, 0, 451, "451 4.7.1 Try later" },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[1.2.3.4] said: 550 5.1.1 <u@x.example>: no such user (in reply to RCPT TO command))",
	  MAILLOG_DELIVERY, 1795798800, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_RCPT, 0, 0, 550, "550 5.1.1 <u@x.example>: no such user" },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx[1.2.3.4] said: 554 Transaction failed (in reply to DATA command))",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_DATA, 0, 0, 554, "554 Transaction failed" },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (host mx[1.2.3.4] said: 550 5.7.1 spam (see (this)) (in reply to end of DATA command))",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_EOD, 0, 0, 550, "550 5.7.1 spam (see (this))" },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=5.5.2, status=bounced (host mx[1.2.3.4] said: 501 5.5.2 bad HELO (in reply to EHLO command))",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_HELO, 0, 0, 501, NULL },
	/* a multi-line reply as Postfix joins it */
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@gmail.com>, relay=aspmx.l.google.com[142.250.1.1]:25, delay=1, delays=0/0/0/1, dsn=5.7.28, status=bounced (host aspmx.l.google.com[142.250.1.1] said: 550-5.7.28 first line 550-5.7.28 second line 550 5.7.28 last line - gsmtp (in reply to RCPT TO command))",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "5.7.28", MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_RCPT, 0, 0, 550, "550-5.7.28 first line 550-5.7.28 second line 550 5.7.28 last line - gsmtp" },
	/* connection failures */
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@icloud.com>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx02.mail.icloud.com[17.57.155.9]:25: Connection refused)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "mx02.mail.icloud.com", "17.57.155.9", "4.4.1",
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_CONNECT, MAILLOG_CONN_REFUSED, 0, 0,
	  "connect to mx02.mail.icloud.com[17.57.155.9]:25: Connection refused" },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@icloud.com>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx02.mail.icloud.com[17.57.155.9]:25: Connection timed out)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "mx02.mail.icloud.com", NULL, NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_CONNECT, MAILLOG_CONN_TIMEOUT, 0, 0, NULL },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.x.example[2001:db8::25]:25: No route to host)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "mx.x.example", "2001:db8::25", NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_CONNECT, MAILLOG_CONN_UNREACHABLE, 0, 0, NULL },
	{ "Nov 27 17:32:47 mx07 postfix/smtp[12475]: D5966D513B1: to=<ken@mac.com>, relay=mx01.mail.icloud.com[17.57.29.9]:25, delay=30, delays=0.02/0/30/0, dsn=4.4.1, status=deferred (lost connection with mx01.mail.icloud.com[17.57.29.9] while receiving the initial server greeting)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "mx01.mail.icloud.com", "17.57.29.9", NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_GREETING, MAILLOG_CONN_LOST, 0, 0, NULL },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=30, delays=0/0/30/0, dsn=4.4.2, status=deferred (lost connection with mx[1.2.3.4] while sending RCPT TO)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "4.4.2",
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_RCPT, MAILLOG_CONN_LOST, 0, 0, NULL },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@qq.com>, relay=mx1.qq.com[183.3.193.11]:25, delay=30, delays=0/0/0/30, dsn=4.4.2, status=deferred (conversation with mx1.qq.com[183.3.193.11] timed out while sending end of data -- message may be sent more than once)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "mx1.qq.com", NULL, NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_EOD, MAILLOG_CONN_CONV_TIMEOUT, 0, 0, NULL },
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@nx.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=nx.example type=MX: Host not found, try again)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "", NULL, NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_NONE, MAILLOG_CONN_DNS, 0, 0, NULL },
	/* Postfix's own "delivery temporarily suspended": not evidence */
	{ "Nov 27 17:33:24 relay05 postfix/error[12560]: B6F2AED4C21: to=<taro@gmail.com>, relay=none, delay=1830, delays=1830/0.02/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to alt1.gmail-smtp-in.l.google.com[142.250.76.27]:25: Connection timed out)",
	  MAILLOG_DELIVERY, 0, NULL, "postfix/error", NULL, NULL, "gmail.com", "alt1.gmail-smtp-in.l.google.com", NULL, NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_CONNECT, MAILLOG_CONN_TIMEOUT, 1, 0, NULL },
	{ "Nov 27 17:33:24 relay05 postfix/smtp[1]: B6F2AED4C21: to=<taro@gmail.com>, relay=none, delay=1830, delays=1830/0.02/0/0, dsn=4.7.0, status=deferred (delivery temporarily suspended: host gmail-smtp-in.l.google.com[142.250.76.27] refused to talk to me: 421 4.7.0 Try again later)",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, "gmail-smtp-in.l.google.com", NULL, NULL,
	  MAILLOG_STATUS_DEFERRED, MAILLOG_STAGE_GREETING, 0, 1, 421, "421 4.7.0 Try again later" },
	/* sender activity */
	{ "Nov 27 17:30:55 mx07 postfix/submission/smtpd[11802]: 4F2A71C0B3D: client=unknown[198.51.100.77], sasl_method=LOGIN, sasl_username=info@shop.example.jp",
	  MAILLOG_CLIENT, 1795800655, "mx07", "postfix/submission/smtpd", "4F2A71C0B3D", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL },
	{ "Nov 27 17:30:55 mx07 postfix/qmgr[1020]: 4F2A71C0B3D: from=<info@shop.example.jp>, size=48213, nrcpt=1 (queue active)",
	  MAILLOG_QMGR, 1795800655, "mx07", "postfix/qmgr", "4F2A71C0B3D", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL },
	{ "Nov 27 17:30:55 mx07 postfix/qmgr[1020]: 4F2A71C0B3D: from=<a@b.example>, status=expired, returned to sender",
	  MAILLOG_QMGR, 1795800655, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_EXPIRED, 0, 0, 0, 0, NULL },
	/* lines of no interest */
	{ "Nov 27 17:30:55 mx07 postfix/smtpd[1]: connect from unknown[198.51.100.77]", MAILLOG_IGNORE, 1795800655,
	  "mx07", "postfix/smtpd", NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL },
	{ "Nov 27 17:30:55 mx07 postfix/cleanup[1]: 4F2A71C0B3D: message-id=<x@y>", MAILLOG_IGNORE, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL },
	{ "Nov 27 17:30:55 mx07 postfix/smtp[1]: warning: no MX host for x.example has a valid address record", MAILLOG_IGNORE, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL },
	{ "Nov 27 17:30:55 mx07 sshd[1]: Accepted publickey for root", MAILLOG_IGNORE, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL },
	/* UTF-8 in a reply is fine */
	{ "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx[1.2.3.4] said: 550 \xe5\x8f\x97\xe4\xbf\xa1\xe6\x8b\x92\xe5\x90\xa6 \xf0\x9f\x93\xa7 (in reply to RCPT TO command))",
	  MAILLOG_DELIVERY, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAILLOG_STATUS_BOUNCED,
	  MAILLOG_STAGE_RCPT, 0, 0, 550, NULL },
};

static void
test_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct maillog_clock clk;
		struct maillog_rec r;
		maillog_clock_init(&clk, REF);
		enum maillog_kind k = maillog_parse_line(c->line, strlen(c->line), &clk, &r);
		if (k != c->kind)
			fail_msg("case %zu: kind %d, want %d (%s)", i, k, c->kind, r.error ? r.error : "");
		if (c->ts != 0 && r.ts != c->ts)
			fail_msg("case %zu: ts %lld, want %lld", i, (long long)r.ts, c->ts);
		check_str(i, "host", r.host, c->host);
		check_str(i, "service", r.service, c->service);
		check_str(i, "queue id", r.queue_id, c->qid);
		check_str(i, "rcpt", r.rcpt, c->rcpt);
		check_str(i, "domain", r.domain, c->domain);
		check_str(i, "relay", r.relay_host, c->relay);
		check_str(i, "ip", r.relay_ip, c->ip);
		check_str(i, "dsn", r.dsn, c->dsn);
		check_str(i, "reply", r.reply, c->reply);
		if (k != MAILLOG_DELIVERY && k != MAILLOG_QMGR)
			continue;
		if (r.status != c->status || r.stage != c->stage || r.conn != c->conn ||
		    r.suspended != c->suspended || r.reply_code != c->code)
			fail_msg("case %zu: status %d stage %d conn %d suspended %d code %u, "
			    "want %d %d %d %d %u", i, r.status, r.stage, r.conn, r.suspended,
			    r.reply_code, c->status, c->stage, c->conn, c->suspended, c->code);
	}
}

static void
test_sender_fields(void **state)
{
	struct maillog_clock clk;
	struct maillog_rec r;
	const char *q = "Nov 27 17:30:55 mx07 postfix/qmgr[1020]: 4F2A71C0B3D: from=<info@shop.example.jp>, size=48213, nrcpt=3 (queue active)";
	const char *s = "Nov 27 17:30:55 mx07 postfix/submission/smtpd[11802]: 4F2A71C0B3D: client=unknown[198.51.100.77], sasl_method=LOGIN, sasl_username=info@shop.example.jp";

	(void)state;
	maillog_clock_init(&clk, REF);
	assert_int_equal(maillog_parse_line(q, strlen(q), &clk, &r), MAILLOG_QMGR);
	check_str(0, "sender", r.sender, "info@shop.example.jp");
	assert_int_equal(r.size, 48213);
	assert_int_equal(r.nrcpt, 3);
	assert_int_equal(maillog_parse_line(s, strlen(s), &clk, &r), MAILLOG_CLIENT);
	check_str(1, "client", r.client_host, "unknown");
	check_str(1, "client ip", r.client_ip, "198.51.100.77");
	check_str(1, "sasl", r.sasl_username, "info@shop.example.jp");
}

static void
test_year_inference(void **state)
{
	struct maillog_clock clk;
	struct maillog_rec r;
	const char *dec = "Dec 31 23:59:59 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=x[1.2.3.4]:25, " SENT_TAIL;
	const char *nov = "Nov 27 00:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=x[1.2.3.4]:25, " SENT_TAIL;

	(void)state;
	maillog_clock_init(&clk, 1799107200);   /* 2027-01-05: December is last year's */
	assert_int_equal(maillog_parse_line(dec, strlen(dec), &clk, &r), MAILLOG_DELIVERY);
	assert_int_equal(r.ts, 1798761599);
	maillog_clock_init(&clk, REF);           /* 2026-11-27: December is next month, same year */
	assert_int_equal(maillog_parse_line(dec, strlen(dec), &clk, &r), MAILLOG_DELIVERY);
	assert_int_equal(r.ts, 1798761599);
	assert_int_equal(maillog_parse_line(nov, strlen(nov), &clk, &r), MAILLOG_DELIVERY);
	assert_int_equal(r.ts, 1795737600);
}

struct gcase {
	const char *line;
	size_t len;
	const char *error;
};

#define G(s, e) { s, sizeof(s) - 1, e }
#define OKP "Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=x[1.2.3.4]:25, "

static const struct gcase garbage[] = {
	G("", "has no timestamp"),
	G("\x00\x01\x02\x03", "contains a NUL byte"),
	G(OKP "dsn=2.0.0, status=sent (250 \x00 OK)", "contains a NUL byte"),
	G(OKP "dsn=2.0.0, status=sent (250 \x1b[31m OK)", "contains a control character"),
	G(OKP "dsn=2.0.0, status=sent (250 \x7f OK)", "contains a control character"),
	G(OKP "dsn=2.0.0, status=sent (250 \xff OK)", "is not valid UTF-8"),
	G(OKP "dsn=2.0.0, status=sent (250 \xc0\xaf OK)", "is not valid UTF-8"),       /* overlong */
	G(OKP "dsn=2.0.0, status=sent (250 \xed\xa0\x80 OK)", "is not valid UTF-8"),   /* surrogate */
	G(OKP "dsn=2.0.0, status=sent (250 \x80 OK)", "is not valid UTF-8"),           /* lone continuation */
	G(OKP "dsn=2.0.0, status=sent (250 \xe3\x81)", "is not valid UTF-8"),          /* cut sequence */
	G(OKP "dsn=2.0.0, status=sent (250 \xf4\x90\x80\x80)", "is not valid UTF-8"),  /* above U+10FFFF */
	G("Foo 27 17:00:00 h postfix/smtp[1]: x", "has no timestamp"),
	G("Nov 32 17:00:00 h postfix/smtp[1]: x", "has no timestamp"),
	G("Nov 27 25:00:00 h postfix/smtp[1]: x", "has no timestamp"),
	G("2026-13-27T17:00:00Z h postfix/smtp[1]: x", "has no timestamp"),
	G("2026-11-27T17:00:00 h postfix/smtp[1]: x", "has no timestamp"),
	G("Nov 27 17:00:00 h", "has no host name"),
	G("Nov 27 17:00:00 h postfix/smtp[1x]: x", "has a malformed process id"),
	G("Nov 27 17:00:00 h postfix/smtp[1] x", "has no ': ' after the service"),
	G(OKP "dsn=2.0.0, status=wibble (250 OK)", "has an unknown status"),
	G(OKP "dsn=2.0.0, status=sent", "has a truncated status text"),
	G(OKP "dsn=2.0.0, status=sent (250 OK", "has a truncated status text"),
	G(OKP "dsn=2.0.0", "has no status (truncated?)"),
	G("Nov 27 17:00:00 h postfix/smtp[1]: ABCDE12345: to=<u@x.example", "has a truncated recipient"),
};

static void
test_garbage(void **state)
{
	struct maillog_rec r;

	(void)state;
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		enum maillog_kind k = parse_exact(garbage[i].line, garbage[i].len, &r);
		if (k != MAILLOG_REJECT)
			fail_msg("garbage %zu: kind %d, not rejected", i, k);
		if (strcmp(r.error, garbage[i].error) != 0)
			fail_msg("garbage %zu: \"%s\", want \"%s\"", i, r.error, garbage[i].error);
	}
}

static void
test_huge_and_random(void **state)
{
	struct maillog_rec r;
	size_t n = 1u << 20;
	char *big = malloc(n);

	(void)state;
	/* a 1 MiB line: a valid prefix and a reply that never ends */
	memset(big, 'a', n);
	memcpy(big, OKP "dsn=5.0.0, status=bounced (", sizeof(OKP "dsn=5.0.0, status=bounced (") - 1);
	assert_int_equal(parse_exact(big, n, &r), MAILLOG_REJECT);
	assert_string_equal(r.error, "is longer than the line limit");
	/* random bytes: never a crash, never a delivery */
	srand(1);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % 300);
		for (size_t j = 0; j < len; j++)
			big[j] = (char)(rand() % 256);
		assert_int_not_equal(parse_exact(big, len, &r), MAILLOG_DELIVERY);
	}
	free(big);
}

/* Every proper prefix of real lines: rejected or ignored, never read past its end. */
static void
test_truncated(void **state)
{
	struct maillog_rec r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].kind != MAILLOG_DELIVERY)
			continue;
		size_t full = strlen(cases[i].line);
		for (size_t len = 0; len < full; len++) {
			enum maillog_kind k = parse_exact(cases[i].line, len, &r);
			if (k != MAILLOG_REJECT && k != MAILLOG_IGNORE)
				fail_msg("case %zu cut at %zu: kind %d", i, len, k);
		}
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(maillog_stage_name(MAILLOG_STAGE_EOD), "eod");
	assert_string_equal(maillog_stage_name(MAILLOG_STAGE_GREETING), "greeting");
	assert_string_equal(maillog_status_name(MAILLOG_STATUS_EXPIRED), "expired");
	assert_string_equal(maillog_status_name(MAILLOG_STATUS_NONE), "");
	struct maillog_str s = { "Postfix/SMTP", 12 };
	assert_true(maillog_str_eq(s, "postfix/smtp"));
	assert_false(maillog_str_eq(s, "postfix/smtpd"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_sender_fields),
		cmocka_unit_test(test_year_inference),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_huge_and_random),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_names),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
