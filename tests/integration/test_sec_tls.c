/*
 * test_sec_tls.c: finding "cleartext tokens and routes". postrouted serves
 * https with [server] tls_cert/tls_key and, with tls_client_ca, refuses
 * requests without a client certificate signed by that CA; the agent and
 * the CLI verify the controller with ca_file and present client_cert and
 * client_key; an http:// controller URL to a host that is not loopback is
 * refused unless insecure_http, and one to loopback is never sent through
 * a proxy; postrouted warns when it listens off
 * loopback without TLS; the agent's events outbox uses the same TLS
 * settings as its feed. The CA and certificates are made with openssl at
 * test time (tests/lib/tlspki.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentconf.h"
#include "agentrun.h"
#include "clirun.h"
#include "eventq.h"
#include "httpc.h"
#include "pfx.h"
#include "testlib.h"
#include "tlspki.h"
#include "xalloc.h"

static struct tl_pki *pki;
static struct tl_controller *mtls;    /* https, client certificates required */
static struct tl_controller *plain;   /* http on 127.0.0.1 */
static struct pfx_sink *sink;
static struct pfx *mx;
static char *operator, *agent_tok, *plain_agent_tok;

/* The client identity: the right CA and client certificate. */
static void
good_client(void)
{
	tl_tls_client(pki->ca, pki->client_cert, pki->client_key);
}

static void
setup_fleet(struct tl_controller *c)
{
	char *b = xasprintf("{\"nexthop\": \"%s\"}", sink->nexthop);

	json_decref(tl_api_ok(c, "PUT", "/v1/relays/relay-a", c->admin, b));
	json_decref(tl_api_ok(c, "PUT", "/v1/providers/google", c->admin,
	    "{\"domains\": [\"gmail.test\"]}"));
	json_decref(tl_api_ok(c, "PUT", "/v1/nodes/mx01", c->admin, "{\"role\": \"server\"}"));
	free(b);
}

