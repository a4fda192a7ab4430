/*
 * test_cli_agent.c: postroute flip and unflip waiting for the real agent
 * (bin/postroute-agent on a private Postfix instance): the verb returns
 * once the agent applied, with the map already installed; it fails naming
 * the node whose agent is down or missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentrun.h"
#include "clirun.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct pfx_sink *sink_a, *sink_b;
static struct pfx *mx;
static struct agentrun *agent;
static char *operator;

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	operator = tl_token(ctl, "otto", "operator", NULL);
	sink_a = pfx_sink_start("127.0.0.2", NULL);
	sink_b = pfx_sink_start("127.0.0.3", NULL);
	char *b = xasprintf("{\"nexthop\": \"%s\"}", sink_a->nexthop);
	api("PUT", "/v1/relays/relay-a", b);
	free(b);
	b = xasprintf("{\"nexthop\": \"%s\"}", sink_b->nexthop);
	api("PUT", "/v1/relays/relay-b", b);
	free(b);
	api("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.test\"]}");
	agent = agentrun_node(ctl, "mx01", NULL, &mx);
	api("PUT", "/v1/nodes/mx02", "{\"role\": \"server\"}");   /* no agent runs for mx02 */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	agentrun_free(agent);
	pfx_stop(mx);
	pfx_sink_stop(sink_a), pfx_sink_stop(sink_b);
	tl_controller_free(ctl);
	free(operator);
	return 0;
}

static const char *
node_state(const json_t *out, const char *node)
{
	size_t i;
	json_t *n;

	json_array_foreach(json_object_get(json_object_get(out, "wait"), "nodes"), i, n)
		if (strcmp(json_string_value(json_object_get(n, "node")), node) == 0)
			return json_string_value(json_object_get(n, "state"));
	return NULL;
}

static void
test_flip_returns_when_applied(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay-a", "--node", "mx01",
	    "--reason", "real agent", "--timeout", "30s", "--json", NULL);
	clirun_expect(&r, 0, "flip waiting for the agent");
	assert_string_equal(node_state(r.json, "mx01"), "applied");
	/* the agent reports only after installing: the map holds the route now */
	char *v = pfx_lookup(mx, "gmail.test");
	assert_non_null(v);
	assert_string_equal(v, sink_a->nexthop);
	free(v);
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "unflip", "google", "--node", "mx01", "--reason", "done",
	    "--timeout", "30s", NULL);
	clirun_expect(&r, 0, "unflip waiting for the agent");
	assert_non_null(strstr(r.err, "mx01: applied version"));
	v = pfx_lookup(mx, "gmail.test");
	assert_null(v);
	clirun_free(&r);
}

static void
test_flip_names_the_missing_agent(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay-b", "--reason",
	    "every node", "--timeout", "3s", "--json", NULL);
	clirun_expect(&r, 1, "flip with one agent missing");
	assert_string_equal(node_state(r.json, "mx01"), "applied");
	assert_string_equal(node_state(r.json, "mx02"), "timeout");
	assert_non_null(strstr(r.err, "not applied on: mx02 (no report within 3 s)"));
	assert_null(strstr(r.err, "mx01 ("));
	char *v = pfx_lookup(mx, "gmail.test");
	assert_string_equal(v, sink_b->nexthop);
	free(v);
	clirun_free(&r);
}

static void
test_agent_down(void **state)
{
	struct clirun r;

	(void)state;
	assert_int_equal(agentrun_stop(agent), 0);
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay-a", "--node", "mx01",
	    "--reason", "agent down", "--timeout", "2s", NULL);
	clirun_expect(&r, 1, "flip with the agent down");
	assert_non_null(strstr(r.err, "not applied on: mx01 (no report within 2 s)"));
	clirun_free(&r);
	char *v = pfx_lookup(mx, "gmail.test");
	assert_string_equal(v, sink_b->nexthop);   /* fail static: the old map stays */
	free(v);

	/* back up, the agent catches up; a no-op flip waits for nothing new */
	agentrun_start(agent);
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay-a", "--node", "mx01",
	    "--reason", "agent back", "--timeout", "30s", NULL);
	clirun_expect(&r, 0, "flip after the agent restarted");
	clirun_free(&r);
	v = pfx_lookup(mx, "gmail.test");
	assert_string_equal(v, sink_a->nexthop);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flip_returns_when_applied),
		cmocka_unit_test(test_flip_names_the_missing_agent),
		cmocka_unit_test(test_agent_down),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
