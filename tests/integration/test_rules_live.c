/*
 * test_rules_live.c: a rule changed without a deploy, end to end on real
 * parts: a private Postfix (mx01) whose yahoo.test mail meets an
 * smtp-sink answering a reply that no shipped rule knows, its agent
 * following the instance's maillog_file, the real controller and the
 * real CLI.
 *
 *   the reply is class unknown (ambiguous for 4.7.0): no block;
 *   `postroute rule add` stores a rule for it; the agent swaps its
 *   classifier without a restart (its log says so); the same reply, met
 *   again by new mail, now opens a block; the policy routes yahoo around
 *   mx01's IP and the agent's transport map shows the route; the
 *   deferred mail arrives at the healthy relay.
 *
 *   A rule that does not compile, written into the database behind the
 *   API's back, reaches the agent: it is skipped and logged, the agent's
 *   applied report names it (the controller logs it), the agent keeps
 *   running and the other new rule applies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "agentrun.h"
#include "clirun.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

#define ZX_REPLY "421 4.7.0 [ZX42] try again in a while"

static struct tl_controller *ctl;
static struct pfx_sink *sink_zx, *sink_good;
static struct pfx *mx1;
static struct agentrun *ag;
static char *operator;

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static void
expect_sql(const char *q, const char *want)
{
	tl_expect_sql(ctl->conninfo, q, want);
}

static long long
sql_int(const char *q)
{
	char *v = tl_sql(ctl->conninfo, q);
	long long n = v ? atoll(v) : -1;

	free(v);
	return n;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
group_setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	operator = tl_token(ctl, "otto", "operator", NULL);
	sink_zx = pfx_sink_start("127.0.1.2", ZX_REPLY);
	sink_good = pfx_sink_start("127.0.1.3", NULL);
	char *body = xasprintf("{\"nexthop\": \"%s\"}", sink_good->nexthop);
	api("PUT", "/v1/relays/r-good", body);
	free(body);
	/* attributed by domain: the sinks are no provider's MX hosts */
	api("PUT", "/v1/providers/yahoo", "{\"domains\": [\"yahoo.test\"], \"mx_patterns\": []}");
	mx1 = pfx_start("mx01", "hash", sink_zx->nexthop);
	ag = agentrun_watching(ctl, "mx01", mx1, "poll_wait = 60s", NULL, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	assert_int_equal(agentrun_stop(ag), 0);   /* still running: a clean stop */
	assert_int_equal(agentrun_log_count(ag, "Sanitizer"), 0);
	assert_int_equal(agentrun_log_count(ag, "runtime error"), 0);
	agentrun_free(ag);
	pfx_stop(mx1);
	pfx_sink_stop(sink_zx), pfx_sink_stop(sink_good);
	assert_int_equal(tl_controller_stop(ctl), 0);
	tl_controller_free(ctl);
	free(operator);
	return 0;
}

static void
send_n(int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char *rcpt = xasprintf("user%d@yahoo.test", i);
		assert_int_equal(pfx_send(mx1, rcpt, "zx42"), 0);
		free(rcpt);
	}
}

static int
classified_unknown(void *arg)
{
	return agentrun_log_count(ag, "yahoo deferred class=unknown reroutable=ambiguous") >=
	    *(int *)arg;
}

static int
swaps_at_least(void *arg)
{
	return agentrun_log_count(ag, "classifier rules in force") >= *(int *)arg;
}

static int
applied(void *arg)
{
	(void)arg;
	return sql_int("SELECT count(*) FROM nodes n, routing_version v WHERE n.name = 'mx01'"
	    " AND n.applied_version = v.version") == 1;
}

static int
yahoo_routed(void *arg)
{
	(void)arg;
	char *l = pfx_lookup(mx1, "yahoo.test");
	int yes = l != NULL && strcmp(l, sink_good->nexthop) == 0;
	free(l);
	return yes;
}

