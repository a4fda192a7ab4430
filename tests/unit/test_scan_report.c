/*
 * test_scan_report.c: the real "postroute-agent scan --report" and
 * "--unknown" ($POSTROUTE_BINDIR) on tests/data/report-basic.log, a log
 * written by hand with known counts:
 *
 *   provider   sent deferred bounced  classes
 *   google       16        6       4  rate_limit 6 (mx02, a block then a
 *                                     clear), user_unknown 3, unknown 1
 *   microsoft     4        0       7  block 5 (relay01, still open),
 *                                     user_unknown 2
 *   other         3        2       3  unknown 5
 *   yahoo         5        2       1  reputation 2, unknown 1
 *   apple         0        1       0  connection 1
 *
 * 62 lines (a blank one, 2 malformed), a surge of SASL user
 * hijacked@shop.example on mx01 (1200 recipients at once), and three
 * made-up replies no rule knows (4, 2 and 1 deliveries). The text report
 * is compared whole with tests/data/report-basic.out; the JSON document
 * is parsed and its values checked; then bad input and bad options.
 * RFC 3339 timestamps only, so nothing depends on the year guessed for
 * syslog ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "strbuf.h"
#include "scanrun.h"
#include "testlib.h"

static struct scanrun_paths sp;

static int
setup(void **state)
{
	(void)state;
	return scanrun_setup(&sp, "report-basic");
}

static json_t *
parse(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);

	if (doc == NULL)
		fail_msg("not one JSON document (%s at %d):\n%s", je.text, je.position, text);
	return doc;
}

static long long
jint(json_t *o, const char *path)
{
	json_t *v = o;
	char key[64];

	for (const char *p = path; v != NULL && *p != '\0';) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(key)) : json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("%s: not a string", key);
	return json_string_value(v);
}

/* ---- the text ---- */

static void
test_text_report(void **state)
{
	char *argv[] = { sp.agent, "scan", "--report", sp.log, NULL };
	char *err, *out = scanrun(argv, 0, &err);

	(void)state;
	scanrun_golden(out, sp.golden, "scan --report");
	/* what the on-call looks for first, line by line */
	assert_non_null(strstr(out, "  span        2026-11-27T01:00:00Z .. 2026-11-27T01:30:00Z "
	    "(30m0s)\n"));
	assert_non_null(strstr(out, "  lines       62 read, 2 malformed skipped\n"));
	assert_non_null(strstr(out, "  deliveries  54: 28 sent, 11 deferred, 15 bounced "
	    "(48.1% failing)\n"));
	assert_non_null(strstr(out, "  google       16         6        4    38.5%\n"));
	assert_non_null(strstr(out, "  microsoft  block                0        5\n"));
	assert_non_null(strstr(out, "  relay01  microsoft  block       2026-11-27T01:20:40Z  "
	    "still open                5\n"));
	assert_non_null(strstr(out, "  mx02     google     rate_limit  2026-11-27T01:10:20Z  "
	    "2026-11-27T01:14:30Z      5\n"));
	assert_non_null(strstr(out, "  mx01  hijacked@shop.example  sasl  rate    "
	    "2026-11-27T01:00:03Z"));
	assert_non_null(strstr(out, "      4  other,google,yahoo  554 5.9.9 zqx quorble flimflam "
	    "for <ip> id <id>\n"));
	/* an example keeps what varies, but never a recipient's local part */
	assert_non_null(strstr(out, "e.g. 554 5.9.9 zqx quorble flimflam for 198.51.100.10 id "
	    "7F3A2B1C0D\n"));
	assert_non_null(strstr(out, "e.g. 550 5.9.7 zqx glorp for <***@example.org>\n"));
	assert_null(strstr(out, "bob@"));
	/* no per-line JSON in a report */
	assert_null(strstr(out, "{\"type\""));
	assert_non_null(strstr(err, "scan: 2 lines skipped as malformed"));
	free(out), free(err);
}

/* The default output is unchanged: one JSON object per line. */
static void
test_default_is_lines(void **state)
{
	char *argv[] = { sp.agent, "scan", sp.log, NULL };
	char *out = scanrun(argv, 0, NULL);
	size_t deliveries = 0;

	(void)state;
	for (char *p = out; (p = strstr(p, "{\"type\":\"delivery\"")) != NULL; p++)
		deliveries++;
	assert_int_equal(deliveries, 54);
	assert_non_null(strstr(out, "{\"type\":\"block\",\"node\":\"relay01\",\"provider\":"
	    "\"microsoft\",\"class\":\"block\",\"count\":5,"));
	assert_null(strstr(out, "Summary"));
	free(out);
}

