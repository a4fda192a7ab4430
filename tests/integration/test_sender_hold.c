/*
 * test_sender_hold.c: a hijacked account, end to end on real parts. A
 * private Postfix with SMTP AUTH and check_sasl_access, its agent keeping
 * the hold map and following the maillog, the real controller with
 * [policy] hold_on_surge = yes, the real CLI and a webhook receiver:
 *
 *   postroute sender hold bob -> bob's next mail waits in the hold queue;
 *   postroute sender release bob -> it is delivered;
 *   alice suddenly submits dozens of messages -> the agent reports a
 *   volume surge, the policy holds alice, her next mail is held and
 *   on-call is told how to release her; the release delivers it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "clirun.h"
#include "pfx.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

#define PW "pw-0123456789"
#define RCPT "someone@dest.test"

static struct tl_controller *ctl;
static struct webhook *hook;
static struct pfx_sink *sink;
static struct pfx *mx;
static struct agentrun *agent;

static void
expect_sql(const char *q, const char *want)
{
	tl_expect_sql(ctl->conninfo, q, want);
}

static int
group_setup(void **state)
{
	(void)state;
	hook = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\nrunbook_url = https://runbook.example/hold\n"
	    "[policy]\nhold_on_surge = yes\n", webhook_url(hook));
	ctl = tl_controller_start(ini);
	free(ini);
	sink = pfx_sink_start("127.0.2.2", NULL);
	mx = pfx_start_sasl("mx01", "hash", sink->nexthop);
	assert_int_equal(pfx_sasl_user(mx, "alice@example.test", PW), 0);
	assert_int_equal(pfx_sasl_user(mx, "bob@example.test", PW), 0);
	char *pf = xasprintf("hold_map = %s", mx->hold);
	agent = agentrun_watching(ctl, "mx01", mx, "poll_wait = 60s", pf, "volume_interval = 10s\n"
	    "volume_warmup = 0\nvolume_rate_floor = 20\n");
	free(pf);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	assert_int_equal(agentrun_stop(agent), 0);
	agentrun_free(agent);
	pfx_stop(mx);
	pfx_sink_stop(sink);
	tl_controller_finish(ctl);
	webhook_stop(hook);
	return 0;
}

/* The hold map file lists login (or, with want 0, does not). */
struct inmap {
	const char *login;
	int want;
};

static int
map_has(void *arg)
{
	struct inmap *m = arg;
	char *text = tl_read_file(mx->hold);
	int has = text != NULL && strstr(text, m->login) != NULL;

	free(text);
	return has == m->want;
}

static void
await_map(const char *login, int want)
{
	struct inmap m = { login, want };

	if (!tl_wait_for(map_has, &m, 10000))
		fail_msg("hold map %s %s:\n%s", want ? "lacks" : "still has", login,
		    tl_read_file(agent->log));
}

static void
submit(const char *login, const char *subject)
{
	if (pfx_submit(mx, login, PW, login, RCPT, subject) != 0)
		fail_msg("%s: submission refused", login);
}

static void
test_cli_hold_and_release(void **state)
{
	struct clirun r;

	(void)state;
	int at_sink = pfx_sink_count(sink);
	clirun(&r, ctl->url, ctl->admin, "sender", "hold", "bob@example.test", "--reason",
	    "ticket 4711", NULL);
	clirun_expect(&r, 0, "sender hold");
	clirun_free(&r);
	await_map("bob@example.test", 1);
	submit("bob@example.test", "while held");
	pfx_await_queue(mx, "hold", 1, 10000);
	pfx_await_settled(mx, 10000);   /* nothing else under way: the sink's count is final */
	assert_int_equal(pfx_sink_count(sink), at_sink);
	clirun(&r, ctl->url, ctl->admin, "sender", "release", "bob@example.test", "--reason",
	    "password reset", NULL);
	clirun_expect(&r, 0, "sender release");
	clirun_free(&r);
	if (!pfx_sink_wait(sink, at_sink + 1, 10000))
		fail_msg("bob's held mail was not delivered:\n%s", tl_read_file(agent->log));
	pfx_await_queue(mx, "hold", 0, 10000);
	clirun(&r, ctl->url, ctl->admin, "history", "--json", NULL);
	clirun_expect(&r, 0, "history");
	assert_non_null(strstr(r.out, "sender.hold"));
	assert_non_null(strstr(r.out, "sender.release"));
	clirun_free(&r);
}

static int
alice_held(void *arg)
{
	(void)arg;
	char *v = tl_sql(ctl->conninfo, "SELECT origin FROM holds"
	    " WHERE sender = 'alice@example.test'");
	int yes = v != NULL && strcmp(v, "auto") == 0;
	free(v);
	return yes;
}

static void
test_surge_holds_by_itself(void **state)
{
	struct clirun r;

	(void)state;
	/* a quiet account suddenly sends 30 messages */
	for (int i = 0; i < 30; i++)
		submit("alice@example.test", "burst");
	if (!tl_wait_for(alice_held, NULL, 20000))
		fail_msg("alice not held:\n%s", tl_read_file(agent->log));
	expect_sql("SELECT count(*) FROM history WHERE action = 'volume.surge'"
	    " AND after->>'sender' = 'alice@example.test'", "1");
	expect_sql("SELECT actor FROM holds WHERE sender = 'alice@example.test'", "policy");
	await_map("alice@example.test", 1);
	/* her next message waits; the burst itself went out before the hold */
	int at_sink = pfx_sink_count(sink);
	submit("alice@example.test", "after the hold");
	pfx_await_queue(mx, "hold", 1, 10000);
	/* on-call is told, with the way back */
	webhook_await(hook, "alice@example.test", "postroute sender release alice@example.test", 10000);
	clirun(&r, ctl->url, ctl->admin, "sender", "list", "--json", NULL);
	clirun_expect(&r, 0, "sender list");
	assert_non_null(strstr(r.out, "alice@example.test"));
	clirun_free(&r);
	clirun(&r, ctl->url, ctl->admin, "sender", "release", "alice@example.test", NULL);
	clirun_expect(&r, 0, "sender release");
	clirun_free(&r);
	if (!pfx_sink_wait(sink, at_sink + 1, 10000))
		fail_msg("alice's held mail was not delivered");
	pfx_await_queue(mx, "hold", 0, 10000);
	await_map("alice@example.test", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_hold_and_release),
		cmocka_unit_test(test_surge_holds_by_itself),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
