/*
 * test_sec_hold_release.c: a release lets go only of the mail postroute
 * held (issue 10, finding 9).
 *
 * On a real private Postfix with SMTP AUTH and the agent's hold map (fed
 * by a stand-in controller): alice's first message is deferred and an
 * administrator holds it by hand (postsuper -h). Then postroute holds
 * alice; her next message goes to the hold queue through the map. When
 * the hold is lifted, that message is released and delivered, and the
 * administrator's hold of her first message survives. Run directly and
 * through the privileged helper ([agent] user), there also when the
 * unprivileged side's record of the hold's start is gone.
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

#define TOKEN "agent-token-0123456789"
#define PASSWORD "secret-pw"

static struct pfx_sink *sink, *slow;

static int
group_setup(void **state)
{
	(void)state;
	sink = pfx_sink_start("127.0.0.2", NULL);
	slow = pfx_sink_start("127.0.0.3", "450 4.2.0 try again later");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	pfx_sink_stop(sink);
	pfx_sink_stop(slow);
	return 0;
}

/* A feed routing slow.test to the deferring sink, holding sender (or none). */
static void
set_feed(struct fakectl *ctl, long long version, const char *sender)
{
	char *body = xasprintf("{\"node\": \"mx01\", \"version\": %lld, \"entries\": [{\"domain\":"
	    " \"slow.test\", \"nexthop\": \"%s\", \"provider\": \"slow\"}], \"holds\": [%s%s%s]}",
	    version, slow->nexthop, sender ? "\"" : "", sender ? sender : "", sender ? "\"" : "");

	fakectl_set_feed(ctl, version, body);
	free(body);
}

static int
clock_past(void *arg)
{
	return time(NULL) > *(time_t *)arg;
}

static void
admin_hold_survives(const char *agent_extra)
{
	struct pfx *p = pfx_start_sasl("pfx", "hash", sink->nexthop);
	struct fakectl *ctl = fakectl_start(TOKEN, 0);
	char *extra = xasprintf("hold_map = %s\n", p->hold);
	struct agentrun *a = agentrun_new("mx01", fakectl_url(ctl), TOKEN, p, agent_extra, extra);
	int at_sink = pfx_sink_count(sink);

	free(extra);
	assert_int_equal(pfx_sasl_user(p, "alice@example.test", PASSWORD), 0);
	set_feed(ctl, 1, NULL);
	assert_int_equal(agentrun_once(a, NULL), 0);

	/* alice's first message waits in the deferred queue; the admin holds it */
	assert_int_equal(pfx_submit(p, "alice@example.test", PASSWORD, "alice@example.test",
	    "x@slow.test", "first"), 0);
	pfx_await_queue(p, "deferred", 1, 15000);
	char *argv[] = { "/usr/sbin/postsuper", "-c", p->conf_dir, "-h", "ALL", "deferred", NULL };
	assert_int_equal(tl_run(argv, NULL, NULL, 30), 0);
	pfx_await_queue(p, "hold", 1, 15000);
	time_t before = time(NULL);
	assert_true(tl_wait_for(clock_past, &before, 3000));   /* arrival_time has 1 s steps */

	/* postroute holds alice: her next message is held by the map */
	set_feed(ctl, 2, "alice@example.test");
	assert_int_equal(agentrun_once(a, NULL), 0);
	/* with privilege separation the unprivileged side keeps its state in
	 * the user-owned state_dir/user */
	char *since = xasprintf("%s%s/hold-since", a->state_dir, agent_extra ? "/user" : "");
	char *text = tl_read_file(since);
	assert_non_null(text);
	assert_non_null(strstr(text, "\talice@example.test\n"));
	free(text);
	assert_int_equal(pfx_submit(p, "alice@example.test", PASSWORD, "alice@example.test",
	    "someone@dest.test", "second"), 0);
	pfx_await_queue(p, "hold", 2, 15000);
	assert_int_equal(pfx_log_count(p, "SASL login name triggers HOLD action"), 1);

	/* with privilege separation, a compromised unprivileged side forgets
	 * when alice's hold began (a start of 0 would free all her held
	 * mail): the root helper releases by its own record */
	if (agent_extra != NULL)
		assert_int_equal(unlink(since), 0);

	/* the release: the map's message goes, the admin's stays */
	set_feed(ctl, 3, NULL);
	assert_int_equal(agentrun_once(a, NULL), 0);
	if (!pfx_sink_wait(sink, at_sink + 1, 15000))
		fail_msg("alice's held message not released (log: %s)", p->maillog);
	pfx_await_queue(p, "hold", 1, 15000);
	assert_int_equal(pfx_log_count(p, "released from hold"), 1);
	assert_int_equal(pfx_sink_count(sink), at_sink + 1);
	text = tl_read_file(since);
	assert_string_equal(text, "");
	free(text), free(since);
	agentrun_free(a);
	fakectl_stop(ctl);
	pfx_stop(p);
}

static void
test_admin_hold_survives_release(void **state)
{
	(void)state;
	admin_hold_survives(NULL);
}

static void
test_admin_hold_survives_release_privsep(void **state)
{
	(void)state;
	admin_hold_survives("user = nobody");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin_hold_survives_release),
		cmocka_unit_test(test_admin_hold_survives_release_privsep),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
