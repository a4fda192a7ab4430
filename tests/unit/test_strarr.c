/*
 * test_strarr.c: arrays of strings with their count (common/strarr.h):
 * strarr_add keeps order and copies, strarr_free takes NULL and returns
 * NULL (the sanitizer build checks that nothing leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "strarr.h"

static void
test_add_in_order_copies(void **state)
{
	char **v = NULL, buf[32];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "d%d.example", i);
		strarr_add(&v, &n, buf);
	}
	strcpy(buf, "changed");   /* the array holds copies */
	assert_int_equal(n, 100);
	assert_string_equal(v[0], "d0.example");
	assert_string_equal(v[42], "d42.example");
	assert_string_equal(v[99], "d99.example");
	v = strarr_free(v, n);
	assert_null(v);
}

static void
test_free_empty(void **state)
{
	char **v = NULL;
	size_t n = 0;

	(void)state;
	assert_null(strarr_free(NULL, 0));
	strarr_add(&v, &n, "");
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "");
	assert_null(strarr_free(v, n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_in_order_copies),
		cmocka_unit_test(test_free_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
