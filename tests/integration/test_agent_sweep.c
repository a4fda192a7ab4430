/*
 * test_agent_sweep.c: mail in flight through the old route when a domain
 * moves. The old relay takes three seconds to answer MAIL FROM, then
 * refuses the RCPT, so a
 * delivery started before the flip is deferred after the agent has
 * reloaded and requeued; the reload's new queue manager skipped it as
 * "still being delivered", so it waits in the incoming queue with a
 * delay reason. The agent's second requeue pass a few seconds later
 * pushes it through the new route, long before Postfix's own queue scan
 * (10 s in the test instance, up to 300 s with stock settings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "fakectl.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

#define TOKEN "agent-token-sweep-0123456789"

static void
set_feed(struct fakectl *ctl, long long version, const char *nexthop)
{
	char *body = xasprintf("{\"node\": \"mx01\", \"version\": %lld, \"entries\": ["
	    "{\"domain\": \"slow.test\", \"nexthop\": \"%s\", \"provider\": \"slowmail\"}]}",
	    version, nexthop);

	fakectl_set_feed(ctl, version, body);
	free(body);
}

struct mapped {
	struct pfx *p;
	const char *want;
};

static int
mapped(void *arg)
{
	struct mapped *m = arg;
	char *v = pfx_lookup(m->p, "slow.test");
	int ok = v != NULL && strcmp(v, m->want) == 0;

	free(v);
	return ok;
}

static int
in_flight(void *arg)
{
	return pfx_log_count(arg, "postfix/smtp[") == 0 && pfx_log_count(arg, "connect to") == 0 &&
	    pfx_log_count(arg, "from=<sender@origin.test>") > 0;
}

static void
test_in_flight_mail_follows_the_new_route(void **state)
{
	(void)state;
	struct pfx_sink *slow = pfx_sink_start_slow("127.0.4.2", "451 4.7.1 try again later", 3);
	struct pfx_sink *good = pfx_sink_start("127.0.4.3", NULL);
	struct pfx *p = pfx_start("mx01", "hash", NULL);
	struct fakectl *ctl = fakectl_start(TOKEN, 0);
	struct agentrun *a = agentrun_new("mx01", fakectl_url(ctl), TOKEN, p, "poll_wait = 60s", NULL);
	struct mapped m = { p, slow->nexthop };

	set_feed(ctl, 1, slow->nexthop);
	agentrun_start(a);
	if (!tl_wait_for(mapped, &m, 10000))
		fail_msg("version 1 not installed:\n%s", tl_read_file(a->log));
	/* a delivery starts through the slow relay: its MAIL FROM hangs for 3 s,
	 * longer than the agent's apply takes even under the sanitizers */
	assert_int_equal(pfx_send(p, "u1@slow.test", "in flight"), 0);
	if (!tl_wait_for(in_flight, p, 5000))
		fail_msg("message not picked up");
	/* the flip, while it hangs */
	double t0 = tl_now_s();
	set_feed(ctl, 2, good->nexthop);
	m.want = good->nexthop;
	if (!tl_wait_for(mapped, &m, 5000))
		fail_msg("version 2 not installed:\n%s", tl_read_file(a->log));
	/* deferred by the old route after the flip, then pushed by the second pass */
	if (!pfx_sink_wait(good, 1, 8000))
		fail_msg("in-flight mail not moved in 8 s:\n%s", tl_read_file(a->log));
	double took = tl_now_s() - t0;
	print_message("in-flight message at the new relay %.2f s after the flip\n", took);
	assert_int_equal(pfx_log_count(p, "451 4.7.1 try again later"), 1);
	assert_true(took < 8.0);
	assert_true(agentrun_log_count(a, "more deferred message(s) of the moved domains pushed") >= 1);
	agentrun_free(a);
	fakectl_stop(ctl);
	pfx_stop(p);
	pfx_sink_stop(slow), pfx_sink_stop(good);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_flight_mail_follows_the_new_route),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