static int
setup(void **state)
{
	(void)state;
	httpc_global_init();
	pki = tl_pki_new();
	good_client();
	char *server = xasprintf("tls_cert = %s\ntls_key = %s\ntls_client_ca = %s\n",
	    pki->server_cert, pki->server_key, pki->ca);
	mtls = tl_controller_start_https(server, NULL);
	free(server);
	sink = pfx_sink_start("127.0.0.2", NULL);
	mx = pfx_start("mx01", "hash", NULL);
	setup_fleet(mtls);
	operator = tl_token(mtls, "otto", "operator", NULL);
	agent_tok = tl_token(mtls, "mx01", "agent", "mx01");
	tl_tls_client(NULL, NULL, NULL);
	plain = tl_controller_start(NULL);
	setup_fleet(plain);
	plain_agent_tok = tl_token(plain, "mx01", "agent", "mx01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_tls_client(NULL, NULL, NULL);
	tl_controller_free(mtls);
	tl_controller_free(plain);
	pfx_stop(mx);
	pfx_sink_stop(sink);
	tl_pki_free(pki);
	free(operator), free(agent_tok), free(plain_agent_tok);
	return 0;
}

static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static void
expect_in(const char *hay, const char *needle, const char *what)
{
	if (!contains(hay, needle))
		fail_msg("%s: \"%s\" not in:\n%s", what, needle, hay ? hay : "(null)");
}

static char *
ctl_log(const struct tl_controller *c)
{
	char *path = xasprintf("%s/postrouted.log", c->dir);
	char *log = tl_read_file(path);

	free(path);
	return log;
}

/* https with mutual TLS end to end: the agent syncs and applies a route
 * that the CLI flipped and waited for. */
static void
test_https_agent_and_cli(void **state)
{
	struct clirun r;

	(void)state;
	good_client();
	struct agentrun *a = agentrun_new("mx01", mtls->url, agent_tok, mx, NULL, NULL);
	agentrun_start(a);
	clirun(&r, mtls->url, operator, "flip", "google", "--to", "relay-a", "--node", "mx01",
	    "--reason", "over TLS", "--timeout", "30s", NULL);
	clirun_expect(&r, 0, "flip over https with a client certificate");
	expect_in(r.err, "mx01: applied version", "flip output");
	clirun_free(&r);
	char *v = pfx_lookup(mx, "gmail.test");
	assert_non_null(v);
	assert_string_equal(v, sink->nexthop);
	free(v);
	assert_int_equal(agentrun_stop(a), 0);
	agentrun_free(a);
	char *log = ctl_log(mtls);
	expect_in(log, "(https, client certificates required)", "controller start line");
	free(log);

	/* the CLI's own flags do the same as the environment */
	tl_tls_client(NULL, NULL, NULL);
	clirun(&r, mtls->url, operator, "routes", "--ca-file", pki->ca, "--client-cert",
	    pki->client_cert, "--client-key", pki->client_key, NULL);
	clirun_expect(&r, 0, "routes with --ca-file, --client-cert, --client-key");
	clirun_free(&r);
}

/* `postroute status` (what) fails with exit 3 and the agent's run fails,
 * both saying why; the CLI's message also says cli_also (may be NULL). */
static void
expect_refused(const char *what, const char *why, const char *cli_also)
{
	struct clirun r;
	char *log = NULL;

	clirun(&r, mtls->url, operator, "status", NULL);
	clirun_expect(&r, 3, what);
	if (cli_also != NULL)
		expect_in(r.err, cli_also, "CLI error");
	expect_in(r.err, why, "CLI error");
	clirun_free(&r);

	struct agentrun *a = agentrun_new("mx01", mtls->url, agent_tok, mx, NULL, NULL);
	assert_int_not_equal(agentrun_once(a, &log), 0);
	expect_in(log, why, "agent error");
	free(log);
	agentrun_free(a);
}

/* A CA that did not sign the controller's certificate: no request goes
 * through, and the message says what to check. */
static void
test_wrong_ca_fails(void **state)
{
	struct clirun r;

	(void)state;
	tl_tls_client(pki->other_ca, pki->client_cert, pki->client_key);
	assert_int_equal(tl_api(mtls, "GET", "/v1/routes", mtls->admin, NULL, NULL), 0);
	expect_refused("status trusting another CA", "check ca_file", "certificate");

	/* a CA file that cannot be read: a usage error, nothing is sent */
	tl_tls_client(NULL, NULL, NULL);
	char *missing = xasprintf("%s/missing-ca.pem", pki->dir);
	clirun(&r, mtls->url, operator, "status", "--ca-file", missing, NULL);
	clirun_expect(&r, 2, "status with a missing --ca-file");
	expect_in(r.err, "missing-ca.pem: No such file or directory", "CLI error");
	clirun_free(&r);
	clirun(&r, mtls->url, operator, "status", "--ca-file", pki->ca, "--client-cert",
	    pki->client_cert, NULL);
	clirun_expect(&r, 2, "status with --client-cert alone");
	expect_in(r.err, "client_cert is set without client_key", "CLI error");
	clirun_free(&r);
	free(missing);
}

/* mutual TLS: without a client certificate every request is refused. */
static void
test_mtls_without_client_cert_fails(void **state)
{
	json_t *j = NULL;

	(void)state;
	tl_tls_client(pki->ca, NULL, NULL);
	assert_int_equal(tl_api(mtls, "GET", "/v1/routes", mtls->admin, NULL, &j), 403);
	expect_in(json_string_value(json_object_get(j, "error")), "requires a client certificate",
	    "403 body");
	json_decref(j);
	/* nothing behind the check is reached, not even the health check */
	assert_int_equal(tl_api(mtls, "GET", "/healthz", NULL, NULL, NULL), 403);

	expect_refused("status without a client certificate", "requires a client certificate", NULL);
	char *clog = ctl_log(mtls);
	expect_in(clog, "tls: refused a request from 127.0.0.1: no client certificate",
	    "controller log");
	free(clog);
}

static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A client without a certificate may send requests as fast as it likes,
 * and needs no token to: its refusals cannot flood the controller's log
 * (at most 20 lines in 10 s: more than 80 for 100 requests would take
 * the requests over 30 s, which a flood does not). */
static void
test_mtls_refusals_do_not_flood_the_log(void **state)
{
	char *clog;
	int before, after;

	(void)state;
	clog = ctl_log(mtls);
	before = count_of(clog, "tls: refused a request");
	free(clog);
	tl_tls_client(pki->ca, NULL, NULL);
	for (int i = 0; i < 100; i++)
		assert_int_equal(tl_api(mtls, "GET", "/healthz", NULL, NULL, NULL), 403);
	good_client();
	clog = ctl_log(mtls);
	after = count_of(clog, "tls: refused a request");
	free(clog);
	if (after - before > 4 * 20)
		fail_msg("%d refusals logged for 100 requests", after - before);
}

/* A client certificate from another CA is refused like none. */
static void
test_mtls_client_cert_of_other_ca_fails(void **state)
{
	(void)state;
	tl_tls_client(pki->ca, pki->other_client_cert, pki->other_client_key);
	assert_int_equal(tl_api(mtls, "GET", "/v1/routes", mtls->admin, NULL, NULL), 403);
	expect_refused("status with a client certificate of another CA",
	    "not signed by this controller's tls_client_ca", NULL);
	char *clog = ctl_log(mtls);
	expect_in(clog, "The certificate issuer is unknown", "controller log");
	free(clog);
}

/* A certificate of the same CA that is not for client authentication (the
 * controller's own server certificate, extendedKeyUsage serverAuth) is
 * refused like none: a CA that also signs servers' certificates must not
 * turn every server's key into a client identity. */
static void
test_mtls_server_cert_as_client_fails(void **state)
{
	json_t *j = NULL;

	(void)state;
	tl_tls_client(pki->ca, pki->server_cert, pki->server_key);
	assert_int_equal(tl_api(mtls, "GET", "/v1/routes", mtls->admin, NULL, &j), 403);
	expect_in(json_string_value(json_object_get(j, "error")), "is not for client authentication",
	    "403 body");
	json_decref(j);
	char *clog = ctl_log(mtls);
	expect_in(clog, "does not match the intended purpose", "controller log");
	free(clog);
	/* the fleet's client certificate still works */
	good_client();
	assert_int_equal(tl_api(mtls, "GET", "/v1/routes", mtls->admin, NULL, NULL), 200);
}

/* Cleartext HTTP to the TLS port gets no answer. */
static void
test_plain_http_to_tls_port_fails(void **state)
{
	struct clirun r;

	(void)state;
	good_client();
	char *url = xasprintf("http://127.0.0.1:%d", mtls->port);
	char *health = xasprintf("%s/healthz", url);
	assert_int_equal(tl_http("GET", health, NULL, NULL, NULL, NULL), 0);
	clirun(&r, url, operator, "status", NULL);
	clirun_expect(&r, 3, "status over http to the https port");
	expect_in(r.err, "is the controller serving https://?", "CLI error");
	clirun_free(&r);
	free(url), free(health);
}

/* http:// to a host that is not loopback: a configuration error for the
 * agent and the CLI unless insecure_http. 0.0.0.0 is not loopback, yet
 * Linux connects it to this host, so the allowed case really syncs. */
static void
test_cleartext_remote_refused(void **state)
{
	struct clirun r;
	char *out = NULL, *err = NULL, *log = NULL;

	(void)state;
	tl_tls_client(NULL, NULL, NULL);
	char *url = xasprintf("http://0.0.0.0:%d", plain->port);
	struct agentrun *a = agentrun_new("mx01", url, plain_agent_tok, mx, NULL, NULL);
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "-n", "-c", a->conf, NULL };
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	expect_in(err, "[agent] controller: \"http://0.0.0.0:", "agent -n");
	expect_in(err, "is cleartext http:// to a host that is not loopback", "agent -n");
	expect_in(err, "set insecure_http = yes", "agent -n");
	free(out), free(err);
	assert_int_equal(agentrun_once(a, &log), 1);
	expect_in(log, "insecure_http", "agent --once");
	free(log);

	agentrun_config(a, url, plain_agent_tok, mx, "insecure_http = yes\n", NULL);
	assert_int_equal(agentrun_once(a, &log), 0);
	free(log);
	agentrun_free(a);

	clirun(&r, url, plain->admin, "routes", NULL);
	clirun_expect(&r, 2, "routes over http to a host that is not loopback");
	expect_in(r.err, "is cleartext http:// to a host that is not loopback", "CLI error");
	expect_in(r.err, "--insecure-http", "CLI error");
	clirun_free(&r);
	clirun(&r, url, plain->admin, "routes", "--insecure-http", NULL);
	clirun_expect(&r, 0, "routes with --insecure-http");
	clirun_free(&r);
	setenv("POSTROUTE_INSECURE_HTTP", "yes", 1);
	char *words[] = { "routes", NULL };
	clirun_argv(&r, url, plain->admin, words);   /* clirun unsets the variable */
	clirun_expect(&r, 2, "clirun resets POSTROUTE_INSECURE_HTTP");
	clirun_free(&r);
	unsetenv("POSTROUTE_INSECURE_HTTP");
	/* loopback over http stays allowed */
	clirun(&r, plain->url, plain->admin, "routes", NULL);
	clirun_expect(&r, 0, "routes over http to 127.0.0.1");
	clirun_free(&r);
	free(bin), free(url);
}

