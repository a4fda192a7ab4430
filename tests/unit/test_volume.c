/*
 * test_volume.c: sender surges from real Postfix log lines through the
 * real parser: steady senders stay quiet, a quiet account jumping 100x
 * gives exactly one event, many client IPs for one SASL user give one,
 * warm-up, and memory bounded under a million distinct senders.
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
#include "volume.h"

struct seen {
	int rate, ips, node;
	double node_rate, node_baseline;
	char sender[128];
	double last_rate, last_baseline;
	int last_ips, deferred, nqids;
	char qid0[16];
};

static void
on_event(const struct volume_event *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->kind == VOLUME_NODE) {
		assert_string_equal(ev->sender, "*");
		s->node++;
		s->node_rate = ev->rate;
		s->node_baseline = ev->baseline;
		return;
	}
	if (ev->kind == VOLUME_RATE)
		s->rate++;
	else
		s->ips++;
	snprintf(s->sender, sizeof(s->sender), "%s", ev->sender);
	s->last_rate = ev->rate;
	s->last_baseline = ev->baseline;
	s->last_ips = ev->client_ips;
	s->deferred = ev->deferred;
	s->nqids = ev->nqueue_ids;
	snprintf(s->qid0, sizeof(s->qid0), "%s", ev->nqueue_ids ? ev->queue_ids[0] : "");
}

static struct maillog_clock clk;
static unsigned long qseq;

static void
feed_line(struct volume *v, const char *line)
{
	struct maillog_rec rec;

	if (maillog_parse_line(line, strlen(line), &clk, &rec) == MAILLOG_REJECT)
		fail_msg("parser refused: %s (%s)", line, rec.error);
	volume_feed(v, &rec);
}

static void
stamp(char *buf, size_t len, long t)
{
	time_t at = 1795773600 + t;      /* 2026-11-27T10:00:00Z */
	struct tm tm;

	gmtime_r(&at, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* One message from sender (SASL user when sasl) with n recipients at t. */
static void
message(struct volume *v, long t, const char *sender, int n, int sasl, const char *ip)
{
	char ts[40], line[512], qid[16];

	stamp(ts, sizeof(ts), t);
	snprintf(qid, sizeof(qid), "%lX", 0x10000000UL + qseq++);
	if (sasl) {
		snprintf(line, sizeof(line), "%s mx07 postfix/submission/smtpd[11802]: %s: client=unknown[%s],"
		    " sasl_method=LOGIN, sasl_username=%s", ts, qid, ip, sender);
		feed_line(v, line);
	}
	snprintf(line, sizeof(line), "%s mx07 postfix/qmgr[1020]: %s: from=<%s>, size=4821, nrcpt=%d"
	    " (queue active)", ts, qid, sasl ? "bounce-proof@example.org" : sender, n);
	feed_line(v, line);
}

static struct volume *
tracker(struct seen *seen)
{
	struct volume_config cfg;

	volume_config_defaults(&cfg);
	memset(seen, 0, sizeof(*seen));
	maillog_clock_init(&clk, 1795000000);
	return volume_new(&cfg, on_event, seen);
}

static void
test_steady_senders_are_quiet(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);

	(void)state;
	/* two hours: a newsletter at 300 recipients a minute, twenty users at 5 */
	for (long m = 0; m < 120; m++) {
		for (int i = 0; i < 10; i++)
			message(v, m * 60 + i * 5, "news@shop.example", 30, 0, NULL);
		for (int u = 0; u < 20; u++) {
			char who[64];
			snprintf(who, sizeof(who), "user%d@example.jp", u);
			message(v, m * 60 + 3 + u, who, 5, 1, "203.0.113.9");
		}
	}
	assert_int_equal(seen.rate, 0);
	assert_int_equal(seen.ips, 0);
	assert_int_equal(seen.node, 0);   /* the node's total is steady too */
	assert_int_equal(volume_count(v), 21);
	volume_free(v);
}

static void
test_quiet_account_jumps_100x(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);

	(void)state;
	for (long m = 0; m < 60; m++)
		message(v, m * 60 + 7, "info@shop.example.jp", 3, 1, "198.51.100.77");
	assert_int_equal(seen.rate, 0);
	/* taken over: 300 recipients a minute for ten minutes */
	for (long m = 60; m < 70; m++)
		for (int i = 0; i < 30; i++)
			message(v, m * 60 + i * 2, "info@shop.example.jp", 10, 1, "198.51.100.77");
	assert_int_equal(seen.rate, 1);
	assert_int_equal(seen.node, 0);   /* explained by the sender: one event, not two */
	assert_string_equal(seen.sender, "info@shop.example.jp");
	assert_true(seen.last_rate > 100);
	assert_true(seen.last_baseline < 5);
	assert_true(seen.nqids > 0);
	volume_free(v);
}

/* A deferred message's retries log qmgr's from=/nrcpt= line again (and a
 * flush or the agent's requeue after a flip does too): the same queue ids
 * seen again are not a second surge, nor new volume. */
static void
test_retries_are_not_volume(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);
	char ts[40], line[512];

	(void)state;
	for (long m = 0; m < 60; m++)
		message(v, m * 60 + 7, "info@shop.example.jp", 3, 1, "198.51.100.77");
	unsigned long first = qseq;
	for (int i = 0; i < 30; i++)
		message(v, 3600 + i, "info@shop.example.jp", 10, 1, "198.51.100.77");
	assert_int_equal(seen.rate, 1);
	unsigned long last = qseq;
	/* a quiet interval, then every one of them retried, twice */
	for (int round = 0; round < 2; round++) {
		message(v, 3720 + round * 600, "info@shop.example.jp", 3, 1, "198.51.100.77");
		for (unsigned long q = first; q < last; q++) {
			stamp(ts, sizeof(ts), 3900 + round * 600 + (long)(q - first));
			snprintf(line, sizeof(line), "%s mx07 postfix/qmgr[1020]: %lX: from=<bounce-proof@"
			    "example.org>, size=4821, nrcpt=10 (queue active)", ts, 0x10000000UL + q);
			feed_line(v, line);
		}
	}
	assert_int_equal(seen.rate, 1);
	assert_int_equal(seen.node, 0);
	volume_free(v);
}

