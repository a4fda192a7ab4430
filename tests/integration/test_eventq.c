/*
 * test_eventq.c: the agent's event outbox against the real controller.
 * Events pushed while the controller is down wait and arrive, once and
 * in order, when it is back; a newer event of the same key replaces a
 * waiting one; a full queue drops the oldest; an event the controller
 * refuses (4xx) is dropped and not retried; a second URL is used when
 * the first fails.
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

#include "agentconf.h"
#include "eventq.h"
#include "httpc.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *token;

static void
expect_sql(const char *q, const char *want)
{
	tl_expect_sql(ctl->conninfo, q, want);
}

static void
config(struct agent_config *cfg, const char *url1, const char *url2, long long queue_max)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->node = "mx01";
	cfg->token = token;
	cfg->urls = xcalloc(2, sizeof(char *));
	cfg->urls[cfg->nurls++] = xstrdup(url1);
	if (url2 != NULL)
		cfg->urls[cfg->nurls++] = xstrdup(url2);
	cfg->connect_timeout_ms = 1000;
	cfg->request_timeout_ms = 5000;
	cfg->retry_min_ms = 50;
	cfg->retry_max_ms = 200;
	cfg->lw_queue_max = queue_max;
}

static void
test_cfg_release(struct agent_config *cfg)
{
	for (size_t i = 0; i < cfg->nurls; i++)
		free(cfg->urls[i]);
	free(cfg->urls);
}

static json_t *
block(const char *provider, int count)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "type", "block", "node", "mx01",
	    "provider", provider, "class", "reputation", "count", count, "attempts", count,
	    "window_s", 300);
}

static int
group_setup(void **state)
{
	(void)state;
	httpc_global_init();
	ctl = tl_controller_start(NULL);
	json_decref(tl_api_ok(ctl, "PUT", "/v1/nodes/mx01", ctl->admin, "{\"role\": \"server\"}"));
	for (const char *const *p = (const char *const[]){ "google", "yahoo", "kddi", NULL }; *p; p++) {
		char *path = xasprintf("/v1/providers/%s", *p);
		char *body = xasprintf("{\"domains\": [\"%s.test\"]}", *p);
		json_decref(tl_api_ok(ctl, "PUT", path, ctl->admin, body));
		free(path), free(body);
	}
	token = tl_token(ctl, "mx01", "agent", "mx01");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	free(token);
	return 0;
}

/* A wait for the queue's stats: the size_t at offset field (STAT(name))
 * at n or more and, when drained, nothing queued. */
#define STAT(name) offsetof(struct eventq_stats, name)

struct stat_wait {
	struct eventq *q;
	size_t field;
	size_t n;
	int drained;
};

static int
stat_reached(void *arg)
{
	const struct stat_wait *w = arg;
	struct eventq_stats st;
	size_t v;

	eventq_stats(w->q, &st);
	memcpy(&v, (const char *)&st + w->field, sizeof v);
	return v >= w->n && (!w->drained || st.queued == 0);
}

/* Fails the test, saying what, unless the wait is met within timeout_ms. */
static void
await_stat(struct eventq *q, size_t field, size_t n, int drained, int timeout_ms, const char *what)
{
	struct stat_wait w = { q, field, n, drained };

	if (!tl_wait_for(stat_reached, &w, timeout_ms))
		fail_msg("%s", what);
}

static void
test_waits_while_controller_down(void **state)
{
	struct agent_config cfg;
	struct eventq_stats st;

	(void)state;
	config(&cfg, ctl->url, NULL, 100);
	assert_int_equal(tl_controller_stop(ctl), 0);
	struct eventq *q = eventq_start(&cfg);
	eventq_push(q, block("google", 5));
	eventq_push(q, block("yahoo", 6));
	/* the same key again while waiting: replaces, keeps its place */
	eventq_push(q, block("google", 9));
	await_stat(q, STAT(failures), 2, 0, 10000, "no two failed tries while the controller is down");
	eventq_stats(q, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.replaced, 1);
	assert_true(st.failures >= 2);   /* retried with backoff */
	tl_controller_restart(ctl);
	await_stat(q, STAT(sent), 2, 1, 10000, "events not delivered after the controller came back");
	expect_sql("SELECT string_agg(provider || ':' || (counts->>'count'), ',' ORDER BY id)"
	    " FROM blocks", "google:9,yahoo:6");
	expect_sql("SELECT count(*) FROM history WHERE action = 'block.open'", "2");
	q = eventq_stop(q, 1000);
	assert_null(q);
	test_cfg_release(&cfg);
}

static void
test_refused_and_full(void **state)
{
	struct agent_config cfg;
	struct eventq_stats st;

	(void)state;
	config(&cfg, ctl->url, NULL, 2);
	cfg.retry_min_ms = cfg.retry_max_ms = 2000;   /* no try while we push */
	assert_int_equal(tl_controller_stop(ctl), 0);
	struct eventq *q = eventq_start(&cfg);
	/* the oldest of three with room for two: dropped unsent */
	eventq_push(q, block("google", 5));
	await_stat(q, STAT(failures), 1, 0, 2000, "no failed try");
	eventq_stats(q, &st);
	assert_int_equal(st.failures, 1);
	eventq_push(q, block("kddi", 5));
	/* a third distinct key: the oldest waiting is dropped */
	eventq_push(q, json_pack("{s:s, s:s, s:s}", "type", "clear", "node", "mx01",
	    "provider", "yahoo"));
	eventq_stats(q, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.queued, 2);
	tl_controller_restart(ctl);
	await_stat(q, STAT(sent), 2, 1, 10000, "events not delivered");
	eventq_stats(q, &st);
	assert_int_equal(st.refused, 0);
	expect_sql("SELECT count(*) FROM blocks WHERE provider = 'kddi'", "1");
	expect_sql("SELECT count(*) FROM history WHERE action = 'block.open'", "3");
	expect_sql("SELECT count(*) FROM blocks WHERE provider = 'yahoo' AND cleared_at IS NOT NULL",
	    "1");
	/* refused for good: a node this token may not speak for */
	eventq_push(q, json_pack("{s:s, s:s, s:s, s:s}", "type", "block", "node", "mx99",
	    "provider", "kddi", "class", "reputation"));
	await_stat(q, STAT(refused), 1, 0, 5000, "no refusal");
	eventq_stats(q, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.queued, 0);
	q = eventq_stop(q, 1000);
	test_cfg_release(&cfg);
}

static void
test_second_url(void **state)
{
	struct agent_config cfg;

	(void)state;
	int dead = tl_free_port();
	char *bad = xasprintf("http://127.0.0.1:%d", dead);
	config(&cfg, bad, ctl->url, 10);
	struct eventq *q = eventq_start(&cfg);
	eventq_push(q, block("google", 7));
	await_stat(q, STAT(sent), 1, 1, 10000, "not delivered through the second URL");
	expect_sql("SELECT counts->>'count' FROM blocks WHERE provider = 'google'"
	    " AND cleared_at IS NULL", "7");
	q = eventq_stop(q, 1000);
	test_cfg_release(&cfg);
	free(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_while_controller_down),
		cmocka_unit_test(test_refused_and_full),
		cmocka_unit_test(test_second_url),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
