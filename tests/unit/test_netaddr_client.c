/*
 * test_netaddr_client.c: which client an address stands for
 * (netaddr_client_key): an IPv4 address and its IPv4-mapped IPv6 form are
 * the same client, two IPv6 addresses of one /64 are one client, another
 * /64 is another, and a family that is not IP has no key.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>
#include <cmocka.h>

#include "netaddr.h"

static int
key_v4(const char *ip, unsigned char key[16])
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return netaddr_client_key((const struct sockaddr *)&a, key);
}

static int
key_v6(const char *ip, unsigned char key[16])
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return netaddr_client_key((const struct sockaddr *)&a, key);
}

static void
test_ipv4_and_mapped_are_one(void **state)
{
	unsigned char a[16], b[16], c[16];

	(void)state;
	assert_int_equal(key_v4("192.0.2.7", a), AF_INET);
	assert_int_equal(key_v6("::ffff:192.0.2.7", b), AF_INET);
	assert_memory_equal(a, b, 16);
	assert_int_equal(key_v4("192.0.2.8", c), AF_INET);
	assert_memory_not_equal(a, c, 16);
}

static void
test_ipv6_by_64(void **state)
{
	unsigned char a[16], b[16], c[16];
	static const unsigned char zero[8];

	(void)state;
	assert_int_equal(key_v6("2001:db8:1:2::1", a), AF_INET6);
	assert_int_equal(key_v6("2001:db8:1:2:ffff:ffff:ffff:ffff", b), AF_INET6);
	assert_memory_equal(a, b, 16);
	assert_memory_equal(a + 8, zero, 8);
	assert_int_equal(key_v6("2001:db8:1:3::1", c), AF_INET6);
	assert_memory_not_equal(a, c, 16);
}

static void
test_not_ip(void **state)
{
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	unsigned char key[16];
	static const unsigned char zero[16];

	(void)state;
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(netaddr_client_key((const struct sockaddr *)&u, key), -1);
	assert_memory_equal(key, zero, 16);
	assert_int_equal(netaddr_client_key(NULL, key), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_and_mapped_are_one),
		cmocka_unit_test(test_ipv6_by_64),
		cmocka_unit_test(test_not_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