/* A loopback controller is reached directly even when the environment
 * names a proxy: through one, the token would leave this host in
 * cleartext, which the loopback exemption must not allow. The proxy here
 * is a port nobody listens on, so a request sent through it fails. */
static void
test_loopback_not_proxied(void **state)
{
	struct clirun r;
	char *log = NULL;

	(void)state;
	tl_tls_client(NULL, NULL, NULL);
	char *proxy = xasprintf("http://127.0.0.1:%d", tl_free_port());
	setenv("http_proxy", proxy, 1);
	setenv("all_proxy", proxy, 1);
	clirun(&r, plain->url, plain->admin, "routes", NULL);
	clirun_expect(&r, 0, "routes over http to 127.0.0.1 with http_proxy set");
	clirun_free(&r);
	struct agentrun *a = agentrun_new("mx01", plain->url, plain_agent_tok, mx, NULL, NULL);
	if (agentrun_once(a, &log) != 0)
		fail_msg("agent --once with http_proxy set:\n%s", log);
	free(log);
	agentrun_free(a);
	unsetenv("http_proxy");
	unsetenv("all_proxy");
	free(proxy);
}

/* postrouted -n with listen and TLS settings: the warning, or the error
 * naming the file. */
static int
check_controller(const char *server_lines, char **err)
{
	char *dir = tl_mkdtemp("ctl-n");
	char *conf = xasprintf("%s/postrouted.ini", dir);
	char *ini = xasprintf("[server]\n%s\n[database]\nconninfo = host=/nonexistent\n",
	    server_lines);
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "-n", "-c", conf, NULL };
	char *out = NULL;

	tl_write_file(conf, ini);
	int rc = tl_run(argv, &out, err, 30);
	free(out), free(bin), free(ini), free(conf), free(dir);
	return rc;
}

