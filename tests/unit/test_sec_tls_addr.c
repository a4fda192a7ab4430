/*
 * test_sec_tls_addr.c: finding "cleartext tokens and routes", the
 * decisions: which hosts are loopback (netaddr.h), which controller URLs
 * would send a token in cleartext over a network (httpc.h), and when
 * postrouted warns that it listens off loopback without TLS (tls.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "httpc.h"
#include "netaddr.h"
#include "tls.h"

static void
test_loopback_hosts(void **state)
{
	(void)state;
	assert_true(netaddr_is_loopback("127.0.0.1"));
	assert_true(netaddr_is_loopback("127.1.2.3"));
	assert_true(netaddr_is_loopback("::1"));
	assert_true(netaddr_is_loopback("[::1]"));
	assert_true(netaddr_is_loopback("::ffff:127.0.0.1"));
	assert_true(netaddr_is_loopback("localhost"));
	assert_true(netaddr_is_loopback("LocalHost."));
	assert_false(netaddr_is_loopback("0.0.0.0"));
	assert_false(netaddr_is_loopback("::"));
	assert_false(netaddr_is_loopback("[::]"));
	assert_false(netaddr_is_loopback("128.0.0.1"));
	assert_false(netaddr_is_loopback("10.0.0.1"));
	assert_false(netaddr_is_loopback("::ffff:10.0.0.1"));
	assert_false(netaddr_is_loopback("localhost.example.net"));
	assert_false(netaddr_is_loopback("127.0.0.1.example.net"));
	assert_false(netaddr_is_loopback("ctl.example.net"));
	assert_false(netaddr_is_loopback(""));
	assert_false(netaddr_is_loopback("[]"));
}

static void
test_cleartext_remote_urls(void **state)
{
	(void)state;
	httpc_global_init();
	assert_true(httpc_url_cleartext_remote("http://10.0.0.5:8470"));
	assert_true(httpc_url_cleartext_remote("http://ctl.example.net:8470/"));
	assert_true(httpc_url_cleartext_remote("HTTP://ctl.example.net"));
	assert_true(httpc_url_cleartext_remote("http://0.0.0.0:8470"));
	assert_true(httpc_url_cleartext_remote("http://[2001:db8::1]:8470"));
	assert_true(httpc_url_cleartext_remote("http://localhost.example.net:8470"));
	/* the host is what counts, not what the user part says */
	assert_true(httpc_url_cleartext_remote("http://127.0.0.1@ctl.example.net:8470"));
	assert_false(httpc_url_cleartext_remote("https://ctl.example.net:8443"));
	assert_false(httpc_url_cleartext_remote("http://127.0.0.1:8470"));
	assert_false(httpc_url_cleartext_remote("http://127.9.9.9:8470/"));
	assert_false(httpc_url_cleartext_remote("http://[::1]:8470"));
	assert_false(httpc_url_cleartext_remote("http://localhost:8470"));
	assert_false(httpc_url_cleartext_remote("http://LOCALHOST"));
}

static void
test_listen_warning(void **state)
{
	(void)state;
	assert_true(tls_listen_exposed("0.0.0.0:8470", 0));
	assert_true(tls_listen_exposed("[::]:8470", 0));
	assert_true(tls_listen_exposed("192.0.2.10:8470", 0));
	assert_true(tls_listen_exposed("[2001:db8::1]:8470", 0));
	assert_false(tls_listen_exposed("0.0.0.0:8470", 1));
	assert_false(tls_listen_exposed("127.0.0.1:8470", 0));
	assert_false(tls_listen_exposed("127.0.0.2:8470", 0));
	assert_false(tls_listen_exposed("[::1]:8470", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_hosts),
		cmocka_unit_test(test_cleartext_remote_urls),
		cmocka_unit_test(test_listen_warning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
