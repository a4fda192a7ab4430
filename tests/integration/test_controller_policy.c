/*
 * test_controller_policy.c: events, blocks, automatic failover and its
 * guards, and the on-call webhook, against a real controller and a local
 * HTTP receiver.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "seed.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct webhook *hook;
static char *detector;

static json_t *
event(const char *body, long want)
{
	return tl_event(ctl, detector, body, want);
}

static char *
block_body(const char *node, const char *provider)
{
	return xasprintf("{\"type\":\"block\",\"node\":\"%s\",\"provider\":\"%s\",\"class\":\"reputation\","
	    "\"count\":12,\"attempts\":14,\"window_s\":300,\"samples\":[\"... said: 421 4.7.0 [TSS04] ...\"]}",
	    node, provider);
}

static void
block(const char *node, const char *provider)
{
	char *b = block_body(node, provider);

	json_decref(event(b, 200));
	free(b);
}

static int
setup(void **state)
{
	(void)state;
	hook = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\nrunbook_url = https://runbook.example/postroute\n"
	    "[policy]\nmax_flips_per_hour = 3\n", webhook_url(hook));
	ctl = tl_controller_start(ini);
	free(ini);
	seed_relays(ctl, 3, 1);
	seed_servers(ctl, 6);
	seed_providers(ctl, 4);
	detector = tl_token(ctl, "detector-1", "detector", "*");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	webhook_stop(hook);
	free(detector);
	return 0;
}

static void
test_server_block_fails_over(void **state)
{
	(void)state;
	block("mx01", "google");
	tl_expect_sql(ctl->conninfo,
	    "SELECT relay || ' ' || origin || ' ' || actor FROM routes WHERE provider = 'google'"
	    " AND scope = 'mx01'", "relay01 auto policy");
	tl_expect_sql(ctl->conninfo,
	    "SELECT (expires_at - created_at)::text FROM routes WHERE provider = 'google' AND scope = 'mx01'",
	    "06:00:00");
	tl_expect_sql(ctl->conninfo,
	    "SELECT string_agg(action, ',' ORDER BY id) FROM history WHERE provider = 'google'"
	    " AND node = 'mx01'", "block.open,route.set,policy.flip");
	tl_expect_sql(ctl->conninfo,
	    "SELECT after->'evidence'->>'count' FROM history WHERE action = 'policy.flip'", "12");
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM blocks WHERE node = 'mx01' AND cleared_at IS NULL", "1");
	webhook_await(hook, "google is blocked on mx01: reputation, 12 of 14 attempts in 300s", NULL, 10000);
	char *b = webhook_body(hook, webhook_find(hook, "blocked on mx01", NULL));
	assert_non_null(strstr(b, "through relay relay01"));
	assert_non_null(strstr(b, "Runbook: https://runbook.example/postroute"));
	free(b);
	/* the feed of mx01 now carries the route */
	json_t *f = NULL;
	assert_int_equal(tl_api(ctl, "GET", "/v1/nodes/mx01/transport", ctl->admin, NULL, &f), 200);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(f, "entries"), 0),
	    "nexthop")), "smtp:[127.0.0.2]:25");
	json_decref(f);
	/* the same block reported again changes nothing and says nothing new */
	int n = webhook_count(hook);
	char *h0 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	block("mx01", "google");
	char *h1 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
	/* nothing new queued for on-call (the outbox is written in the
	 * event's transaction), and what was queued before is out */
	tl_await_sql(ctl->conninfo, "SELECT count(*) FROM notify_outbox WHERE state = 'pending'", "0",
	    10000);
	assert_int_equal(webhook_count(hook), n);
	/* GET /v1/blocks and status show it */
	assert_int_equal(tl_api(ctl, "GET", "/v1/blocks", detector, NULL, &f), 200);
	assert_int_equal(json_array_size(json_object_get(f, "blocks")), 1);
	json_decref(f);
	assert_int_equal(tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &f), 200);
	assert_int_equal(json_array_size(json_object_get(f, "blocks")), 1);
	json_decref(f);
}

