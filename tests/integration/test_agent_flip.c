/*
 * test_agent_flip.c: two agents on two private Postfix instances against
 * the real controller (postrouted on a throwaway database): a flip made
 * through the API reaches both maps, deferred mail moves to the healthy
 * relay within seconds, new mail follows the route, a node-scoped flip
 * touches one node only, and the unflip moves mail back to the default
 * relay. Status shows both nodes current.
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
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct pfx_sink *sink_block, *sink_good, *sink_default;
static struct pfx *mx[2];
static struct agentrun *agent[2];
static const char *const names[2] = { "mx01", "mx02" };
static const char *const types[2] = { "hash", "lmdb" };

static json_t *
api(const char *method, const char *path, const char *body)
{
	return tl_api_ok(ctl, method, path, ctl->admin, body);
}

static long long
api_version(const char *method, const char *path, const char *body)
{
	json_t *j = api(method, path, body);
	long long v = json_integer_value(json_object_get(j, "version"));

	json_decref(j);
	return v;
}

struct applied {
	long long version;
	int node;      /* -1: every node */
};

static int
node_applied(void *arg)
{
	struct applied *a = arg;
	json_t *st = NULL, *n;
	size_t i;
	int ok = 0, want = a->node < 0 ? 2 : 1;

	if (tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &st) != 200)
		return 0;
	json_array_foreach(json_object_get(st, "nodes"), i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));
		if ((a->node < 0 || strcmp(name, names[a->node]) == 0) &&
		    json_integer_value(json_object_get(n, "applied_version")) >= a->version &&
		    strcmp(json_string_value(json_object_get(n, "last_status")) ?: "", "applied") == 0)
			ok++;
	}
	json_decref(st);
	return ok >= want;
}

static void
await_applied(long long version, int node)
{
	struct applied a = { version, node };

	if (!tl_wait_for(node_applied, &a, 15000)) {
		json_t *st = NULL;
		tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &st);
		fail_msg("version %lld not applied: %s", version, json_dumps(st, 0));
	}
}

static int
group_setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	sink_block = pfx_sink_start("127.0.0.2",
	    "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to user complaints");
	sink_good = pfx_sink_start("127.0.0.3", NULL);
	sink_default = pfx_sink_start("127.0.0.4", NULL);
	char *b = xasprintf("{\"nexthop\": \"%s\"}", sink_block->nexthop);
	json_decref(api("PUT", "/v1/relays/r-block", b));
	free(b);
	b = xasprintf("{\"nexthop\": \"%s\"}", sink_good->nexthop);
	json_decref(api("PUT", "/v1/relays/r-good", b));
	free(b);
	json_decref(api("PUT", "/v1/providers/google",
	    "{\"domains\": [\"gmail.test\", \"googlemail.test\"], \"include_subdomains\": true}"));
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("/v1/nodes/%s", names[i]);
		json_decref(api("PUT", path, "{\"role\": \"server\"}"));
		char *tok = tl_token(ctl, names[i], "agent", names[i]);
		mx[i] = pfx_start(names[i], types[i], sink_default->nexthop);
		agent[i] = agentrun_new(names[i], ctl->url, tok, mx[i], "poll_wait = 60s", NULL);
		agentrun_start(agent[i]);
		free(path), free(tok);
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(agentrun_stop(agent[i]), 0);
		agentrun_free(agent[i]);
		pfx_stop(mx[i]);
	}
	pfx_sink_stop(sink_block), pfx_sink_stop(sink_good), pfx_sink_stop(sink_default);
	tl_controller_finish(ctl);
	return 0;
}

static int
all_deferred(void *arg)
{
	int want = *(int *)arg;

	return pfx_deferred(mx[0]) >= want && pfx_deferred(mx[1]) >= want &&
	    pfx_log_count(mx[0], "[TSS04]") >= want && pfx_log_count(mx[1], "[TSS04]") >= want;
}