static void
test_controller_warns_cleartext_off_loopback(void **state)
{
	char *err = NULL;

	(void)state;
	assert_int_equal(check_controller("listen = 0.0.0.0:8470\n", &err), 0);
	expect_in(err, "listening on 0.0.0.0:8470 without TLS", "warning");
	free(err);
	assert_int_equal(check_controller("listen = [::]:8470\n", &err), 0);
	expect_in(err, "without TLS", "warning for ::");
	free(err);
	assert_int_equal(check_controller("listen = 127.0.0.1:8470\n", &err), 0);
	assert_false(contains(err, "without TLS"));
	free(err);
	char *tls = xasprintf("listen = 0.0.0.0:8470\ntls_cert = %s\ntls_key = %s\n",
	    pki->server_cert, pki->server_key);
	assert_int_equal(check_controller(tls, &err), 0);
	assert_false(contains(err, "without TLS"));
	free(err), free(tls);
}

static void
test_controller_bad_tls_files(void **state)
{
	char *err = NULL, *lines;

	(void)state;
	lines = xasprintf("tls_cert = %s/missing.pem\ntls_key = %s\n", pki->dir, pki->server_key);
	assert_int_equal(check_controller(lines, &err), 1);
	expect_in(err, "[server] tls_cert ", "missing cert");
	expect_in(err, "/missing.pem: No such file or directory", "missing cert");
	free(err), free(lines);

	lines = xasprintf("tls_cert = %s\ntls_key = %s\n", pki->server_key, pki->server_key);
	assert_int_equal(check_controller(lines, &err), 1);
	expect_in(err, "server.key: no PEM certificate in it", "key as cert");
	free(err), free(lines);

	lines = xasprintf("tls_cert = %s\ntls_key = %s\n", pki->server_cert, pki->client_key);
	assert_int_equal(check_controller(lines, &err), 1);
	expect_in(err, "client.key: does not match the certificate in tls_cert", "other key");
	free(err), free(lines);

	lines = xasprintf("tls_cert = %s\n", pki->server_cert);
	assert_int_equal(check_controller(lines, &err), 1);
	expect_in(err, "tls_cert is set without tls_key", "cert alone");
	free(err), free(lines);

	lines = xasprintf("tls_cert = %s\ntls_key = %s\ntls_client_ca = %s\n", pki->server_cert,
	    pki->server_key, pki->server_key);
	assert_int_equal(check_controller(lines, &err), 1);
	expect_in(err, "[server] tls_client_ca ", "client CA");
	expect_in(err, "server.key: no PEM certificate in it", "client CA");
	free(err), free(lines);
}