/* ---- the JSON document ---- */

static void
test_json_report(void **state)
{
	char *argv[] = { sp.agent, "scan", "--report", "--json", sp.log, NULL };
	char *out = scanrun(argv, 0, NULL);
	json_t *doc = parse(out), *p, *b, *u;

	(void)state;
	assert_int_equal(jint(doc, "top"), 10);
	json_t *sum = json_object_get(doc, "summary");
	assert_string_equal(jstr(sum, "first"), "2026-11-27T01:00:00Z");
	assert_string_equal(jstr(sum, "last"), "2026-11-27T01:30:00Z");
	assert_int_equal(jint(sum, "lines"), 62);
	assert_int_equal(jint(sum, "malformed"), 2);
	assert_int_equal(jint(sum, "deliveries"), 54);
	assert_int_equal(jint(sum, "sent"), 28);
	assert_int_equal(jint(sum, "deferred"), 11);
	assert_int_equal(jint(sum, "bounced"), 15);

	/* providers, most failures first */
	static const struct {
		const char *name;
		int sent, deferred, bounced;
		double share;
	} want[] = {
		{ "google", 16, 6, 4, 10.0 / 26 }, { "microsoft", 4, 0, 7, 7.0 / 11 },
		{ "other", 3, 2, 3, 5.0 / 8 }, { "yahoo", 5, 2, 1, 3.0 / 8 }, { "apple", 0, 1, 0, 1.0 },
	};
	json_t *prov = json_object_get(doc, "providers");
	assert_int_equal(json_array_size(prov), 5);
	for (size_t i = 0; i < 5; i++) {
		p = json_array_get(prov, i);
		assert_string_equal(jstr(p, "provider"), want[i].name);
		assert_int_equal(jint(p, "sent"), want[i].sent);
		assert_int_equal(jint(p, "deferred"), want[i].deferred);
		assert_int_equal(jint(p, "bounced"), want[i].bounced);
		double share = json_real_value(json_object_get(p, "failing_share"));
		if (share < want[i].share - 0.0005 || share > want[i].share + 0.0005)
			fail_msg("%s: failing_share %f, want %f", want[i].name, share, want[i].share);
	}
	assert_int_equal(jint(doc, "providers_more"), 0);
	/* google's classes */
	p = json_object_get(json_array_get(prov, 0), "classes");
	assert_int_equal(json_array_size(p), 3);
	assert_string_equal(jstr(json_array_get(p, 0), "class"), "rate_limit");
	assert_int_equal(jint(p, "0.deferred"), 6);
	assert_string_equal(jstr(json_array_get(p, 1), "class"), "user_unknown");
	assert_int_equal(jint(p, "1.bounced"), 3);
	assert_string_equal(jstr(json_array_get(p, 2), "class"), "unknown");
	assert_int_equal(jint(p, "2.bounced"), 1);

	/* blocks: the open one first */
	json_t *blocks = json_object_get(doc, "blocks");
	assert_int_equal(json_array_size(blocks), 2);
	b = json_array_get(blocks, 0);
	assert_string_equal(jstr(b, "node"), "relay01");
	assert_string_equal(jstr(b, "provider"), "microsoft");
	assert_string_equal(jstr(b, "class"), "block");
	assert_string_equal(jstr(b, "start"), "2026-11-27T01:20:40Z");
	assert_true(json_is_null(json_object_get(b, "end")));
	assert_true(json_is_true(json_object_get(b, "open")));
	assert_int_equal(jint(b, "count"), 5);
	b = json_array_get(blocks, 1);
	assert_string_equal(jstr(b, "node"), "mx02");
	assert_string_equal(jstr(b, "class"), "rate_limit");
	assert_string_equal(jstr(b, "start"), "2026-11-27T01:10:20Z");
	assert_string_equal(jstr(b, "end"), "2026-11-27T01:14:30Z");
	assert_true(json_is_false(json_object_get(b, "open")));

	/* the surge */
	json_t *surges = json_object_get(doc, "surges");
	assert_int_equal(json_array_size(surges), 1);
	b = json_array_get(surges, 0);
	assert_string_equal(jstr(b, "node"), "mx01");
	assert_string_equal(jstr(b, "sender"), "hijacked@shop.example");
	assert_string_equal(jstr(b, "sender_kind"), "sasl");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "reasons"), 0)), "rate");
	assert_string_equal(jstr(b, "first"), "2026-11-27T01:00:03Z");
	assert_int_equal(jint(b, "events"), 1);
	assert_int_equal(jint(b, "rate"), 1200);

	/* unknown replies */
	u = json_object_get(doc, "unknown");
	assert_int_equal(jint(u, "deliveries"), 7);
	assert_int_equal(jint(u, "distinct"), 3);
	assert_int_equal(jint(u, "evicted"), 0);
	json_t *r = json_array_get(json_object_get(u, "replies"), 0);
	assert_string_equal(jstr(r, "reply"), "554 5.9.9 zqx quorble flimflam for <ip> id <id>");
	assert_int_equal(jint(r, "count"), 4);
	assert_int_equal(jint(r, "error"), 0);
	json_t *rp = json_object_get(r, "providers");
	assert_int_equal(json_array_size(rp), 3);
	assert_string_equal(json_string_value(json_array_get(rp, 0)), "other");
	assert_string_equal(json_string_value(json_array_get(rp, 1)), "google");
	assert_string_equal(json_string_value(json_array_get(rp, 2)), "yahoo");
	assert_string_equal(jstr(r, "example"), "554 5.9.9 zqx quorble flimflam for 198.51.100.10 id "
	    "7F3A2B1C0D");
	r = json_array_get(json_object_get(u, "replies"), 1);
	assert_string_equal(jstr(r, "reply"), "451 4.9.8 zqx wibble wobble at <date> <time>, "
	    "ticket <n>");
	assert_int_equal(jint(r, "count"), 2);
	json_decref(doc);
	free(out);
}

