/*
 * test_deploy_relay.c: the Postfix set-up of docs/deploy.md, section 7,
 * on a real Postfix with the real controller and agent.
 *
 * One master.cf service per relay, made with the guide's commands
 * (postconf -Me "relay-b/unix = relay-b unix - - n - - smtp", postconf -Pe
 * "relay-b/unix/syslog_name=postfix/relay-b"), and relays whose nexthop
 * names that service (relay-b:[HOST]:PORT). The node's token is made with
 * `postrouted token create --batch` from a one-line list, as a new host's
 * would be. A flip to relay-b is applied, mail to the provider leaves
 * through service relay-b and arrives at the relay (an smtp-sink), its
 * log line is postfix/relay-b/smtp, and the agent's log reader
 * (postroute-agent scan) attributes that line to the provider. A route to
 * relay-c, whose service this host lacks, fails at the mastercf step and
 * leaves the installed map alone; once the guide's command adds the
 * service, the same version is applied.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "agentrun.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct pfx_sink *relay;
static struct pfx *mx;
static struct agentrun *agent;

static void
assert_contains(const char *text, const char *want)
{
	if (text == NULL || strstr(text, want) == NULL)
		fail_msg("missing \"%s\" in:\n%s", want, text ? text : "(nothing)");
}

/* postconf -c CONF ARG VALUE, as the guide runs it (without -c). */
static void
postconf(const char *arg, const char *value)
{
	char *argv[] = { "/usr/sbin/postconf", "-c", mx->conf_dir, (char *)arg, (char *)value, NULL };
	char *err = NULL;

	if (tl_run(argv, NULL, &err, 30) != 0)
		fail_msg("postconf %s %s: %s", arg, value, err);
	free(err);
}

/* The guide's two commands for relay r's service. */
static void
add_relay_service(const char *r)
{
	char *m = xasprintf("%s/unix = %s unix - - n - - smtp", r, r);
	char *p = xasprintf("%s/unix/syslog_name=postfix/%s", r, r);

	postconf("-Me", m);
	postconf("-Pe", p);
	free(m), free(p);
}

static void
put_relay(const char *name)
{
	char *path = xasprintf("/v1/relays/%s", name);
	char *body = xasprintf("{\"nexthop\": \"%s:[%s]:%d\"}", name, relay->ip, relay->port);

	json_decref(tl_api_ok(ctl, "PUT", path, ctl->admin, body));
	free(path), free(body);
}

/* The node's token, made as docs/deploy.md enrols a host. */
static char *
enrol(const char *node)
{
	char *dir = tl_mkdtemp("enrol"), *list = xasprintf("%s/nodes.txt", dir);
	char *out_dir = xasprintf("%s/out", dir), *file = xasprintf("%s/%s.token", out_dir, node);
	char *bin = xasprintf("%s/postrouted", tl_bindir()), *text = xasprintf("%s\n", node);
	char *argv[] = { bin, "token", "create", "--batch", list, "--role", "agent", "--out-dir",
		out_dir, "-c", ctl->conf, NULL };
	char *out = NULL, *err = NULL, *tok;

	tl_write_file(list, text);
	assert_int_equal(mkdir(out_dir, 0700), 0);
	if (tl_run(argv, &out, &err, 30) != 0)
		fail_msg("token create --batch: %s", err);
	tok = tl_read_file(file);
	tok[strcspn(tok, "\n")] = '\0';
	free(dir), free(list), free(out_dir), free(file), free(bin), free(text), free(out), free(err);
	return tok;
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	relay = pfx_sink_start("127.0.0.6", NULL);
	mx = pfx_start("dep01", "hash", NULL);
	add_relay_service("relay-b");
	char *argv[] = { "/usr/sbin/postfix", "-c", mx->conf_dir, "reload", NULL };
	assert_int_equal(tl_run(argv, NULL, NULL, 30), 0);
	put_relay("relay-b");
	put_relay("relay-c");
	json_decref(tl_api_ok(ctl, "PUT", "/v1/providers/google", ctl->admin,
	    "{\"domains\": [\"gmail.test\"], \"mx_patterns\": [\"*.google.test\"]}"));
	json_decref(tl_api_ok(ctl, "PUT", "/v1/nodes/dep01", ctl->admin, "{\"role\": \"server\"}"));
	char *tok = enrol("dep01");
	agent = agentrun_new("dep01", ctl->url, tok, mx, NULL, NULL);
	free(tok);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	agentrun_free(agent);
	pfx_stop(mx);
	pfx_sink_stop(relay);
	tl_controller_finish(ctl);
	return 0;
}