/* The agent reads and checks its TLS files with the rest of its config. */
static void
test_agent_bad_tls_files(void **state)
{
	char *out = NULL, *err = NULL;

	(void)state;
	tl_tls_client(NULL, NULL, NULL);
	char *extra = xasprintf("client_cert = %s\nclient_key = %s\n", pki->client_cert,
	    pki->other_client_key);
	struct agentrun *a = agentrun_new("mx01", mtls->url, agent_tok, mx, extra, NULL);
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "-n", "-c", a->conf, NULL };
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	expect_in(err, "[agent] client_key ", "mismatched key");
	expect_in(err, "other-client.key: does not match the certificate in client_cert", "key");
	free(out), free(err), free(extra);

	extra = xasprintf("ca_file = %s/nope.pem\n", pki->dir);
	agentrun_config(a, mtls->url, agent_tok, mx, extra, NULL);
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	expect_in(err, "[agent] ca_file ", "missing CA");
	expect_in(err, "/nope.pem: No such file or directory", "missing CA");
	free(out), free(err), free(extra);

	extra = xasprintf("client_cert = %s\n", pki->client_cert);
	agentrun_config(a, mtls->url, agent_tok, mx, extra, NULL);
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	expect_in(err, "client_cert is set without client_key", "cert alone");
	free(out), free(err), free(extra);
	free(bin);
	agentrun_free(a);
}

static int
eventq_done(void *arg)
{
	struct eventq_stats st;

	eventq_stats(arg, &st);
	return st.queued == 0 && st.sent + st.refused > 0;
}

/* The events outbox of the agent (the same client set-up as the feed)
 * with the agent's config file: the client certificate goes with it, and
 * without one the controller refuses the event. */
static void
test_events_outbox_over_mtls(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct agent_config cfg;
	struct eventq_stats st;

	(void)state;
	for (int with_cert = 1; with_cert >= 0; with_cert--) {
		tl_tls_client(pki->ca, with_cert ? pki->client_cert : NULL,
		    with_cert ? pki->client_key : NULL);
		struct agentrun *a = agentrun_new("mx01", mtls->url, agent_tok, mx, NULL, NULL);
		if (agentconf_load(a->conf, &cfg, &err) != 0)
			fail_msg("agent.ini: %s", strbuf_str(&err));
		struct eventq *q = eventq_start(&cfg);
		eventq_push(q, json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "type", "block",
		    "node", "mx01", "provider", "google", "class", "reputation", "count", 7 + with_cert,
		    "attempts", 9, "window_s", 300));
		if (!tl_wait_for(eventq_done, q, 20000))
			fail_msg("the event was neither sent nor refused");
		eventq_stats(q, &st);
		assert_int_equal(st.sent, with_cert ? 1 : 0);
		assert_int_equal(st.refused, with_cert ? 0 : 1);
		q = eventq_stop(q, 1000);
		agentconf_free(&cfg);
		agentrun_free(a);
	}
	/* only the event sent with the certificate arrived */
	tl_expect_sql(mtls->conninfo, "SELECT string_agg(counts->>'count', ',') FROM blocks "
	    "WHERE provider = 'google'", "8");
	strbuf_clear(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_agent_and_cli),
		cmocka_unit_test(test_wrong_ca_fails),
		cmocka_unit_test(test_mtls_without_client_cert_fails),
		cmocka_unit_test(test_mtls_client_cert_of_other_ca_fails),
		cmocka_unit_test(test_mtls_server_cert_as_client_fails),
		cmocka_unit_test(test_mtls_refusals_do_not_flood_the_log),
		cmocka_unit_test(test_plain_http_to_tls_port_fails),
		cmocka_unit_test(test_cleartext_remote_refused),
		cmocka_unit_test(test_loopback_not_proxied),
		cmocka_unit_test(test_controller_warns_cleartext_off_loopback),
		cmocka_unit_test(test_controller_bad_tls_files),
		cmocka_unit_test(test_agent_bad_tls_files),
		cmocka_unit_test(test_events_outbox_over_mtls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