/* ---- --unknown alone ---- */

static void
test_unknown(void **state)
{
	char *a1[] = { sp.agent, "scan", "--unknown", sp.log, NULL };
	char *out = scanrun(a1, 0, NULL);

	(void)state;
	assert_string_equal(out,
	    "Unknown replies: 7 of 54 deliveries, 3 distinct\n"
	    "  COUNT  PROVIDERS           REPLY\n"
	    "      4  other,google,yahoo  554 5.9.9 zqx quorble flimflam for <ip> id <id>\n"
	    "                             e.g. 554 5.9.9 zqx quorble flimflam for 198.51.100.10 id "
	    "7F3A2B1C0D\n"
	    "      2  other               451 4.9.8 zqx wibble wobble at <date> <time>, ticket <n>\n"
	    "                             e.g. 451 4.9.8 zqx wibble wobble at 2026-11-27 01:08:40, "
	    "ticket 88123\n"
	    "      1  other               550 5.9.7 zqx glorp for <<email>>\n"
	    "                             e.g. 550 5.9.7 zqx glorp for <***@example.org>\n");
	free(out);

	char *a2[] = { sp.agent, "scan", "--unknown", "--json", "--top=1", sp.log, NULL };
	out = scanrun(a2, 0, NULL);
	json_t *doc = parse(out);
	assert_int_equal(jint(doc, "top"), 1);
	assert_int_equal(jint(doc, "deliveries"), 54);
	assert_null(json_object_get(doc, "providers"));   /* the list only */
	json_t *u = json_object_get(doc, "unknown");
	assert_int_equal(jint(u, "deliveries"), 7);
	assert_int_equal(jint(u, "distinct"), 3);
	assert_int_equal(jint(u, "more"), 2);
	assert_int_equal(json_array_size(json_object_get(u, "replies")), 1);
	assert_int_equal(jint(u, "replies.0.count"), 4);
	json_decref(doc);
	free(out);
}

/* --top cuts every list and says how many are left out. */
static void
test_top(void **state)
{
	char *a1[] = { sp.agent, "scan", "--report", "--top", "2", sp.log, NULL };
	char *out = scanrun(a1, 0, NULL);

	(void)state;
	assert_non_null(strstr(out, "  microsoft     4         0        7    63.6%\n"
	    "  ... and 3 more (raise --top to list them)\n"));
	assert_null(strstr(out, "  yahoo "));
	assert_non_null(strstr(out, "ticket <n>\n"));
	assert_null(strstr(out, "zqx glorp"));
	free(out);

	char *a2[] = { sp.agent, "scan", "--report", "--json", "--top", "1", sp.log, NULL };
	out = scanrun(a2, 0, NULL);
	json_t *doc = parse(out);
	assert_int_equal(json_array_size(json_object_get(doc, "providers")), 1);
	assert_int_equal(jint(doc, "providers_more"), 4);
	assert_int_equal(json_array_size(json_object_get(doc, "blocks")), 1);
	assert_int_equal(jint(doc, "blocks_more"), 1);
	assert_string_equal(jstr(json_array_get(json_object_get(doc, "blocks"), 0), "node"), "relay01");
	assert_int_equal(jint(doc, "unknown.more"), 2);
	json_decref(doc);
	free(out);
}

/* ---- bad input ---- */

