/*
 * test_agentmetrics.c: the agent's metrics text. Step histograms are
 * cumulative and skip steps that did not run; the last apply's result and
 * version are kept; a label value from the log is escaped; the delivery
 * table stops at its bound and counts the rest under "_overflow"; the lag
 * follows the newest line read.
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

#include "agentmetrics.h"
#include "xalloc.h"

static const char *const steps[] = { "render", "postmap", "reload", "total" };

static char *
render(void)
{
	struct strbuf sb = STRBUF_INIT;

	agentmetrics_render(&sb);
	return strbuf_detach(&sb);
}

static void
assert_line(const char *text, const char *line)
{
	char *want = xasprintf("\n%s\n", line);

	if (strstr(text, want) == NULL)
		fail_msg("no line \"%s\" in:\n%s", line, text);
	free(want);
}

static int
setup(void **state)
{
	(void)state;
	agentmetrics_reset();
	return 0;
}

static void
test_applies(void **state)
{
	long ok[] = { 3, 40, -1, 200 }, bad[] = { 2, 5000, -1, 5010 };
	char *t;

	(void)state;
	t = render();
	assert_line(t, "postroute_agent_applied_version -1");
	assert_null(strstr(t, "postroute_agent_sync_step_duration_seconds_bucket"));
	free(t);
	agentmetrics_apply("applied", 7, steps, ok, 4);
	agentmetrics_apply("failed", 7, steps, bad, 4);
	t = render();
	assert_line(t, "postroute_agent_applied_version 7");
	assert_line(t, "postroute_agent_last_apply_failed 1");
	assert_line(t, "postroute_agent_applies_total{result=\"applied\"} 1");
	assert_line(t, "postroute_agent_applies_total{result=\"failed\"} 1");
	/* 40 ms and 5 s: cumulative buckets */
	assert_line(t, "postroute_agent_sync_step_duration_seconds_bucket{step=\"postmap\",le=\"0.025\"} 0");
	assert_line(t, "postroute_agent_sync_step_duration_seconds_bucket{step=\"postmap\",le=\"0.05\"} 1");
	assert_line(t, "postroute_agent_sync_step_duration_seconds_bucket{step=\"postmap\",le=\"5\"} 2");
	assert_line(t, "postroute_agent_sync_step_duration_seconds_bucket{step=\"postmap\",le=\"+Inf\"} 2");
	assert_line(t, "postroute_agent_sync_step_duration_seconds_sum{step=\"postmap\"} 5.040000");
	assert_line(t, "postroute_agent_sync_step_duration_seconds_count{step=\"render\"} 2");
	/* reload did not run (-1): no series */
	assert_null(strstr(t, "step=\"reload\""));
	free(t);
	agentmetrics_apply("applied", 8, steps, ok, 4);
	t = render();
	assert_line(t, "postroute_agent_last_apply_failed 0");
	assert_line(t, "postroute_agent_applied_version 8");
	free(t);
}

static void
test_deliveries_bounded_and_escaped(void **state)
{
	char *t;

	(void)state;
	agentmetrics_delivery("google", "deferred", "rate_limit");
	agentmetrics_delivery("google", "deferred", "rate_limit");
	agentmetrics_delivery("we\"ird\\", "sent", "sent");
	for (int i = 0; i < AGENTMETRICS_MAX_DELIVERY_SERIES + 40; i++) {
		char p[32];
		snprintf(p, sizeof(p), "p%d", i);
		agentmetrics_delivery(p, "sent", "sent");
	}
	t = render();
	assert_line(t, "postroute_agent_deliveries_total{provider=\"google\",status=\"deferred\",class=\"rate_limit\"} 2");
	assert_line(t, "postroute_agent_deliveries_total{provider=\"we\\\"ird\\\\\",status=\"sent\",class=\"sent\"} 1");
	/* 256 label sets: google, the odd one, p0..p253; the other 42 together */
	assert_line(t, "postroute_agent_deliveries_total{provider=\"p253\",status=\"sent\",class=\"sent\"} 1");
	assert_null(strstr(t, "provider=\"p254\""));
	assert_line(t, "postroute_agent_deliveries_total{provider=\"_overflow\",status=\"_overflow\",class=\"_overflow\"} 42");
	free(t);
}

static void
test_lines_and_lag(void **state)
{
	time_t now = time(NULL);
	char *t, *want;

	(void)state;
	agentmetrics_line(now - 30);
	agentmetrics_line(0);          /* a line without a time: counted, lag kept */
	agentmetrics_event_queued();
	t = render();
	assert_line(t, "postroute_agent_log_lines_total 2");
	want = xasprintf("postroute_agent_log_last_line_timestamp_seconds %lld", (long long)now - 30);
	assert_line(t, want);
	double lag = strtod(strstr(t, "\npostroute_agent_log_lag_seconds ") + 33, NULL);
	assert_true(lag >= 29 && lag < 120);
	assert_line(t, "postroute_agent_events_queued_total 1");
	/* no outbox: its series at 0 */
	assert_line(t, "postroute_agent_events_waiting 0");
	assert_line(t, "postroute_agent_events_dropped_total{reason=\"full\"} 0");
	free(t), free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_applies, setup),
		cmocka_unit_test_setup(test_deliveries_bounded_and_escaped, setup),
		cmocka_unit_test_setup(test_lines_and_lag, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
