/*
 * test_cli_timeparse.c: relative and absolute times, good and malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timeparse.h"

/* 2026-11-27T18:00:00Z */
#define NOW 1795802400LL

struct tcase {
	const char *in;
	const char *want;   /* RFC 3339 UTC, or NULL when refused */
	const char *why;    /* the reason when refused */
};

static void
test_accepted_and_refused(void **state)
{
	static const struct tcase cases[] = {
		{ "now", "2026-11-27T18:00:00Z", NULL },
		{ "30m", "2026-11-27T17:30:00Z", NULL },
		{ "-30m", "2026-11-27T17:30:00Z", NULL },
		{ "2h", "2026-11-27T16:00:00Z", NULL },
		{ "7d", "2026-11-20T18:00:00Z", NULL },
		{ "1w", "2026-11-20T18:00:00Z", NULL },
		{ "45s", "2026-11-27T17:59:15Z", NULL },
		{ "0s", "2026-11-27T18:00:00Z", NULL },
		{ "2026-11-27", "2026-11-27T00:00:00Z", NULL },
		{ "2026-11-27T18:04", "2026-11-27T18:04:00Z", NULL },
		{ "2026-11-27T18:04:05", "2026-11-27T18:04:05Z", NULL },
		{ "2026-11-27 18:04:05", "2026-11-27T18:04:05Z", NULL },
		{ "2026-11-27T18:04:05Z", "2026-11-27T18:04:05Z", NULL },
		{ "2026-11-27t18:04:05z", "2026-11-27T18:04:05Z", NULL },
		{ "2026-11-27T18:04:05.123Z", "2026-11-27T18:04:05.123000Z", NULL },
		{ "2026-11-27T18:04:05.1234567Z", "2026-11-27T18:04:05.123456Z", NULL },
		{ "2026-11-27T18:04:05+01:00", "2026-11-27T17:04:05Z", NULL },
		{ "2026-11-27T18:04:05+0130", "2026-11-27T16:34:05Z", NULL },
		{ "2026-11-27T01:00:00-02", "2026-11-27T03:00:00Z", NULL },
		{ "2028-02-29", "2028-02-29T00:00:00Z", NULL },
		{ "", NULL, "is empty" },
		{ "yesterday", NULL, "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)" },
		{ "30", NULL, "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)" },
		{ "30x", NULL, "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)" },
		{ "2h30m", NULL, "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)" },
		{ "m", NULL, "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)" },
		{ "2026-1-05", NULL, "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)" },
		{ "2026-02-29", NULL, "has a date that does not exist" },
		{ "2026-13-01", NULL, "has a date that does not exist" },
		{ "2026-04-31", NULL, "has a date that does not exist" },
		{ "1969-12-31", NULL, "has a date that does not exist" },
		{ "2026-11-27T24:00", NULL, "has a time of day out of range" },
		{ "2026-11-27T18:60", NULL, "has a time of day out of range" },
		{ "2026-11-27T18", NULL, "has a malformed time of day (use HH:MM or HH:MM:SS)" },
		{ "2026-11-27T18:04:05.Z", NULL, "has a malformed time of day (use HH:MM or HH:MM:SS)" },
		{ "2026-11-27T18:04:05Zjunk", NULL, "has trailing text after the time" },
		{ "2026-11-27T18:04:05 UTC", NULL, "has trailing text after the time" },
		{ "2026-11-27T18:04:05+25:00", NULL, "has a malformed zone offset (use Z or +01:00)" },
		{ "2026-11-27T18:04:05+1", NULL, "has a malformed zone offset (use Z or +01:00)" },
		{ "2026-11-27junk", NULL, "has trailing text after the date" },
		{ "2026-11-27\n18:00", NULL, "has trailing text after the date" },
		{ "99999999999999999999d", NULL, "is too far in the past" },
	};
	char buf[TIMEPARSE_BUFLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tp_time t;
		const char *why = NULL;
		int rc = timeparse_parse(cases[i].in, NOW, &t, &why);
		if (cases[i].want != NULL) {
			if (rc != 0)
				fail_msg("\"%s\": refused: %s", cases[i].in, why);
			timeparse_format(&t, buf);
			if (strcmp(buf, cases[i].want) != 0)
				fail_msg("\"%s\": got %s, want %s", cases[i].in, buf, cases[i].want);
		} else {
			if (rc == 0)
				fail_msg("\"%s\": accepted", cases[i].in);
			if (strcmp(why, cases[i].why) != 0)
				fail_msg("\"%s\": reason \"%s\", want \"%s\"", cases[i].in, why, cases[i].why);
		}
	}
}

static void
test_absolute_refuses_relative(void **state)
{
	struct tp_time t;
	const char *why;

	(void)state;
	assert_int_equal(timeparse_absolute("2h", &t, &why), -1);
	assert_int_equal(timeparse_absolute("now", &t, &why), -1);
	assert_int_equal(timeparse_absolute("2026-11-27T18:04:05.123Z", &t, &why), 0);
	assert_int_equal(t.usec, 123000);
}

static void
test_compare_and_add(void **state)
{
	struct tp_time a = { 100, 999999 }, b = { 101, 0 };
	char buf[TIMEPARSE_BUFLEN];

	(void)state;
	assert_true(timeparse_cmp(&a, &b) < 0);
	assert_true(timeparse_cmp(&b, &a) > 0);
	timeparse_add_us(&a, 1);
	assert_int_equal(timeparse_cmp(&a, &b), 0);
	timeparse_add_us(&a, -2);
	assert_int_equal(a.sec, 100);
	assert_int_equal(a.usec, 999998);
	timeparse_add_us(&a, 1000);
	timeparse_format(&a, buf);
	assert_string_equal(buf, "1970-01-01T00:01:41.000998Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_and_refused),
		cmocka_unit_test(test_absolute_refuses_relative),
		cmocka_unit_test(test_compare_and_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