static void
test_rule_added_with_the_cli_reroutes(void **state)
{
	struct clirun r;
	int n = 6;

	(void)state;
	/* no rule knows the reply: unknown, ambiguous; nothing opens */
	send_n(0, n);
	if (!tl_wait_for(classified_unknown, &n, 20000))
		fail_msg("the agent did not classify the replies as unknown:\n%s", tl_read_file(ag->log));
	expect_sql("SELECT count(*) FROM blocks", "0");
	expect_sql("SELECT count(*) FROM routes", "0");

	/* what the rule would change, then the rule, from the CLI */
	clirun(&r, ctl->url, operator, "rule", "test", "zx42", "--class", "reputation",
	    "--reroutable", "yes", "--provider", "yahoo", "\\[ZX42\\]", "--log", mx1->maillog, NULL);
	clirun_expect(&r, 0, "rule test");
	if (strstr(r.out, "unknown/ambiguous (fallback)\treputation/yes (zx42)") == NULL)
		fail_msg("rule test printed:\n%s", r.out);
	clirun_free(&r);
	int swaps = agentrun_log_count(ag, "classifier rules in force") + 1;
	double t0 = now_s();
	clirun(&r, ctl->url, operator, "rule", "add", "zx42", "--class", "reputation",
	    "--reroutable", "yes", "--provider", "yahoo", "--note", "Acme's throttle",
	    "\\[ZX42\\]", NULL);
	clirun_expect(&r, 0, "rule add");
	clirun_free(&r);

	/* the agent swaps its classifier, without a restart, and reports */
	if (!tl_wait_for(swaps_at_least, &swaps, 15000))
		fail_msg("the agent did not take the rule:\n%s", tl_read_file(ag->log));
	print_message("rule add (CLI) to the agent's new classifier in force: %.2f s\n", now_s() - t0);
	if (!tl_wait_for(applied, NULL, 15000))
		fail_msg("the agent did not report the version applied:\n%s", tl_read_file(ag->log));
	assert_int_equal(agentrun_log_count(ag, "logwatch: following"), 1);

	/* the same reply now means reputation, reroutable: a block, a route */
	t0 = now_s();
	send_n(n, n);
	if (!tl_wait_for(yahoo_routed, NULL, 30000))
		fail_msg("no route in mx01's transport map; agent log:\n%s", tl_read_file(ag->log));
	print_message("new mail meeting the reply to the route in mx01's map: %.2f s\n", now_s() - t0);
	/* the block's class is the most frequent among the counted failures:
	 * the earlier unknown (ambiguous) ones may outnumber the new ones */
	expect_sql("SELECT node || ' ' || provider || ' ' || (class IN ('reputation', 'unknown'))"
	    " FROM blocks WHERE cleared_at IS NULL", "mx01 yahoo true");
	expect_sql("SELECT provider || ' ' || scope || ' ' || relay || ' ' || origin FROM routes",
	    "yahoo mx01 r-good auto");
	char *samples = tl_sql(ctl->conninfo, "SELECT samples::text FROM blocks");
	assert_non_null(strstr(samples, "[ZX42]"));
	free(samples);
	assert_true(agentrun_log_count(ag, "yahoo deferred class=reputation reroutable=yes") >= 2);
	/* the deferred mail, old and new, goes through the healthy relay */
	if (!pfx_sink_wait(sink_good, 2 * n, 40000))
		fail_msg("%d of %d messages at the healthy relay", pfx_sink_count(sink_good), 2 * n);
	expect_sql("SELECT string_agg(action, ',' ORDER BY id) FROM history"
	    " WHERE action IN ('rule.put', 'block.open', 'policy.flip')",
	    "rule.put,block.open,policy.flip");
}

static int
skipped_logged(void *arg)
{
	(void)arg;
	return agentrun_log_count(ag, "rule broken skipped: pattern: bad pattern at offset 9:"
	    " missing closing parenthesis") > 0;
}

