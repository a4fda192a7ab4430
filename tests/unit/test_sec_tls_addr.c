/*
 * test_sec_tls_addr.c: finding "cleartext tokens and routes", the
 * decisions: which hosts are loopback (netaddr.h), which controller URLs
 * would send a token in cleartext over a network (httpc.h), and when
 * postrouted warns that it listens off loopback without TLS (tls.h), and
 * where the CLI takes insecure_http from (cliconf.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"
#include "cliconf.h"
#include "httpc.h"
#include "netaddr.h"
#include "testlib.h"
#include "tls.h"
#include "xalloc.h"

static const char *env_insecure;
static const char *env_ini;

static const char *
fake_env(const char *name)
{
	if (strcmp(name, "POSTROUTE_INSECURE_HTTP") == 0)
		return env_insecure;
	if (strcmp(name, "POSTROUTE_CONFIG") == 0)
		return env_ini;
	if (strcmp(name, "POSTROUTE_TOKEN") == 0)
		return "t";
	return NULL;
}

/* cliconf_resolve for --url URL [--insecure-http], the token from
 * POSTROUTE_TOKEN. */
static int
resolve(const char *url, int flag, struct strbuf *err)
{
	static const struct args_opt opts[] = {
		{ "url", ARGS_VALUE, "URL", "" }, { "insecure-http", ARGS_FLAG, NULL, "" },
		{ NULL, ARGS_FLAG, NULL, NULL },
	};
	const struct args_opt *const tables[] = { opts, NULL };
	char *argv[] = { "--url", (char *)url, "--insecure-http" };
	struct args a;
	struct cliconf s;

	assert_int_equal(args_parse(&a, tables, flag ? 3 : 2, argv, err), 0);
	int rc = cliconf_resolve(&s, &a, fake_env, err);
	if (rc == 0)
		cliconf_free(&s);
	args_free(&a);
	return rc;
}

static void
test_cli_insecure_http(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char *dir = tl_mkdtemp("cli-insecure");
	char *ini = xasprintf("%s/cli.ini", dir);

	(void)state;
	env_insecure = env_ini = NULL;
	assert_int_equal(resolve("http://10.0.0.5:8470", 0, &err), -1);
	assert_string_equal(strbuf_str(&err), "controller URL \"http://10.0.0.5:8470\" is cleartext "
	    "http:// to a host that is not loopback (the token would cross the network "
	    "unprotected): use https://, or --insecure-http");
	strbuf_reset(&err);
	assert_int_equal(resolve("http://10.0.0.5:8470", 1, &err), 0);
	assert_int_equal(resolve("https://10.0.0.5:8470", 0, &err), 0);
	assert_int_equal(resolve("http://[::1]:8470", 0, &err), 0);
	env_insecure = "yes";
	assert_int_equal(resolve("http://10.0.0.5:8470", 0, &err), 0);
	env_insecure = "maybe";
	assert_int_equal(resolve("http://10.0.0.5:8470", 0, &err), -1);
	assert_string_equal(strbuf_str(&err), "POSTROUTE_INSECURE_HTTP: \"maybe\" is not yes or no");
	strbuf_reset(&err);
	env_insecure = NULL;
	tl_write_file(ini, "[cli]\ninsecure_http = yes\n");
	env_ini = ini;
	assert_int_equal(resolve("http://10.0.0.5:8470", 0, &err), 0);
	env_insecure = "no";   /* the environment wins over the file */
	assert_int_equal(resolve("http://10.0.0.5:8470", 0, &err), -1);
	env_insecure = env_ini = NULL;
	strbuf_clear(&err);
	free(ini), free(dir);
}

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
	assert_true(netaddr_is_loopback("LocalHost"));
	/* libcurl answers "localhost" itself, but asks DNS for "localhost." */
	assert_false(netaddr_is_loopback("localhost."));
	assert_false(netaddr_is_loopback("LocalHost."));
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
	assert_true(httpc_url_cleartext_remote("http://localhost.:8470"));
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
		cmocka_unit_test(test_cli_insecure_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