static void
test_flip_and_unflip(void **state)
{
	int two = 2;

	(void)state;
	/* google goes through the relay that the provider blocks */
	long long v = api_version("PUT", "/v1/routes/google",
	    "{\"relay\": \"r-block\", \"reason\": \"initial\"}");
	await_applied(v, -1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pfx_send(mx[i], "a@gmail.test", "held"), 0);
		assert_int_equal(pfx_send(mx[i], "b@sub.googlemail.test", "held"), 0);
	}
	if (!tl_wait_for(all_deferred, &two, 15000))
		fail_msg("mail not deferred: %d %d", pfx_deferred(mx[0]), pfx_deferred(mx[1]));

	/* the flip: both agents apply, the held mail arrives within seconds */
	int good = pfx_sink_count(sink_good);
	double t0 = tl_now_s();
	v = api_version("PUT", "/v1/routes/google",
	    "{\"relay\": \"r-good\", \"reason\": \"TSS04 block on r-block\"}");
	await_applied(v, -1);
	double t_applied = tl_now_s();
	if (!pfx_sink_wait(sink_good, good + 4, 8000))
		fail_msg("deferred mail did not move: %d of 4", pfx_sink_count(sink_good) - good);
	double t_moved = tl_now_s();
	print_message("flip: both applied after %.3f s, 4 deferred messages delivered after %.3f s\n",
	    t_applied - t0, t_moved - t0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pfx_deferred(mx[i]), 0);
		char *v1 = pfx_lookup(mx[i], "gmail.test");
		assert_string_equal(v1, sink_good->nexthop);
		free(v1);
	}
	/* new mail takes the new route */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pfx_send(mx[i], "c@gmail.test", "after flip"), 0);
	assert_true(pfx_sink_wait(sink_good, good + 6, 10000));

	/* node-scoped flip back to r-block on mx02 only */
	v = api_version("PUT", "/v1/routes/google",
	    "{\"scope\": \"mx02\", \"relay\": \"r-block\", \"reason\": \"mx02 test\"}");
	await_applied(v, -1);
	char *l0 = pfx_lookup(mx[0], "gmail.test"), *l1 = pfx_lookup(mx[1], "gmail.test");
	assert_string_equal(l0, sink_good->nexthop);
	assert_string_equal(l1, sink_block->nexthop);
	free(l0), free(l1);
	json_decref(api("DELETE", "/v1/routes/google?scope=mx02&reason=done", NULL));

	/* the unflip: no route, mail goes to the default relay again */
	int def = pfx_sink_count(sink_default);
	json_t *j = api("DELETE", "/v1/routes/google?scope=*&reason=unblocked", NULL);
	v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	await_applied(v, -1);
	for (int i = 0; i < 2; i++) {
		char *none = pfx_lookup(mx[i], "gmail.test");
		assert_null(none);
		assert_int_equal(pfx_send(mx[i], "d@gmail.test", "after unflip"), 0);
	}
	assert_true(pfx_sink_wait(sink_default, def + 2, 10000));
	/* one reload per applied change on each node (4 changes), none more */
	for (int i = 0; i < 2; i++)
		assert_true(pfx_reloads(mx[i]) <= 6);
}

static void
test_agent_restart_no_reload(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		int reloads = pfx_reloads(mx[i]), asked = pfx_reload_requests(mx[i]);
		assert_int_equal(agentrun_stop(agent[i]), 0);
		assert_int_equal(agentrun_once(agent[i], NULL), 0);
		agentrun_start(agent[i]);
		/* the restarted agent is current (its feed request held) */
		long long v = api_version("GET", "/v1/routes", NULL);
		await_applied(v, i);
		assert_int_equal(pfx_reload_requests(mx[i]), asked);
		assert_int_equal(pfx_reloads(mx[i]), reloads);
	}
}

/* The controller goes away and comes back: maps stay, agents reconnect
 * and apply the change made after the restart. */
static void
test_controller_restart(void **state)
{
	(void)state;
	char *before[2];
	for (int i = 0; i < 2; i++)
		before[i] = tl_read_file(mx[i]->transport);
	int errors = agentrun_log_count(agent[0], "feed: GET");
	assert_int_equal(tl_controller_stop(ctl), 0);
	agentrun_await_log(agent[0], "feed: GET", errors + 2, 10000);
	for (int i = 0; i < 2; i++) {
		char *now = tl_read_file(mx[i]->transport);
		assert_string_equal(now, before[i]);
		free(now), free(before[i]);
	}
	tl_controller_restart(ctl);
	long long v = api_version("PUT", "/v1/routes/google",
	    "{\"relay\": \"r-good\", \"reason\": \"after the restart\"}");
	await_applied(v, -1);
	for (int i = 0; i < 2; i++) {
		char *l = pfx_lookup(mx[i], "gmail.test");
		assert_string_equal(l, sink_good->nexthop);
		free(l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flip_and_unflip),
		cmocka_unit_test(test_agent_restart_no_reload),
		cmocka_unit_test(test_controller_restart),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
