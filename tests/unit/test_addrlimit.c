/*
 * test_addrlimit.c: the per-address failure budget behind 429 answers:
 * spent after per_minute failures, refilled over the minute, one budget
 * per IPv4 address and per IPv6 /64, off at 0, and a spray of addresses
 * does not touch an address's own count beyond its set.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addrlimit.h"

static struct sockaddr_in
v4(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6
v6(const char *ip)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void
test_budget_spent_and_refilled(void **state)
{
	struct addrlimit *l = addrlimit_new(6);   /* one failure back every 10 s */
	struct sockaddr_in a = v4("192.0.2.1"), b = v4("192.0.2.2");

	(void)state;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(addrlimit_blocked(l, SA(a), 100.0), 0);
		addrlimit_fail(l, SA(a), 100.0);
	}
	assert_int_equal(addrlimit_blocked(l, SA(a), 100.0), 10);
	assert_int_equal(addrlimit_blocked(l, SA(a), 105.0), 5);
	assert_int_equal(addrlimit_blocked(l, SA(b), 105.0), 0);   /* another address */
	assert_int_equal(addrlimit_blocked(l, SA(a), 110.0), 0);   /* one back */
	addrlimit_fail(l, SA(a), 110.0);
	assert_true(addrlimit_blocked(l, SA(a), 110.0) > 0);
	assert_int_equal(addrlimit_blocked(l, SA(a), 200.0), 0);
	addrlimit_free(l);
}

static void
test_ipv6_by_prefix(void **state)
{
	struct addrlimit *l = addrlimit_new(2);
	struct sockaddr_in6 a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9"),
	    c = v6("2001:db8:1:3::1"), m = v6("::ffff:192.0.2.7");
	struct sockaddr_in m4 = v4("192.0.2.7");

	(void)state;
	addrlimit_fail(l, SA(a), 1.0);
	addrlimit_fail(l, SA(b), 1.0);              /* same /64 */
	assert_true(addrlimit_blocked(l, SA(a), 1.0) > 0);
	assert_int_equal(addrlimit_blocked(l, SA(c), 1.0), 0);
	addrlimit_fail(l, SA(m), 1.0);              /* IPv4-mapped is the IPv4 address */
	addrlimit_fail(l, SA(m4), 1.0);
	assert_true(addrlimit_blocked(l, SA(m4), 1.0) > 0);
	addrlimit_free(l);
}

static void
test_off_and_unknown(void **state)
{
	struct addrlimit *l = addrlimit_new(0);
	struct sockaddr_in a = v4("192.0.2.1");

	(void)state;
	for (int i = 0; i < 100; i++)
		addrlimit_fail(l, SA(a), 1.0);
	assert_int_equal(addrlimit_blocked(l, SA(a), 1.0), 0);
	addrlimit_free(l);
	l = addrlimit_new(1);
	addrlimit_fail(l, NULL, 1.0);
	assert_int_equal(addrlimit_blocked(l, NULL, 1.0), 0);
	addrlimit_free(l);
}

/* 100,000 other addresses failing once each: the table stays its size
 * and, once the spray stops, a blocked address that fails again is
 * blocked again. */
static void
test_spray(void **state)
{
	struct addrlimit *l = addrlimit_new(3);
	struct sockaddr_in a = v4("198.51.100.1");

	(void)state;
	for (int i = 0; i < 3; i++)
		addrlimit_fail(l, SA(a), 1.0);
	assert_true(addrlimit_blocked(l, SA(a), 1.0) > 0);
	for (uint32_t i = 0; i < 100000; i++) {
		struct sockaddr_in o = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u + i) };
		addrlimit_fail(l, SA(o), 2.0);
	}
	for (int i = 0; i < 3; i++)
		addrlimit_fail(l, SA(a), 3.0);
	assert_true(addrlimit_blocked(l, SA(a), 3.0) > 0);
	addrlimit_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_spent_and_refilled),
		cmocka_unit_test(test_ipv6_by_prefix),
		cmocka_unit_test(test_off_and_unknown),
		cmocka_unit_test(test_spray),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