static void
test_many_client_ips(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);

	(void)state;
	for (int i = 0; i < 12; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "192.0.2.%d", 10 + i);
		message(v, 100 + i * 120, "alice@example.jp", 1, 1, ip);
	}
	assert_int_equal(seen.ips, 1);
	assert_int_equal(seen.last_ips, 6);
	assert_string_equal(seen.sender, "alice@example.jp");
	/* the same few IPs all day: nothing */
	struct seen seen2;
	struct volume *w = tracker(&seen2);
	for (int i = 0; i < 200; i++)
		message(w, i * 300, "bob@example.jp", 1, 1, i % 2 ? "192.0.2.1" : "192.0.2.2");
	assert_int_equal(seen2.ips, 0);
	volume_free(v);
	volume_free(w);
}

static void
test_warmup(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);

	(void)state;
	/* a busy sender at start-up is learnt, not reported */
	for (int i = 0; i < 50; i++)
		message(v, 10 + i, "busy@example.com", 10, 0, NULL);
	assert_int_equal(seen.rate, 0);
	/* but a rate above the warm-up ceiling is reported even then */
	for (int i = 0; i < 30; i++)
		message(v, 70 + i, "blast@example.com", 50, 0, NULL);
	assert_int_equal(seen.rate, 1);
	assert_string_equal(seen.sender, "blast@example.com");
	volume_free(v);
}

static void
test_deferred_counts(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);
	char line[512], ts[40];

	(void)state;
	for (long m = 0; m < 40; m++)
		message(v, m * 60, "carol@example.jp", 1, 0, NULL);
	/* the surge's first messages are deferred by a provider */
	for (int i = 0; i < 5; i++) {
		message(v, 2400 + i, "carol@example.jp", 10, 0, NULL);
		stamp(ts, sizeof(ts), 2400 + i);
		snprintf(line, sizeof(line), "%s mx07 postfix/smtp[2211]: %lX: to=<x%d@gmail.com>,"
		    " relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, delays=0/0/0.5/0.5,"
		    " dsn=4.7.28, status=deferred (host gmail-smtp-in.l.google.com[142.250.1.27] said:"
		    " 421 4.7.28 Our system has detected an unusual rate of unsolicited mail (in reply to"
		    " end of DATA command))", ts, 0x10000000UL + qseq - 1, i);
		feed_line(v, line);
	}
	for (int i = 0; i < 20; i++)
		message(v, 2410 + i, "carol@example.jp", 10, 0, NULL);
	assert_int_equal(seen.rate, 1);
	assert_int_equal(seen.deferred, 5);
	volume_free(v);
}

/* Many accounts, each under its own threshold, together far above the node's. */
static void
test_node_total(void **state)
{
	struct seen seen;
	struct volume *v = tracker(&seen);

	(void)state;
	/* an hour: 20 users sending 5 recipients a minute, 100 in all */
	for (long m = 0; m < 60; m++)
		for (int u = 0; u < 20; u++) {
			char who[64];
			snprintf(who, sizeof(who), "user%d@example.jp", u);
			message(v, m * 60 + 2 * u, who, 5, 1, "203.0.113.9");
		}
	assert_int_equal(seen.node, 0);
	/* 200 fresh accounts at 8 recipients each: 1,600 in a minute */
	for (int u = 0; u < 200; u++) {
		char who[64];
		snprintf(who, sizeof(who), "bot%d@example.jp", u);
		message(v, 3600 + u / 4, who, 8, 1, "198.51.100.7");
	}
	assert_int_equal(seen.rate, 0);
	assert_int_equal(seen.node, 1);
	assert_true(seen.node_rate > 1000);
	assert_true(seen.node_baseline > 80 && seen.node_baseline < 120);
	volume_free(v);
}

static void
test_bounded_memory(void **state)
{
	struct seen seen;
	struct volume_config cfg;
	struct volume *v;
	char who[64];

	(void)state;
	volume_config_defaults(&cfg);
	cfg.max_senders = 10000;
	memset(&seen, 0, sizeof(seen));
	maillog_clock_init(&clk, 1795000000);
	v = volume_new(&cfg, on_event, &seen);
	size_t empty = volume_bytes(v);
	for (long i = 0; i < 1000000; i++) {
		snprintf(who, sizeof(who), "sender%07ld@spam.example", i);
		message(v, i / 1000, who, 1, 0, NULL);
	}
	assert_int_equal(volume_count(v), 10000);
	size_t per = (volume_bytes(v) - empty) / volume_count(v);
	print_message("tracked %zu senders in %zu bytes (%zu bytes each, %zu fixed)\n",
	    volume_count(v), volume_bytes(v), per, empty);
	assert_true(per < 400);
	assert_true(volume_bytes(v) < empty + 10000 * 400);
	volume_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_senders_are_quiet),
		cmocka_unit_test(test_quiet_account_jumps_100x),
		cmocka_unit_test(test_retries_are_not_volume),
		cmocka_unit_test(test_many_client_ips),
		cmocka_unit_test(test_warmup),
		cmocka_unit_test(test_deferred_counts),
		cmocka_unit_test(test_node_total),
		cmocka_unit_test(test_bounded_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