static int
controller_told(void *arg)
{
	char *path = xasprintf("%s/postrouted.log", ctl->dir);
	char *log = tl_read_file(path);
	int yes = log != NULL && strstr(log, arg) != NULL;

	free(log), free(path);
	return yes;
}

static int
greylisted(void *arg)
{
	(void)arg;
	return agentrun_log_count(ag, "other deferred class=greylist reroutable=no") > 0;
}

static void
test_rule_that_does_not_compile_is_skipped(void **state)
{
	(void)state;
	int swaps = agentrun_log_count(ag, "classifier rules in force") + 1;
	/* behind the API's back: the controller would refuse it */
	tl_expect_sql(ctl->owner_conninfo ? ctl->owner_conninfo : ctl->conninfo,
	    "WITH i AS (INSERT INTO rules (name, pattern, class, reroutable, author) VALUES"
	    " ('broken', '(unclosed', 'block', 'yes', 'sql'),"
	    " ('zz-grey', 'zz-grey-me', 'greylist', 'no', 'sql') RETURNING 1),"
	    " u AS (UPDATE routing_version SET version = version + 1 RETURNING version)"
	    " SELECT count(*) FROM i, u", "2");
	long long v = sql_int("SELECT version FROM routing_version");
	if (!tl_wait_for(skipped_logged, NULL, 15000))
		fail_msg("the agent did not log the skipped rule:\n%s", tl_read_file(ag->log));
	if (!tl_wait_for(swaps_at_least, &swaps, 15000))
		fail_msg("the agent did not take the other rule:\n%s", tl_read_file(ag->log));
	/* reported with the version applied, logged by the controller */
	char *told = xasprintf("node mx01 applied version %lld: rule broken skipped: pattern: bad"
	    " pattern at offset 9: missing closing parenthesis", v);
	if (!tl_wait_for(controller_told, told, 15000))
		fail_msg("the controller did not log \"%s\"", told);
	free(told);
	char *now_applied = tl_sql(ctl->conninfo, "SELECT version || ' applied' FROM routing_version");
	expect_sql("SELECT applied_version || ' ' || last_status FROM nodes WHERE name = 'mx01'",
	    now_applied);
	free(now_applied);
	/* kept as the node's warning, which `postroute status` names */
	expect_sql("SELECT last_error FROM nodes WHERE name = 'mx01'", "rule broken skipped: pattern:"
	    " bad pattern at offset 9: missing closing parenthesis");
	struct clirun r;
	clirun(&r, ctl->url, operator, "status", NULL);
	clirun_expect(&r, 1, "status with a skipped rule");
	if (strstr(r.err, "mx01: applied with a warning: rule broken skipped: pattern: bad pattern") == NULL)
		fail_msg("status does not name the skipped rule:\n%s", r.err);
	clirun_free(&r);

	/* the other rule applies: a line the agent tails now is greylist */
	time_t now = time(NULL);
	struct tm tm;
	char ts[64];
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
	char *line = xasprintf("%s mx01 postfix/smtp[77]: 7A7B7C7D7E: to=<x@zz.test>,"
	    " relay=mx.zz.test[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=4.7.1,"
	    " status=deferred (host mx.zz.test[192.0.2.9] said: 450 4.7.1 zz-grey-me later"
	    " (in reply to RCPT TO command))\n", ts);
	char *old = tl_read_file(mx1->maillog);
	char *all = xasprintf("%s%s", old ? old : "", line);
	tl_write_file(mx1->maillog, all);
	free(old), free(all), free(line);
	if (!tl_wait_for(greylisted, NULL, 15000))
		fail_msg("the agent did not apply the good rule:\n%s", tl_read_file(ag->log));
	assert_int_equal(agentrun_log_count(ag, "logwatch: following"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_added_with_the_cli_reroutes),
		cmocka_unit_test(test_rule_that_does_not_compile_is_skipped),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
