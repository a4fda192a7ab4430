/*
 * test_detector.c: block and clear decisions on synthetic attempt streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "detector.h"

static const struct classify_result R_SENT = { CLASS_SENT, REROUTE_NO, "sent" };
static const struct classify_result R_REP = { CLASS_REPUTATION, REROUTE_YES, "r" };
static const struct classify_result R_BLOCK = { CLASS_BLOCK, REROUTE_YES, "r" };
static const struct classify_result R_AMB = { CLASS_RATE_LIMIT, REROUTE_AMBIGUOUS, "r" };
static const struct classify_result R_CONN = { CLASS_CONNECTION, REROUTE_AMBIGUOUS, "r" };
static const struct classify_result R_USER = { CLASS_USER_UNKNOWN, REROUTE_NO, "r" };
static const struct classify_result R_FULL = { CLASS_MAILBOX_FULL, REROUTE_NO, "r" };
static const struct classify_result R_SUSP = { CLASS_SUSPENDED, REROUTE_NO, "r" };

struct step {
	time_t t;
	const struct classify_result *r;
	int want;            /* -1 none, DETECTOR_BLOCK or DETECTOR_CLEAR */
	const char *cls;     /* class of the event, when one is wanted */
	int count;
};

static int
feed(struct detector *d, const char *prov, time_t t, const struct classify_result *r,
    struct detector_event *ev)
{
	static const char line[] = "Nov 27 17:31:39 mx12 postfix/smtp[1]: ABCDEF: to=<taro.y@gmail.com>, ...";

	return detector_feed(d, "mx12", 4, prov, r, t, line, sizeof(line) - 1, ev);
}

static void
run_steps(const struct step *s, size_t n)
{
	struct detector_config cfg;
	struct detector_event ev;

	detector_config_default(&cfg);
	struct detector *d = detector_new(&cfg);
	for (size_t i = 0; i < n; i++) {
		int got = feed(d, "google", s[i].t, s[i].r, &ev) ? (int)ev.type : -1;
		if (got != s[i].want)
			fail_msg("step %zu (t=%lld): got event %d, want %d", i, (long long)s[i].t, got,
			    s[i].want);
		if (got >= 0) {
			assert_string_equal(classify_class_name(ev.cls), s[i].cls);
			assert_int_equal(ev.count, s[i].count);
			assert_string_equal(ev.node, "mx12");
			assert_string_equal(ev.provider, "google");
			assert_int_equal(ev.window_s, 300);
			assert_int_equal(ev.at, s[i].t);
		}
	}
	detector_free(d);
}

static void
test_block_then_clear(void **state)
{
	static const struct step s[] = {
		{ 1000, &R_SENT, -1, NULL, 0 },
		{ 1001, &R_SENT, -1, NULL, 0 },
		{ 1002, &R_REP, -1, NULL, 0 },
		{ 1003, &R_REP, -1, NULL, 0 },
		{ 1004, &R_BLOCK, -1, NULL, 0 },
		{ 1005, &R_REP, -1, NULL, 0 },
		{ 1006, &R_REP, DETECTOR_BLOCK, "reputation", 5 },
		{ 1007, &R_REP, -1, NULL, 0 },      /* one event per episode */
		{ 1008, &R_BLOCK, -1, NULL, 0 },
		{ 1010, &R_SENT, -1, NULL, 0 },     /* successes, but too soon */
		{ 1011, &R_SENT, -1, NULL, 0 },
		{ 1012, &R_SENT, -1, NULL, 0 },
		{ 1013, &R_SENT, -1, NULL, 0 },
		{ 1014, &R_SENT, -1, NULL, 0 },
		{ 1015, &R_SENT, -1, NULL, 0 },
		{ 1016, &R_SENT, -1, NULL, 0 },
		{ 1017, &R_SENT, -1, NULL, 0 },
		{ 1018, &R_SENT, -1, NULL, 0 },
		{ 1019, &R_SENT, -1, NULL, 0 },
		{ 1100, &R_SENT, -1, NULL, 0 },
		{ 1128, &R_SENT, DETECTOR_CLEAR, "reputation", 12 },
		{ 1129, &R_REP, -1, NULL, 0 },      /* the window was emptied */
		{ 1130, &R_SENT, -1, NULL, 0 },
	};

	(void)state;
	run_steps(s, sizeof(s) / sizeof(s[0]));
}

