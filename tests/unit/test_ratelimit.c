/*
 * test_ratelimit.c: the sliding-window limiter of controller/ratelimit.h
 * with a driven clock: N per window and not one more, Retry-After rounded
 * up to the second the oldest action leaves the window, keys kept apart,
 * refusals not counted, and the key table bounded (idle keys forgotten
 * first, then the least recently seen).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ratelimit.h"

static void
test_limit_per_window(void **state)
{
	struct ratelimit *rl = ratelimit_new(3, 60, 16);
	long retry = 0;

	(void)state;
	assert_int_equal(ratelimit_take(rl, "a", 100.0, &retry), 1);
	assert_int_equal(ratelimit_take(rl, "a", 110.0, &retry), 1);
	assert_int_equal(ratelimit_take(rl, "a", 120.5, &retry), 1);
	/* the 4th within 60 s of the 1st: refused until 160 */
	assert_int_equal(ratelimit_take(rl, "a", 121.0, &retry), 0);
	assert_int_equal(retry, 39);
	assert_int_equal(ratelimit_take(rl, "a", 159.2, &retry), 0);
	assert_int_equal(retry, 1);   /* 0.8 s rounds up, never down to 0 */
	/* another key is not affected */
	assert_int_equal(ratelimit_take(rl, "b", 121.0, NULL), 1);
	/* refusals were not counted: at 160 the 1st left, one more fits */
	assert_int_equal(ratelimit_take(rl, "a", 160.0, &retry), 1);
	assert_int_equal(ratelimit_take(rl, "a", 160.0, &retry), 0);
	assert_int_equal(retry, 10);  /* the one at 110 leaves at 170 */
	/* a quiet minute: the full allowance again */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ratelimit_take(rl, "a", 300.0, NULL), 1);
	assert_int_equal(ratelimit_take(rl, "a", 300.0, NULL), 0);
	ratelimit_free(rl);
}

/* A large limit: the ring grows as the key sends, in order. */
static void
test_large_limit(void **state)
{
	struct ratelimit *rl = ratelimit_new(1000, 60, 4);
	long retry = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_take(rl, "t", 10.0 + i * 0.01, NULL), 1);
	assert_int_equal(ratelimit_take(rl, "t", 20.0, &retry), 0);
	assert_int_equal(retry, 50);   /* the first (at 10.0) leaves at 70.0 */
	assert_int_equal(ratelimit_take(rl, "t", 70.0, NULL), 1);
	assert_int_equal(ratelimit_take(rl, "t", 70.0, NULL), 0);
	assert_int_equal(ratelimit_take(rl, "t", 70.011, NULL), 1);
	ratelimit_free(rl);
}

static void
test_keys_bounded(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 60, 4);
	char key[16];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(ratelimit_take(rl, key, 10.0 + i, NULL), 1);
	}
	assert_int_equal(ratelimit_keys(rl), 4);
	/* full, none idle: the least recently seen (k0) goes */
	assert_int_equal(ratelimit_take(rl, "k4", 20.0, NULL), 1);
	assert_int_equal(ratelimit_keys(rl), 4);
	assert_int_equal(ratelimit_take(rl, "k1", 21.0, NULL), 0);   /* still known */
	assert_int_equal(ratelimit_take(rl, "k0", 21.0, NULL), 1);   /* forgotten */
	/* later every window is empty: all idle keys are dropped at once */
	assert_int_equal(ratelimit_take(rl, "fresh", 500.0, NULL), 1);
	assert_int_equal(ratelimit_keys(rl), 1);
	ratelimit_free(rl);
}

static void
test_many_keys(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 60, 1000);
	char key[16];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "ip%d", i);
		assert_int_equal(ratelimit_take(rl, key, 1.0 + i * 0.001, NULL), 1);
	}
	assert_true(ratelimit_keys(rl) <= 1000);
	assert_true(ratelimit_now() > 0);
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_per_window),
		cmocka_unit_test(test_large_limit),
		cmocka_unit_test(test_keys_bounded),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
