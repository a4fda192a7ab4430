/*
 * test_monotime.c: the one clock (common/monotime.h): it reads
 * CLOCK_MONOTONIC, milliseconds and seconds agree, it never goes back and
 * it moves on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "monotime.h"

static long long
raw_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Between two readings of CLOCK_MONOTONIC itself. */
static void
test_reads_monotonic(void **state)
{
	long long before, ms, after;
	double s;

	(void)state;
	before = raw_ms();
	ms = monotime_ms();
	s = monotime_s();
	after = raw_ms();
	assert_true(before <= ms && ms <= after);
	assert_true(s * 1000 >= (double)before - 1 && s * 1000 <= (double)after + 1);
}

/* Never back; a change within a bounded number of readings (the clock
 * ticks without sleeping for it). */
static void
test_never_back_and_moves(void **state)
{
	long long first = monotime_ms(), last = first, now = first;
	double last_s = monotime_s();

	(void)state;
	for (long i = 0; i < 100000000L && now == first; i++) {
		now = monotime_ms();
		assert_true(now >= last);
		last = now;
		double s = monotime_s();
		assert_true(s >= last_s);
		last_s = s;
	}
	assert_true(now > first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_monotonic),
		cmocka_unit_test(test_never_back_and_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