/* The same volume of recipient-level bounces fails nothing over. */
static void
test_recipient_bounces_never_block(void **state)
{
	struct detector_config cfg;
	struct detector_event ev;

	(void)state;
	detector_config_default(&cfg);
	struct detector *d = detector_new(&cfg);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(feed(d, "google", 1000 + i / 10, i % 2 ? &R_USER : &R_FULL, &ev), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(feed(d, "google", 1100, &R_SUSP, &ev), 0);
	detector_free(d);
}

static void
test_ambiguous_never_alone(void **state)
{
	struct detector_config cfg;
	struct detector_event ev;

	(void)state;
	detector_config_default(&cfg);
	struct detector *d = detector_new(&cfg);
	for (int i = 0; i < 100; i++)
		assert_int_equal(feed(d, "google", 1000 + i, &R_AMB, &ev), 0);
	/* one definite refusal is under min_definite; the second decides */
	assert_int_equal(feed(d, "google", 1100, &R_BLOCK, &ev), 0);
	assert_int_equal(feed(d, "google", 1101, &R_BLOCK, &ev), 1);
	assert_int_equal(ev.type, DETECTOR_BLOCK);
	assert_string_equal(classify_class_name(ev.cls), "rate_limit");
	assert_int_equal(ev.nsamples, 3);
	assert_non_null(strstr(ev.samples[0], "to=<******@gmail.com>"));
	detector_free(d);
}

static void
test_connection_thresholds(void **state)
{
	struct detector_config cfg;
	struct detector_event ev;

	(void)state;
	detector_config_default(&cfg);
	struct detector *d = detector_new(&cfg);
	/* 19 connection failures: under the count */
	for (int i = 0; i < 19; i++)
		assert_int_equal(feed(d, "google", 1000 + i, &R_CONN, &ev), 0);
	detector_free(d);

	/* 30 failures among 50 successes: under the share */
	d = detector_new(&cfg);
	for (int i = 0; i < 80; i++)
		assert_int_equal(feed(d, "google", 1000 + i, i % 8 < 3 ? &R_CONN : &R_SENT, &ev), 0);
	detector_free(d);

	/* 20 in a row: block, class connection */
	d = detector_new(&cfg);
	for (int i = 0; i < 19; i++)
		assert_int_equal(feed(d, "google", 1000 + i, &R_CONN, &ev), 0);
	assert_int_equal(feed(d, "google", 1019, &R_CONN, &ev), 1);
	assert_string_equal(classify_class_name(ev.cls), "connection");
	assert_int_equal(ev.count, 20);
	detector_free(d);
}

static void
test_window_slides_and_keys(void **state)
{
	struct detector_config cfg;
	struct detector_event ev;

	(void)state;
	detector_config_default(&cfg);
	struct detector *d = detector_new(&cfg);
	/* 4 failures, then 4 more long after: never 5 within 300 s */
	for (int i = 0; i < 4; i++)
		assert_int_equal(feed(d, "yahoo", 1000 + i, &R_REP, &ev), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(feed(d, "yahoo", 2000 + i, &R_REP, &ev), 0);
	/* provider "other" and NULL are never tracked */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(feed(d, "other", 3000, &R_BLOCK, &ev), 0);
		assert_int_equal(feed(d, NULL, 3000, &R_BLOCK, &ev), 0);
	}
	/* keys are separate: 4 for apple and 1 for yahoo do not add up */
	for (int i = 0; i < 4; i++)
		assert_int_equal(feed(d, "apple", 2004, &R_REP, &ev), 0);
	assert_int_equal(feed(d, "yahoo", 2005, &R_REP, &ev), 1);
	assert_string_equal(ev.provider, "yahoo");
	/* time going back is clamped, not a crash */
	assert_int_equal(feed(d, "yahoo", 5, &R_REP, &ev), 0);
	detector_free(d);
}

/* Blocked, then silence (failed over): failures after it are reported again. */
static void
test_block_confirmed_again_after_silence(void **state)
{
	static const struct step s[] = {
		{ 1000, &R_REP, -1, NULL, 0 },
		{ 1001, &R_REP, -1, NULL, 0 },
		{ 1002, &R_REP, -1, NULL, 0 },
		{ 1003, &R_REP, -1, NULL, 0 },
		{ 1004, &R_REP, DETECTOR_BLOCK, "reputation", 5 },
		/* still blocked, no gap: nothing more */
		{ 1200, &R_REP, -1, NULL, 0 },
		{ 1201, &R_REP, -1, NULL, 0 },
		/* 6 hours without an attempt of our own, then the route reverts */
		{ 22800, &R_REP, -1, NULL, 0 },
		{ 22801, &R_REP, -1, NULL, 0 },
		{ 22802, &R_REP, -1, NULL, 0 },
		{ 22803, &R_REP, -1, NULL, 0 },
		{ 22804, &R_REP, DETECTOR_BLOCK, "reputation", 5 },
		{ 22805, &R_REP, -1, NULL, 0 },
		/* and it clears as usual once deliveries succeed */
		{ 23000, &R_SENT, -1, NULL, 0 }, { 23001, &R_SENT, -1, NULL, 0 },
		{ 23002, &R_SENT, -1, NULL, 0 }, { 23003, &R_SENT, -1, NULL, 0 },
		{ 23004, &R_SENT, -1, NULL, 0 }, { 23005, &R_SENT, -1, NULL, 0 },
		{ 23006, &R_SENT, -1, NULL, 0 }, { 23007, &R_SENT, -1, NULL, 0 },
		{ 23008, &R_SENT, -1, NULL, 0 },
		{ 23009, &R_SENT, DETECTOR_CLEAR, "reputation", 10 },
	};

	(void)state;
	run_steps(s, sizeof(s) / sizeof(s[0]));
}

/* After silence, successes alone clear the old episode (no new block). */
static void
test_silence_then_success_clears(void **state)
{
	struct step s[16];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 5; i++)
		s[n++] = (struct step){ 1000 + i, &R_REP, i == 4 ? DETECTOR_BLOCK : -1,
		    i == 4 ? "reputation" : NULL, i == 4 ? 5 : 0 };
	for (int i = 0; i < 10; i++)
		s[n++] = (struct step){ 30000 + i, &R_SENT, i == 9 ? DETECTOR_CLEAR : -1,
		    i == 9 ? "reputation" : NULL, i == 9 ? 10 : 0 };
	run_steps(s, n);
}

static void
test_config_check(void **state)
{
	struct detector_config cfg;

	(void)state;
	detector_config_default(&cfg);
	assert_null(detector_config_check(&cfg));
	cfg.min_definite = 6;
	assert_string_equal(detector_config_check(&cfg), "min_definite must be between 1 and fail_count");
	detector_config_default(&cfg);
	cfg.fail_share = 0;
	assert_string_equal(detector_config_check(&cfg), "shares must be in (0, 1]");
}

static void
test_mask(void **state)
{
	char out[128];

	(void)state;
	detector_mask("to=<a.b+c@x.jp>, orig_to=<z@y>, said: 550 <q@r>: no", 51, out, sizeof(out));
	assert_string_equal(out, "to=<*****@x.jp>, orig_to=<*@y>, said: 550 <*@r>: no");
	detector_mask("abc@d", 5, out, 4);
	assert_string_equal(out, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_then_clear),
		cmocka_unit_test(test_recipient_bounces_never_block),
		cmocka_unit_test(test_ambiguous_never_alone),
		cmocka_unit_test(test_connection_thresholds),
		cmocka_unit_test(test_window_slides_and_keys),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_block_confirmed_again_after_silence),
		cmocka_unit_test(test_silence_then_success_clears),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
