/*
 * test_cli_status.c: postroute status against a real controller, with the
 * agents' side of the API played by the test: nodes never seen, healthy,
 * lagging, failing; active blocks; the --json shape; the exit status that
 * monitoring relies on.
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

#include "clirun.h"
#include "seed.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *viewer, *agent[2];
static const char *const names[2] = { "mx01", "mx02" };

static void
api(const char *method, const char *path, const char *token, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, token, body));
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	viewer = tl_token(ctl, "vera", "viewer", NULL);
	seed_relay(ctl, "relay01", "smtp:[relay01.example.net]:25");
	seed_provider(ctl, "google", "gmail.com");
	for (int i = 0; i < 2; i++) {
		seed_server(ctl, names[i]);
		agent[i] = tl_token(ctl, names[i], "agent", names[i]);
	}
	seed_relay_node(ctl, "relay01-host", "relay01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_free(ctl);
	free(viewer), free(agent[0]), free(agent[1]);
	return 0;
}

static int
both_connected(void *arg)
{
	json_t *st = NULL, *n;
	size_t i;
	int ok = 0;

	(void)arg;
	if (tl_api(ctl, "GET", "/v1/status", viewer, NULL, &st) != 200)
		return 0;
	json_array_foreach(json_object_get(st, "nodes"), i, n)
		ok += json_is_true(json_object_get(n, "connected"));
	json_decref(st);
	return ok == 2;
}

static void
test_never_seen(void **state)
{
	static const char *const keys[] = { "name", "role", "relay", "applied_version", "lag",
		"last_status", "last_error", "last_report_at", "last_feed_at", "connected",
		"behind_s", NULL };
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, viewer, "status", "--json", NULL);
	clirun_expect(&r, 1, "status with no agent");
	assert_non_null(strstr(r.err, "postroute: status: mx01: agent not connected"));
	assert_non_null(strstr(r.err, "postroute: status: mx02: agent not connected"));
	assert_null(strstr(r.err, "relay01-host"));
	assert_true(json_is_integer(json_object_get(r.json, "version")));
	assert_true(json_is_false(json_object_get(r.json, "ok")));
	assert_int_equal(json_array_size(json_object_get(r.json, "problems")), 2);
	json_t *p = json_array_get(json_object_get(r.json, "problems"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "node")), "mx01");
	assert_non_null(json_object_get(p, "problem"));
	json_t *nodes = json_object_get(r.json, "nodes");
	assert_int_equal(json_array_size(nodes), 3);
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(json_array_get(nodes, 0), keys[i]) == NULL)
			fail_msg("status node lacks \"%s\"", keys[i]);
	assert_true(json_is_array(json_object_get(r.json, "blocks")));
	clirun_free(&r);
}

/* status --max-behind 1s finds the unapplied change old enough. */
static int
lagging(void *arg)
{
	struct clirun r;

	(void)arg;
	clirun(&r, ctl->url, viewer, "status", "--max-behind", "1s", NULL);
	int yes = r.rc == 1;
	clirun_free(&r);
	return yes;
}

static void
test_healthy_then_lagging(void **state)
{
	struct clirun r;

	(void)state;
	tl_agent_round(ctl, names[0], agent[0], NULL, NULL);
	tl_agent_round(ctl, names[1], agent[1], NULL, NULL);
	if (!tl_wait_for(both_connected, NULL, 5000))
		fail_msg("feeds not marked connected");
	clirun(&r, ctl->url, viewer, "status", "--format", "table", NULL);
	clirun_expect(&r, 0, "status healthy");
	assert_string_equal(r.err, "");
	assert_memory_equal(r.out, "routing version ", 16);
	assert_non_null(strstr(r.out, "NODE          ROLE    APPLIED  BEHIND  CONNECTED  LAST REPORT"));
	assert_non_null(strstr(r.out, "\nmx01          server  "));
	assert_non_null(strstr(r.out, "  0s      yes        20"));
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "status", "--json", NULL);
	clirun_expect(&r, 0, "status healthy json");
	assert_true(json_is_true(json_object_get(r.json, "ok")));
	assert_int_equal(json_array_size(json_object_get(r.json, "problems")), 0);
	clirun_free(&r);

	/* a change nobody applied: a problem once it is older than --max-behind */
	api("PUT", "/v1/routes/google", ctl->admin, "{\"relay\": \"relay01\", \"reason\": \"lag test\"}");
	if (!tl_wait_for(lagging, NULL, 10000))
		fail_msg("status --max-behind 1s never reported the lag");
	clirun(&r, ctl->url, viewer, "status", "--max-behind", "1s", NULL);
	clirun_expect(&r, 1, "status lagging");
	assert_non_null(strstr(r.err, "mx01: 1 version behind for "));
	assert_non_null(strstr(r.err, "mx02: 1 version behind for "));
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "status", NULL);   /* 60 s allowed */
	clirun_expect(&r, 0, "status lag within bounds");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "status", "--max-behind", "soon", NULL);
	clirun_expect(&r, 2, "status bad --max-behind");
	clirun_free(&r);
	tl_agent_round(ctl, names[0], agent[0], NULL, NULL);
	tl_agent_round(ctl, names[1], agent[1], NULL, NULL);
	clirun(&r, ctl->url, viewer, "status", "--max-behind", "0s", NULL);
	clirun_expect(&r, 0, "status caught up");
	clirun_free(&r);
}

static void
test_failed_and_blocks(void **state)
{
	struct clirun r;

	(void)state;
	tl_agent_round(ctl, names[1], agent[1], NULL, "postmap: boom");
	free(tl_sql(ctl->conninfo, "INSERT INTO blocks (node, provider, since, class, reporter)"
	    " VALUES ('relay01-host', 'google', now() - interval '5 minutes', 'reputation', 'mx-logwatch')"));
	free(tl_sql(ctl->conninfo, "INSERT INTO history (actor, action, object_type, object, node, after)"
	    " VALUES ('mx01', 'volume.surge', 'sender', 'info@shop.example.jp', 'mx01',"
	    " '{\"sender\": \"info@shop.example.jp\", \"rate\": 900, \"baseline\": 3, \"client_ips\": 14}')"));
	clirun(&r, ctl->url, viewer, "status", "--format", "table", NULL);
	clirun_expect(&r, 1, "status failed");
	assert_non_null(strstr(r.out, "\nvolume surges (24 h)\nAT                   NODE  SENDER"));
	assert_non_null(strstr(r.out, "  mx01  info@shop.example.jp  900   3         14\n"));
	assert_string_equal(r.err, "postroute: status: mx02: last apply failed: postmap: boom\n");
	assert_non_null(strstr(r.out, "failed   postmap: boom"));
	assert_non_null(strstr(r.out, "\nactive blocks\nNODE          PROVIDER  SINCE"));
	assert_non_null(strstr(r.out, "relay01-host  google    "));
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "status", "--json", NULL);
	clirun_expect(&r, 1, "status failed json");
	json_t *b = json_array_get(json_object_get(r.json, "blocks"), 0);
	assert_string_equal(json_string_value(json_object_get(b, "provider")), "google");
	clirun_free(&r);
	tl_agent_round(ctl, names[1], agent[1], NULL, NULL);
	clirun(&r, ctl->url, viewer, "status", NULL);
	clirun_expect(&r, 0, "status recovered");
	clirun_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_seen),
		cmocka_unit_test(test_healthy_then_lagging),
		cmocka_unit_test(test_failed_and_blocks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
