/*
 * test_report.c: the report's tables under load. More distinct unknown
 * replies than the table holds: the frequent ones are still there, with
 * counts bounded as documented, and the text says the table overflowed;
 * long replies are cut; block episodes merge a repeated block and end at
 * a clear; surges group per (node, sender); blocks and surges stop at
 * their caps and count what they drop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"
#include "reporttext.h"
#include "strbuf.h"

static void
feed(struct report *r, const char *provider, const char *reply, time_t ts)
{
	struct delivery d;

	memset(&d, 0, sizeof(d));
	d.rec.ts = ts;
	d.rec.status = MAILLOG_STATUS_BOUNCED;
	d.rec.reply.p = reply;
	d.rec.reply.len = strlen(reply);
	d.provider = provider;
	d.res.cls = CLASS_UNKNOWN;
	report_record(r, MAILLOG_DELIVERY, &d);
}

/* "550 5.9.9 zqx aaa", "... aab", ...: distinct after masking (letters only). */
static void
word(char *buf, size_t size, int i)
{
	snprintf(buf, size, "550 5.9.9 zqx %c%c%c at 192.0.2.%d", 'a' + i / 676 % 26,
	    'a' + i / 26 % 26, 'a' + i % 26, i % 250);
}

static void
test_unknown_bounded(void **state)
{
	struct report *r = report_new();
	char buf[128];
	int distinct = 3000, early = 0, late = 0;

	(void)state;
	for (int i = 0; i < distinct; i++) {
		word(buf, sizeof(buf), i);
		feed(r, "other", buf, 1000 + i);
		if (i % 10 == 0) {
			feed(r, "google", "554 5.9.9 zqx frequent from the start 4F2A71C0B3D", 1000 + i);
			early++;
		}
		if (i >= 2500 && i % 4 == 0) {
			feed(r, "yahoo", "421 4.9.9 zqx frequent at the end only", 1000 + i);
			late++;
		}
	}
	const struct report_view *v = report_finish(r, 0, 0);
	assert_int_equal(v->nunknown, REPORT_UNKNOWN);
	assert_int_equal(v->unknown_deliveries, distinct + early + late);
	assert_true(v->unknown_evicted >= distinct + 2 - REPORT_UNKNOWN);
	/* both frequent replies survive, at the top; count - error <= true <= count */
	const struct report_unknown *a = v->unknown[0], *b = v->unknown[1];
	assert_string_equal(a->reply, "554 5.9.9 zqx frequent from the start <id>");
	assert_true(a->count >= early && a->count - a->error <= early);
	assert_string_equal(a->providers[0], "google");
	assert_string_equal(b->reply, "421 4.9.9 zqx frequent at the end only");
	assert_true(b->count >= late && b->count - b->error <= late);
	/* the list is sorted by count */
	for (size_t i = 1; i < v->nunknown; i++)
		assert_true(v->unknown[i - 1]->count >= v->unknown[i]->count);

	struct strbuf out = STRBUF_INIT;
	reporttext_unknown(v, 3, &out);
	assert_non_null(strstr(out.buf, "Unknown replies: 3425 of 3425 deliveries, over 1000 distinct\n"));
	assert_non_null(strstr(out.buf, "  ... and 997 more (raise --top to list them)\n"));
	assert_non_null(strstr(out.buf, "\n  (over 1000 distinct replies: the rarest gave way "));
	assert_non_null(strstr(out.buf, " times; a count with ~ may be too high)\n"));
	assert_non_null(strstr(out.buf, "\n   ~127  yahoo      421 4.9.9 zqx frequent at the end only\n"));
	strbuf_clear(&out);
	report_free(r);
}

/* A reply of 5000 bytes is kept cut, both masked and as the example. */
static void
test_long_reply_cut(void **state)
{
	struct report *r = report_new();
	char *reply = malloc(5001);

	(void)state;
	memcpy(reply, "550 5.9.9 ", 10);
	memset(reply + 10, 'x', 4990);
	reply[5000] = '\0';
	feed(r, "other", reply, 1);
	feed(r, "other", reply, 2);
	const struct report_view *v = report_finish(r, 2, 0);
	assert_int_equal(v->nunknown, 1);
	assert_int_equal(v->unknown[0]->count, 2);
	assert_int_equal(strlen(v->unknown[0]->reply), REPORT_REPLY_MAX - 1);
	assert_int_equal(strlen(v->unknown[0]->example), REPORT_REPLY_MAX - 1);
	assert_int_equal(v->first, 1);
	assert_int_equal(v->last, 2);
	free(reply);
	report_free(r);
}