static void
test_relay_block_moves_auto_not_manual(void **state)
{
	(void)state;
	seed_put(ctl, "/v1/routes/google",
	    "{\"relay\":\"relay01\",\"scope\":\"mx02\",\"reason\":\"hand-made\"}");
	block("relay01n", "google");
	/* the automatic route moved, to the relay with fewest automatic routes */
	tl_expect_sql(ctl->conninfo,
	    "SELECT relay || ' ' || origin FROM routes WHERE provider = 'google' AND scope = 'mx01'",
	    "relay02 auto");
	/* the manual one is untouched, and on-call is told */
	tl_expect_sql(ctl->conninfo,
	    "SELECT relay || ' ' || origin || ' ' || reason FROM routes WHERE provider = 'google'"
	    " AND scope = 'mx02'", "relay01 manual hand-made");
	webhook_await(hook, "manual route google/mx02 via relay01 left as it is", NULL, 10000);
	tl_expect_sql(ctl->conninfo,
	    "SELECT after->>'decision' LIKE 'moved google/mx01 from relay01 to relay02%' FROM history"
	    " WHERE action = 'policy.flip' ORDER BY id DESC LIMIT 1", "t");
}

static void
test_relay_exhaustion(void **state)
{
	(void)state;
	seed_put(ctl, "/v1/relays/relay03", "{\"drained\":true}");
	char *v0 = tl_sql(ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'google' AND scope = 'mx01'");
	block("relay02n", "google");
	char *v1 = tl_sql(ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'google' AND scope = 'mx01'");
	assert_string_equal(v0, v1);
	free(v0), free(v1);
	tl_expect_sql(ctl->conninfo,
	    "SELECT action || ': ' || (after->>'decision') FROM history ORDER BY id DESC LIMIT 1",
	    "policy.refused: no healthy relay to move google/mx01 to. ");
	webhook_await(hook, "no healthy relay to move google/mx01 to", NULL, 10000);
	/* a server block with every relay unhealthy: refused too */
	block("mx03", "google");
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM routes WHERE provider = 'google' AND scope = 'mx03'", "0");
	tl_expect_sql(ctl->conninfo, "SELECT after->>'decision' FROM history ORDER BY id DESC LIMIT 1",
	    "no healthy relay for google (all drained or blocked); no change made.");
	seed_put(ctl, "/v1/relays/relay03", "{\"drained\":false}");
}

static int
expired(void *arg)
{
	char *q = xasprintf("SELECT count(*) FROM routes WHERE provider = 'yahoo' AND scope = '%s'",
	    (const char *)arg);
	char *v = tl_sql(ctl->conninfo, q);
	int gone = strcmp(v, "0") == 0;

	free(q), free(v);
	return gone;
}

static void
test_ttl_doubles_when_block_returns(void **state)
{
	(void)state;
	block("mx04", "yahoo");
	tl_expect_sql(ctl->conninfo,
	    "SELECT (expires_at - created_at)::text FROM routes WHERE provider = 'yahoo' AND scope = 'mx04'",
	    "06:00:00");
	json_decref(event("{\"type\":\"clear\",\"node\":\"mx04\",\"provider\":\"yahoo\"}", 200));
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM blocks WHERE node = 'mx04' AND provider = 'yahoo' AND cleared_at IS NULL", "0");
	webhook_await(hook, "yahoo is no longer blocked on mx04", NULL, 10000);
	/* the route reverts at expiry (moved into the past here) */
	free(tl_sql(ctl->conninfo,
	    "UPDATE routes SET expires_at = now() WHERE provider = 'yahoo' AND scope = 'mx04'"));
	assert_true(tl_wait_for(expired, "mx04", 5000));
	/* the block comes back: the next automatic route lives twice as long */
	block("mx04", "yahoo");
	tl_expect_sql(ctl->conninfo,
	    "SELECT (expires_at - created_at)::text FROM routes WHERE provider = 'yahoo' AND scope = 'mx04'",
	    "12:00:00");
}

static int
expired_route(const char *provider, const char *scope)
{
	char *q = xasprintf("SELECT count(*) FROM routes WHERE provider = '%s' AND scope = '%s'",
	    provider, scope);
	char *v = tl_sql(ctl->conninfo, q);
	int gone = strcmp(v, "0") == 0;

	free(q), free(v);
	return gone;
}

/* The agent confirms a block that never cleared after its auto route expired. */
static int
expired_gmx(void *arg)
{
	(void)arg;
	return expired_route("gmx", "mx05");
}

static void
test_open_block_confirmed_after_expiry(void **state)
{
	(void)state;
	block("mx05", "gmx");
	tl_expect_sql(ctl->conninfo,
	    "SELECT origin FROM routes WHERE provider = 'gmx' AND scope = 'mx05'", "auto");
	free(tl_sql(ctl->conninfo,
	    "UPDATE routes SET expires_at = now() WHERE provider = 'gmx' AND scope = 'mx05'"));
	assert_true(tl_wait_for(expired_gmx, NULL, 5000));
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM blocks WHERE node = 'mx05' AND cleared_at IS NULL", "1");
	/* still refused: the same open block, reported again, routes again */
	block("mx05", "gmx");
	tl_expect_sql(ctl->conninfo, "SELECT origin || ' ' || (expires_at - created_at)::text FROM routes"
	    " WHERE provider = 'gmx' AND scope = 'mx05'", "auto 12:00:00");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM blocks WHERE node = 'mx05'", "1");
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM history WHERE action = 'policy.flip' AND node = 'mx05'", "2");
	/* while routed, a repeat is only a refresh */
	char *h0 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	block("mx05", "gmx");
	char *h1 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
}

static void
test_manual_flip_wins(void **state)
{
	(void)state;
	seed_put(ctl, "/v1/routes/yahoo",
	    "{\"relay\":\"relay03\",\"scope\":\"mx04\",\"reason\":\"sre decision\"}");
	tl_expect_sql(ctl->conninfo,
	    "SELECT origin || ' ' || relay || ' ' || coalesce(expires_at::text, 'permanent') FROM routes"
	    " WHERE provider = 'yahoo' AND scope = 'mx04'", "manual relay03 permanent");
	block("relay03n", "yahoo");
	tl_expect_sql(ctl->conninfo,
	    "SELECT origin || ' ' || relay FROM routes WHERE provider = 'yahoo' AND scope = 'mx04'",
	    "manual relay03");
}

static void
test_flip_rate_guard(void **state)
{
	(void)state;
	/* max_flips_per_hour = 3 in this controller's config */
	block("mx01", "apple");
	block("mx02", "apple");
	block("mx03", "apple");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM routes WHERE provider = 'apple'", "3");
	block("mx05", "apple");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM routes WHERE provider = 'apple'", "3");
	tl_expect_sql(ctl->conninfo, "SELECT after->>'decision' FROM history ORDER BY id DESC LIMIT 1",
	    "automation stopped for apple: 3 automatic flips in the last hour (limit 3); no change made, act by hand.");
	webhook_await(hook, "automation stopped for apple", NULL, 10000);
}

static void
test_unknown_provider_and_failed_report(void **state)
{
	(void)state;
	block("mx06", "examplemail");
	tl_expect_sql(ctl->conninfo, "SELECT after->>'decision' FROM history ORDER BY id DESC LIMIT 1",
	    "provider examplemail is not configured in the controller: add it (postroute provider add) so that"
	    " automation can route it; no change made.");
	char *agent = tl_token(ctl, "agent-mx06", "agent", "mx06");
	assert_int_equal(tl_api(ctl, "POST", "/v1/nodes/mx06/report", agent,
	    "{\"version\":1,\"status\":\"failed\",\"step\":\"postmap\",\"error\":\"postmap: fatal: open transport.new\"}",
	    NULL), 200);
	webhook_await(hook, "node mx06 failed to apply routing version 1 at step postmap: postmap: fatal: open transport.new", NULL, 10000);
	/* an agent reports events about its own node only */
	char *b = block_body("mx05", "google");
	assert_int_equal(tl_api(ctl, "POST", "/v1/events", agent, b, NULL), 403);
	free(b);
	b = block_body("mx06", "yahoo");
	assert_int_equal(tl_api(ctl, "POST", "/v1/events", agent, b, NULL), 200);
	free(b), free(agent);
}

static void
test_hostile_events(void **state)
{
	static const struct { const char *body; long status; const char *error; } cases[] = {
		{ "{\"type\":\"nuke\",\"node\":\"mx01\"}", 400, "type: must be \"block\", \"clear\" or \"volume\"" },
		{ "{\"type\":\"block\",\"node\":\"mx01\"}", 400, "provider: required" },
		{ "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\"}", 400, "class: required" },
		{ "{\"type\":\"block\",\"node\":\"mx01\\n\",\"provider\":\"google\",\"class\":\"block\"}", 400,
		  "node: may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "{\"type\":\"block\",\"node\":\"nosuch\",\"provider\":\"google\",\"class\":\"block\"}", 404,
		  "node: no such node \"nosuch\"" },
		{ "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"a b\"}", 400,
		  "class: contains whitespace, a control or a non-ASCII character" },
		{ "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"block\",\"count\":-1}", 400,
		  "count: must be between 0 and 1099511627776" },
		{ "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"block\",\"at\":\"soon\"}", 400,
		  "at: not a time (RFC 3339)" },
		{ "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"block\",\"samples\":\"x\"}", 400,
		  "samples: must be an array of at most 20 strings" },
		{ "{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"a b@example.com\"}", 400,
		  "sender: contains whitespace, a control or a non-ASCII character" },
		{ "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"block\",\"extra\":1}", 400,
		  "extra: unknown field" },
	};
	char *h0 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = event(cases[i].body, cases[i].status);
		const char *e = json_string_value(json_object_get(j, "error"));
		if (e == NULL || strcmp(e, cases[i].error) != 0)
			fail_msg("%s: error \"%s\", want \"%s\"", cases[i].body, e ? e : "", cases[i].error);
		json_decref(j);
	}
	char *h1 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
	/* viewers may not post events */
	char *viewer = tl_token(ctl, "viewer-1", "viewer", NULL);
	assert_int_equal(tl_api(ctl, "POST", "/v1/events", viewer,
	    "{\"type\":\"clear\",\"node\":\"mx01\",\"provider\":\"google\"}", NULL), 403);
	free(viewer);
}

static void
test_volume_event(void **state)
{
	(void)state;
	json_decref(event("{\"type\":\"volume\",\"node\":\"mx02\",\"sender\":\"info@shop.example.jp\","
	    "\"rate\":900,\"baseline\":3,\"client_ips\":14,\"deferred\":120,\"bounced\":40,"
	    "\"queue_ids\":[\"4F2A71C0B3D\"]}", 200));
	tl_expect_sql(ctl->conninfo, "SELECT action || ' ' || object FROM history ORDER BY id DESC LIMIT 1",
	    "volume.surge mx02/info@shop.example.jp");
	webhook_await(hook, "sender info@shop.example.jp on mx02: sudden volume surge (possibly a hijacked"
	    " account): 900 recipients per interval, baseline 3, 14 client IPs, 120 deferred,"
	    " 40 bounced.", NULL, 10000);
	/* the figures are checked like any input */
	char *h0 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	json_decref(event("{\"type\":\"volume\",\"node\":\"mx02\",\"sender\":\"x@example.jp\","
	    "\"deferred\":-1}", 400));
	json_decref(event("{\"type\":\"volume\",\"node\":\"mx02\",\"sender\":\"x@example.jp\","
	    "\"bounced\":\"40\"}", 400));
	char *h1 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
	json_t *st = NULL;
	assert_int_equal(tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &st), 200);
	json_t *surge = json_array_get(json_object_get(st, "surges"), 0);
	assert_string_equal(json_string_value(json_object_get(surge, "sender")), "info@shop.example.jp");
	assert_int_equal(json_integer_value(json_object_get(surge, "rate")), 900);
	json_decref(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_block_fails_over),
		cmocka_unit_test(test_relay_block_moves_auto_not_manual),
		cmocka_unit_test(test_relay_exhaustion),
		cmocka_unit_test(test_ttl_doubles_when_block_returns),
		cmocka_unit_test(test_open_block_confirmed_after_expiry),
		cmocka_unit_test(test_manual_flip_wins),
		cmocka_unit_test(test_flip_rate_guard),
		cmocka_unit_test(test_unknown_provider_and_failed_report),
		cmocka_unit_test(test_hostile_events),
		cmocka_unit_test(test_volume_event),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