static void
route(const char *relay_name)
{
	char *body = xasprintf("{\"relay\": \"%s\", \"reason\": \"deploy guide\"}", relay_name);

	json_decref(tl_api_ok(ctl, "PUT", "/v1/routes/google", ctl->admin, body));
	free(body);
}

static int
sent_through_relay_b(void *arg)
{
	char *log = tl_read_file(mx->maillog);
	const char *p = log ? strstr(log, "postfix/relay-b/smtp[") : NULL;
	int ok = p != NULL && strstr(p, "to=<user@gmail.test>") != NULL &&
	    strstr(p, "status=sent") != NULL;

	(void)arg;
	free(log);
	return ok;
}

/* Mail for the provider leaves through service relay-b, and the log
 * reader attributes its log line to the provider. */
static void
test_mail_through_relay_service(void **state)
{
	char *want = xasprintf("relay-b:[%s]:%d", relay->ip, relay->port), *log = NULL, *got;

	(void)state;
	route("relay-b");
	if (agentrun_once(agent, &log) != 0)
		fail_msg("agent --once: %s", log);
	got = pfx_lookup(mx, "gmail.test");
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(pfx_send(mx, "user@gmail.test", "through relay-b"), 0);
	if (!pfx_sink_wait(relay, 1, 20000))
		fail_msg("nothing reached the relay; maillog:\n%s", tl_read_file(mx->maillog));
	/* the relay may have the message before postlogd writes the line */
	if (!tl_wait_for(sent_through_relay_b, NULL, 10000))
		fail_msg("no postfix/relay-b/smtp status=sent line; maillog:\n%s",
		    tl_read_file(mx->maillog));

	/* the catalogue as the controller has it (this test's domains) */
	char *bin = xasprintf("%s/postroute-agent", tl_bindir()), *out = NULL, *err = NULL;
	char *cat = xasprintf("%s/providers.conf", mx->dir);
	tl_write_file(cat, "google domains gmail.test\ngoogle mx *.google.test\n");
	char *argv[] = { bin, "scan", "--providers", cat, mx->maillog, NULL };
	if (tl_run(argv, &out, &err, 60) != 0)
		fail_msg("scan: %s", err);
	assert_contains(out, "\"provider\":\"google\",\"domain\":\"gmail.test\"");
	assert_contains(out, "\"status\":\"sent\"");
	free(bin), free(cat), free(out), free(err), free(want), free(log), free(got);
}

/* A relay whose service this host lacks: the version fails at mastercf
 * and the map stays; the guide's command adds the service and the same
 * version is applied. */
static void
test_missing_service_then_added(void **state)
{
	char *b = xasprintf("relay-b:[%s]:%d", relay->ip, relay->port);
	char *c = xasprintf("relay-c:[%s]:%d", relay->ip, relay->port), *log = NULL, *got;

	(void)state;
	route("relay-c");
	assert_int_equal(agentrun_once(agent, &log), 1);
	assert_contains(log, "service \"relay-c\" is not in master.cf");
	got = pfx_lookup(mx, "gmail.test");
	assert_string_equal(got, b);
	free(got), free(log);
	json_t *st = tl_api_ok(ctl, "GET", "/v1/nodes/dep01", ctl->admin, NULL);
	assert_string_equal(json_string_value(json_object_get(st, "last_status")), "failed");
	assert_contains(json_string_value(json_object_get(st, "last_error")), "relay-c");
	json_decref(st);

	add_relay_service("relay-c");
	log = NULL;
	if (agentrun_once(agent, &log) != 0)
		fail_msg("agent --once after adding relay-c: %s", log);
	got = pfx_lookup(mx, "gmail.test");
	assert_string_equal(got, c);
	free(got), free(log), free(b), free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_through_relay_service),
		cmocka_unit_test(test_missing_service_then_added),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