static void
block_event(struct report *r, enum detector_event_type type, const char *node, time_t at,
    time_t since, int count)
{
	struct detector_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.node = node;
	ev.provider = "yahoo";
	ev.cls = CLASS_REPUTATION;
	ev.at = at;
	ev.since = since;
	ev.count = count;
	report_detector(r, &ev);
}

static void
test_block_episodes(void **state)
{
	struct report *r = report_new();

	(void)state;
	block_event(r, DETECTOR_BLOCK, "mx01", 100, 100, 5);
	block_event(r, DETECTOR_BLOCK, "mx01", 900, 100, 8);   /* repeated after silence */
	block_event(r, DETECTOR_CLEAR, "mx01", 1000, 100, 10);
	block_event(r, DETECTOR_BLOCK, "mx01", 2000, 2000, 6);  /* a new episode */
	block_event(r, DETECTOR_CLEAR, "mx02", 2100, 50, 10);   /* a clear of nothing kept */
	const struct report_view *v = report_finish(r, 0, 0);
	assert_int_equal(v->nblocks, 2);
	assert_int_equal(v->blocks[0]->start, 2000);   /* the open one first */
	assert_int_equal(v->blocks[0]->end, 0);
	assert_int_equal(v->blocks[0]->count, 6);
	assert_int_equal(v->blocks[1]->start, 100);
	assert_int_equal(v->blocks[1]->end, 1000);
	assert_int_equal(v->blocks[1]->count, 8);
	report_free(r);

	/* at most REPORT_BLOCKS episodes, the rest counted */
	r = report_new();
	char node[32];
	for (int i = 0; i < REPORT_BLOCKS + 3; i++) {
		snprintf(node, sizeof(node), "mx%05d", i);
		block_event(r, DETECTOR_BLOCK, node, 100 + i, 100 + i, 5);
	}
	v = report_finish(r, 0, 0);
	assert_int_equal(v->nblocks, REPORT_BLOCKS);
	assert_int_equal(v->blocks_dropped, 3);
	report_free(r);
}

static void
surge(struct report *r, enum volume_kind kind, const char *node, const char *sender, int sasl,
    double rate, time_t at)
{
	struct volume_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.node = node;
	ev.sender = sender;
	ev.sasl = sasl;
	ev.rate = rate;
	ev.at = at;
	report_volume(&ev, r);
}

static void
test_surges(void **state)
{
	struct report *r = report_new();

	(void)state;
	surge(r, VOLUME_RATE, "mx01", "info@shop.example", 1, 150, 100);
	surge(r, VOLUME_CLIENT_IPS, "mx01", "info@shop.example", 1, 20, 200);
	surge(r, VOLUME_RATE, "mx01", "info@shop.example", 1, 400, 300);
	surge(r, VOLUME_RATE, "mx01", "info@shop.example", 0, 120, 310);   /* the envelope address */
	surge(r, VOLUME_NODE, "mx02", "*", 0, 5000, 50);
	const struct report_view *v = report_finish(r, 0, 0);
	assert_int_equal(v->nsurges, 3);
	/* latest first */
	assert_int_equal(v->surges[0]->sasl, 0);
	assert_int_equal(v->surges[0]->last, 310);
	const struct report_surge *s = v->surges[1];
	assert_string_equal(s->sender, "info@shop.example");
	assert_int_equal(s->sasl, 1);
	assert_int_equal(s->events, 3);
	assert_int_equal(s->start, 100);
	assert_int_equal(s->last, 300);
	assert_true(s->rate == 400);
	assert_int_equal(s->reasons, (1u << VOLUME_RATE) | (1u << VOLUME_CLIENT_IPS));
	assert_string_equal(v->surges[2]->sender, "*");

	struct strbuf out = STRBUF_INIT;
	reporttext_full(v, 10, &out);
	assert_non_null(strstr(out.buf, "  mx01  info@shop.example  sasl      rate,client_ips  "
	    "1970-01-01T00:01:40Z  1970-01-01T00:05:00Z       3   400\n"));
	assert_non_null(strstr(out.buf, "  mx02  *                  node      node_total  "));
	strbuf_clear(&out);
	report_free(r);

	r = report_new();
	char sender[64];
	for (int i = 0; i < REPORT_SURGES + 5; i++) {
		snprintf(sender, sizeof(sender), "u%d@example.com", i);
		surge(r, VOLUME_RATE, "mx01", sender, 1, 200, 100 + i);
	}
	v = report_finish(r, 0, 0);
	assert_int_equal(v->nsurges, REPORT_SURGES);
	assert_int_equal(v->surges_dropped, 5);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_bounded),
		cmocka_unit_test(test_long_reply_cut),
		cmocka_unit_test(test_block_episodes),
		cmocka_unit_test(test_surges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