static void
test_garbage_and_empty(void **state)
{
	char *dir = tl_mkdtemp("scan-report");
	char garbage[4096], empty[4096];
	char *err, *out;

	(void)state;
	snprintf(garbage, sizeof(garbage), "%s/auth.log", dir);
	snprintf(empty, sizeof(empty), "%s/empty.log", dir);
	tl_write_file(garbage, "this is\nnot a mail log\n\x01\x02 binary\n");
	tl_write_file(empty, "");

	char *a1[] = { sp.agent, "scan", "--report", garbage, NULL };
	out = scanrun(a1, 0, &err);
	assert_non_null(strstr(out, "  span        no timestamped line\n"
	    "  lines       3 read, 3 malformed skipped\n"
	    "  deliveries  0: 0 sent, 0 deferred, 0 bounced (- failing)\n"));
	assert_non_null(strstr(out, "\nProviders\n  none\n"));
	assert_non_null(strstr(out, "\nBlocks\n  none\n"));
	assert_non_null(strstr(err, "scan: no Postfix delivery result in 3 lines read"));
	assert_non_null(strstr(err, "scan: 3 lines skipped as malformed"));
	free(out), free(err);

	char *a2[] = { sp.agent, "scan", "--report", "--json", empty, NULL };
	out = scanrun(a2, 0, &err);
	json_t *doc = parse(out);
	assert_true(json_is_null(json_object_get(json_object_get(doc, "summary"), "first")));
	assert_int_equal(jint(doc, "summary.lines"), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "providers")), 0);
	assert_int_equal(jint(doc, "unknown.distinct"), 0);
	assert_non_null(strstr(err, "scan: no Postfix delivery result in 0 lines read"));
	json_decref(doc);
	free(out), free(err);

	char *a3[] = { sp.agent, "scan", "--unknown", empty, NULL };
	out = scanrun(a3, 0, NULL);
	assert_string_equal(out, "Unknown replies: 0 of 0 deliveries, 0 distinct\n  none\n");
	free(out);
	free(dir);
}

/* A file that cannot be read: exit 1, named; the others are still reported. */
static void
test_unreadable(void **state)
{
	char *dir = tl_mkdtemp("scan-report-dir");
	char *err, *out;

	(void)state;
	char *a1[] = { sp.agent, "scan", "--report", "/nonexistent/maillog", sp.log, NULL };
	out = scanrun(a1, 1, &err);
	assert_non_null(strstr(err, "scan: /nonexistent/maillog: No such file or directory"));
	assert_non_null(strstr(out, "  deliveries  54: 28 sent"));
	free(out), free(err);

	char *a2[] = { sp.agent, "scan", "--unknown", "--json", dir, NULL };   /* a directory */
	out = scanrun(a2, 1, &err);
	assert_non_null(strstr(err, "read error after line 0: Is a directory"));
	json_t *doc = parse(out);
	assert_int_equal(jint(doc, "deliveries"), 0);
	json_decref(doc);
	free(out), free(err);
	free(dir);
}

static void
test_bad_options(void **state)
{
	static const struct {
		const char *args[3];
		const char *msg;
	} bad[] = {
		{ { "--report", "--top", "0" }, "scan: --top 0: expected a number from 1 to 100000" },
		{ { "--report", "--top", "ten" }, "scan: --top ten: expected a number from 1 to 100000" },
		{ { "--report", "--top", "-3" }, "scan: --top -3: expected a number from 1 to 100000" },
		{ { "--report", "--top=100001", NULL }, "scan: --top 100001: expected a number from 1" },
		{ { "--report", "--top=", NULL }, "scan: --top : expected a number from 1 to 100000" },
		{ { "--report", "--top=5x", NULL }, "scan: --top 5x: expected a number" },
		{ { "--json", NULL, NULL }, "scan: --json goes with --report or --unknown" },
		{ { "--top", "3", NULL }, "scan: --top goes with --report or --unknown" },
		{ { "--report", "--csv", NULL }, "scan: unknown option or missing value: --csv" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = { sp.agent, "scan" };
		int n = 2;
		for (int k = 0; k < 3 && bad[i].args[k] != NULL; k++)
			argv[n++] = (char *)bad[i].args[k];
		argv[n++] = sp.log;
		char *err, *out = scanrun(argv, 2, &err);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("case %zu: no \"%s\" in:\n%s", i, bad[i].msg, err);
		assert_non_null(strstr(err, "usage: postroute-agent scan"));
		assert_string_equal(out, "");
		free(out), free(err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_report),
		cmocka_unit_test(test_default_is_lines),
		cmocka_unit_test(test_json_report),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_garbage_and_empty),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
