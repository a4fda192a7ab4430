/*
 * test_sec_automation.c: one token must not be able to steer automatic
 * failover (security finding 6).
 *
 * Against a real controller, PostgreSQL and a local webhook receiver:
 * detector tokens are bound to the nodes they may report for (a report
 * for another node is 403 and changes nothing; '*' must be asked for;
 * tokens made before the binding keep working as '*' with a warning), the
 * fleet-wide budget of automatic routes per hour, the cap on one relay's
 * share of a provider's automatic routes, and the number of distinct
 * nodes that must report a relay blocked. Every refusal is a history row
 * naming the [policy] key, and one on-call message.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "seed.h"
#include "sha256.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

struct fleet {
	struct tl_controller *ctl;
	struct webhook *hook;
	char *det;             /* a detector token for '*' */
};

/* A controller with extra_policy under [policy], relays r1..r<relays>,
 * server nodes mx01..mx<servers>, providers p1..p3, and a '*' detector. */
static struct fleet *
fleet_start(const char *extra_policy, int relays, int servers)
{
	struct fleet *f = xcalloc(1, sizeof(*f));

	f->hook = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\n[policy]\n%s", webhook_url(f->hook),
	    extra_policy);
	f->ctl = tl_controller_start(ini);
	free(ini);
	for (int i = 1; i <= relays; i++) {
		char name[16], nexthop[48];
		snprintf(name, sizeof(name), "r%d", i);
		snprintf(nexthop, sizeof(nexthop), "smtp:[127.0.0.%d]:25", i + 1);
		seed_relay(f->ctl, name, nexthop);
	}
	seed_servers(f->ctl, servers);
	for (int i = 1; i <= 3; i++) {
		char name[16], domain[32];
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(domain, sizeof(domain), "p%d.example", i);
		seed_provider(f->ctl, name, domain);
	}
	f->det = tl_token(f->ctl, "det-all", "detector", "*");
	return f;
}

static void
fleet_stop(struct fleet *f)
{
	assert_int_equal(tl_controller_stop(f->ctl), 0);
	tl_controller_free(f->ctl);
	webhook_stop(f->hook);
	free(f->det);
	free(f);
}

static char *
block_body(const char *node, const char *provider)
{
	return xasprintf("{\"type\":\"block\",\"node\":\"%s\",\"provider\":\"%s\",\"class\":\"reputation\","
	    "\"count\":12,\"attempts\":14,\"window_s\":300}", node, provider);
}

/* Posts a block with token; fails unless the status is want. Returns the
 * answer's outcome or error text (caller frees). */
static char *
post_block(struct fleet *f, const char *token, const char *node, const char *provider, long want)
{
	char *b = block_body(node, provider);
	json_t *j = tl_event(f->ctl, token, b, want);
	json_t *text = json_object_get(j, want == 200 ? "outcome" : "error");

	char *out = xstrdup(json_string_value(text) ? json_string_value(text) : "");
	json_decref(j);
	free(b);
	return out;
}

static void
block(struct fleet *f, const char *node, const char *provider)
{
	free(post_block(f, f->det, node, provider, 200));
}

static int
hook_count(struct fleet *f, const char *needle)
{
	int n = 0;

	for (int i = 0; i < webhook_count(f->hook); i++) {
		char *b = webhook_body(f->hook, i);
		n += strstr(b, needle) != NULL;
		free(b);
	}
	return n;
}

struct hook_wait {
	struct fleet *f;
	const char *needle;
};

static int
hook_seen(void *arg)
{
	struct hook_wait *w = arg;

	return hook_count(w->f, w->needle) > 0;
}

static void
wait_hook(struct fleet *f, const char *needle)
{
	struct hook_wait w = { f, needle };

	if (!tl_wait_for(hook_seen, &w, 10000))
		fail_msg("no webhook message containing \"%s\" (%d received)", needle,
		    webhook_count(f->hook));
}

/* The notifier sends in order: once a later message arrived, every earlier
 * one has too. */
static void
flush_hook(struct fleet *f, const char *node)
{
	char *b = xasprintf("{\"type\":\"volume\",\"node\":\"%s\",\"sender\":\"flush@example.org\"}", node);
	json_t *j = NULL;

	assert_int_equal(tl_api(f->ctl, "POST", "/v1/events", f->det, b, &j), 200);
	json_decref(j);
	free(b);
	wait_hook(f, "sender flush@example.org");
}

/* ---- detector tokens are bound to nodes ---- */

static void
test_detector_bound_to_its_nodes(void **state)
{
	struct fleet *f = fleet_start("", 2, 3);

	(void)state;
	char *det1 = tl_token(f->ctl, "det1", "detector", "mx01,mx03");
	char *h0 = tl_sql(f->ctl->conninfo,
	    "SELECT count(*) || ' ' || (SELECT version FROM routing_version) FROM history");
	char *e = post_block(f, det1, "mx02", "p1", 403);
	assert_string_equal(e, "token \"det1\" may not report for node mx02 (not among the nodes it is"
	    " bound to)");
	free(e);
	/* nothing changed: no block, no route, no history row, same version */
	char *h1 = tl_sql(f->ctl->conninfo,
	    "SELECT count(*) || ' ' || (SELECT version FROM routing_version) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM blocks", "0");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes", "0");
	/* a node that does not even exist is refused the same way, before 404 */
	e = post_block(f, det1, "nosuch", "p1", 403);
	assert_non_null(strstr(e, "may not report for node nosuch"));
	free(e);
	/* on-call hears of it */
	wait_hook(f, "may not report for node mx02");
	/* its own nodes are fine */
	free(post_block(f, det1, "mx03", "p1", 200));
	tl_expect_sql(f->ctl->conninfo, "SELECT reporter || ' ' || node FROM blocks", "det1 mx03");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes WHERE scope = 'mx03'", "1");
	/* '*' reports for every node */
	free(post_block(f, f->det, "mx02", "p1", 200));
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes WHERE scope = 'mx02'", "1");
	/* an agent token still speaks for its own node only, events included */
	char *agent = tl_token(f->ctl, "agent-mx01", "agent", "mx01");
	e = post_block(f, agent, "mx02", "p2", 403);
	assert_string_equal(e, "token \"agent-mx01\" is bound to node mx01, not mx02");
	free(e);
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM blocks WHERE provider = 'p2'", "0");
	free(post_block(f, agent, "mx01", "p2", 200));
	free(agent), free(det1);
	fleet_stop(f);
}

static void
test_token_create_names_the_nodes(void **state)
{
	static const struct { const char *role, *node, *error; } bad[] = {
		{ "detector", NULL, "--node: required for a detector token: name the nodes it may report"
		  " for (--node mx01,mx02) or give --node '*' for every node" },
		{ "detector", "", "--node: \"\" is empty" },
		{ "detector", "mx01,", "--node: \"\" is empty" },
		{ "detector", "mx01,mx01", "--node: mx01 is listed twice" },
		{ "detector", "mx01,*", "--node: '*' (every node) stands alone, not in a list" },
		{ "detector", "MX01", "--node: \"MX01\" must start with a lower-case letter or a digit" },
		{ "agent", "mx01,mx02", "(an agent token is bound to one node)" },
		{ "agent", "*", "--node: must start with a lower-case letter or a digit" },
		{ "viewer", "mx01", "--node: only agent and detector tokens are bound to nodes" },
	};
	struct fleet *f = fleet_start("", 1, 2);
	char *bin = xasprintf("%s/postrouted", tl_bindir());

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { bin, "token", "create", "--name", "bad", "--role", (char *)bad[i].role,
			"-c", f->ctl->conf, bad[i].node ? "--node" : NULL, (char *)bad[i].node, NULL };
		char *out = NULL, *err = NULL;
		int rc = tl_run(argv, &out, &err, 30);
		if (rc != 1 || strstr(err, bad[i].error) == NULL || out[0] != '\0')
			fail_msg("token create --role %s --node %s: exit %d, stderr \"%s\", want 1 and \"%s\"",
			    bad[i].role, bad[i].node ? bad[i].node : "(none)", rc, err, bad[i].error);
		free(out), free(err);
	}
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM tokens WHERE name = 'bad'", "0");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM history WHERE object = 'bad'", "0");
	/* a good one: its nodes are in the table, its history row and the audit view */
	free(tl_token(f->ctl, "det-pair", "detector", "mx02,mx01"));
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT array_to_string(nodes, ',') FROM tokens WHERE name = 'det-pair'", "mx02,mx01");
	tl_expect_sql(f->ctl->conninfo, "SELECT after->>'nodes' FROM history WHERE action = 'token.create'"
	    " AND object = 'det-pair'", "[\"mx02\", \"mx01\"]");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT after->>'nodes' FROM audit_history WHERE action = 'token.create'"
	    " AND object = 'det-all'", "[\"*\"]");
	/* token list shows every token's nodes */
	char *argv[] = { bin, "token", "list", "-c", f->ctl->conf, NULL };
	char *out = NULL;
	assert_int_equal(tl_run(argv, &out, NULL, 30), 0);
	const char *want[] = { "NAME", "NODES", "\ndet-all ", "\ndet-pair ", "\ntest-admin " };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(out, want[i]) == NULL)
			fail_msg("token list lacks \"%s\":\n%s", want[i], out);
	char *line = strstr(out, "\ndet-pair ");
	line[strcspn(line + 1, "\n") + 1] = '\0';
	assert_non_null(strstr(line, " detector "));
	assert_non_null(strstr(line, " mx02,mx01 "));
	assert_null(strstr(out, "warning"));
	free(out);
	/* revoking keeps the nodes in the history row */
	char *rv[] = { bin, "token", "revoke", "--name", "det-pair", "-c", f->ctl->conf, NULL };
	assert_int_equal(tl_run(rv, NULL, NULL, 30), 0);
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT before->>'nodes' FROM history WHERE action = 'token.revoke'", "[\"mx02\", \"mx01\"]");
	free(bin);
	fleet_stop(f);
}

static int
log_has(void *arg)
{
	void **a = arg;
	char *path = xasprintf("%s/postrouted.log", ((struct tl_controller *)a[0])->dir);
	char *log = tl_read_file(path);
	int hit = log != NULL && strstr(log, a[1]) != NULL;

	free(path), free(log);
	return hit;
}

/* A detector token made before the binding keeps working as '*', and
 * postrouted says so at start and in token list. */
static void
test_old_detector_tokens_become_star(void **state)
{
	struct fleet *f = fleet_start("", 1, 2);
	const char *old = "prt_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char digest[SHA256_HEX_LEN + 1];

	(void)state;
	assert_int_equal(tl_controller_stop(f->ctl), 0);
	/* back to the tokens table as it was before 0005, with two old detectors */
	free(tl_sql(f->ctl->conninfo, "ALTER TABLE tokens DROP COLUMN nodes, DROP COLUMN nodes_by_migration;"
	    " DELETE FROM schema_migrations WHERE name = '0005_detector_nodes.sql'"));
	sha256_hex(old, strlen(old), digest);
	char *q = xasprintf("INSERT INTO tokens (name, role, secret_sha256) VALUES"
	    " ('det-old', 'detector', '%s'), ('det-gone', 'detector', '%064d');"
	    " UPDATE tokens SET revoked_at = now() WHERE name = 'det-gone'", digest, 7);
	free(tl_sql(f->ctl->conninfo, q));
	free(q);
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *mig[] = { bin, "migrate", "-c", f->ctl->conf, NULL };
	char *out = NULL, *err = NULL;
	if (tl_run(mig, &out, &err, 60) != 0)
		fail_msg("migrate: %s%s", out, err);
	free(out), free(err);
	tl_expect_sql(f->ctl->conninfo, "SELECT string_agg(name || ' ' || array_to_string(nodes, ',') || ' '"
	    " || nodes_by_migration, '; ' ORDER BY name) FROM tokens WHERE role = 'detector'",
	    "det-all * true; det-gone * true; det-old * true");
	/* token list warns about the active ones only */
	char *list[] = { bin, "token", "list", "-c", f->ctl->conf, NULL };
	assert_int_equal(tl_run(list, &out, NULL, 30), 0);
	assert_non_null(strstr(out, "warning: detector token det-old was made before tokens were bound"
	    " to nodes and may report for every node ('*')"));
	assert_null(strstr(out, "warning: detector token det-gone"));
	assert_non_null(strstr(out, "warning: detector token det-all "));
	free(out);
	/* so does the controller at start */
	tl_controller_restart(f->ctl);
	void *arg[] = { f->ctl, "2 detector token(s) made before tokens were bound to nodes may"
		" report for every node ('*'): det-all, det-old;" };
	if (!tl_wait_for(log_has, arg, 10000))
		fail_msg("no start-up warning about det-old in the controller's log");
	/* and the token keeps working, for any node */
	free(post_block(f, old, "mx02", "p1", 200));
	tl_expect_sql(f->ctl->conninfo, "SELECT reporter FROM blocks WHERE node = 'mx02'", "det-old");
	free(bin);
	fleet_stop(f);
}

/* ---- [policy] max_auto_routes_per_hour ---- */

static void
test_fleet_budget_of_auto_routes(void **state)
{
	struct fleet *f = fleet_start("max_auto_routes_per_hour = 2\n", 2, 2);

	(void)state;
	block(f, "mx01", "p1");
	block(f, "mx01", "p2");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes WHERE origin = 'auto'", "2");
	char *v0 = tl_sql(f->ctl->conninfo, "SELECT count(*) FROM history WHERE action = 'policy.refused'");
	assert_string_equal(v0, "0");
	free(v0);
	/* the third provider: over the fleet's budget, whatever the provider */
	char *outcome = post_block(f, f->det, "mx01", "p3", 200);
	const char *why = "automation stopped for every provider: 2 automatic routes set in the last"
	    " hour across all providers (limit 2, [policy] max_auto_routes_per_hour); no change made,"
	    " act by hand.";
	assert_non_null(strstr(outcome, why));
	free(outcome);
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes WHERE provider = 'p3'", "0");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes", "2");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT action || ' ' || object || ' ' || (after->>'limit') || ' ' || (after->>'decision')"
	    " FROM history ORDER BY id DESC LIMIT 1",
	    "policy.refused mx01/p3 max_auto_routes_per_hour automation stopped for every provider: 2"
	    " automatic routes set in the last hour across all providers (limit 2, [policy]"
	    " max_auto_routes_per_hour); no change made, act by hand.");
	/* one on-call message, even when the block is reported again */
	wait_hook(f, "p3 is blocked on mx01");
	block(f, "mx01", "p3");
	flush_hook(f, "mx01");
	assert_int_equal(hook_count(f, "p3 is blocked on mx01"), 1);
	assert_int_equal(hook_count(f, "max_auto_routes_per_hour"), 1);
	/* another node, another provider: still refused */
	block(f, "mx02", "p1");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes", "2");
	tl_expect_sql(f->ctl->conninfo, "SELECT after->>'limit' FROM history ORDER BY id DESC LIMIT 1",
	    "max_auto_routes_per_hour");
	fleet_stop(f);
}

/* ---- [policy] max_relay_share_percent ---- */

static void
test_relay_share_cap(void **state)
{
	/* 6 server nodes at 50%: one relay may carry 3 automatic routes of a provider */
	struct fleet *f = fleet_start("max_relay_share_percent = 50\nmax_flips_per_hour = 100\n", 2, 6);

	(void)state;
	seed_relay_node(f->ctl, "r1n", "r1");
	seed_relay_node(f->ctl, "r2n", "r2");
	/* the herd: r1 reported blocked for p2, so every p2 route would go to r2 */
	block(f, "r1n", "p2");
	block(f, "mx01", "p2");
	block(f, "mx02", "p2");
	block(f, "mx03", "p2");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT string_agg(relay, ',' ORDER BY scope) FROM routes WHERE provider = 'p2'",
	    "r2,r2,r2");
	/* a fourth would be over the share, and no other relay is healthy */
	char *outcome = post_block(f, f->det, "mx04", "p2", 200);
	assert_non_null(strstr(outcome, "relay r2 already carries 3 automatic routes of p2, the most"
	    " one relay may ([policy] max_relay_share_percent = 50 of 6 server nodes), and no other"
	    " healthy relay is under that share; no change made, act by hand."));
	free(outcome);
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes WHERE provider = 'p2'", "3");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT action || ' ' || (after->>'limit') FROM history ORDER BY id DESC LIMIT 1",
	    "policy.refused max_relay_share_percent");
	wait_hook(f, "p2 is blocked on mx04");
	/* p1: r1 has the fewest automatic routes and takes three */
	block(f, "mx01", "p1");
	block(f, "mx02", "p1");
	block(f, "mx03", "p1");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT string_agg(relay, ',' ORDER BY scope) FROM routes WHERE provider = 'p1'",
	    "r1,r1,r1");
	/* r1 and r2 now carry as many; the tie would go to r1, which has its
	 * share of p1: the fourth goes to r2 instead */
	block(f, "mx04", "p1");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx04'", "r2");
	/* r2 reported blocked for p1: its p1 route cannot move to r1 (full) */
	outcome = post_block(f, f->det, "r2n", "p1", 200);
	assert_non_null(strstr(outcome, "p1/mx04 stays on r2: relay r1 already carries 3 automatic"
	    " routes of p1"));
	free(outcome);
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx04'", "r2");
	tl_expect_sql(f->ctl->conninfo, "SELECT action || ' ' || relay || ' ' || (after->>'limit') FROM history"
	    " ORDER BY id DESC LIMIT 1", "policy.refused r2 max_relay_share_percent");
	/* and a fifth p1 block finds no relay under its share */
	block(f, "mx05", "p1");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM routes WHERE provider = 'p1'", "4");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT count(*) FROM routes WHERE relay = 'r1' AND provider = 'p1'", "3");
	tl_expect_sql(f->ctl->conninfo, "SELECT count(*) FROM history WHERE action = 'policy.refused'"
	    " AND after->>'limit' = 'max_relay_share_percent'", "3");
	wait_hook(f, "p1 is blocked on mx05");
	/* with r2 drained, r1 is the only relay in service: nothing to steer,
	 * no cap; the block of mx05, still open, is acted on when reported again */
	seed_put(f->ctl, "/v1/relays/r2", "{\"nexthop\":\"smtp:[127.0.0.3]:25\",\"drained\":true}");
	block(f, "mx05", "p1");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx05'", "r1");
	fleet_stop(f);
}

/* ---- [policy] relay_block_reporters ---- */

static void
test_relay_block_needs_distinct_reporters(void **state)
{
	struct fleet *f = fleet_start("relay_block_reporters = 2\nmax_relay_share_percent = 100\n", 2, 2);

	(void)state;
	seed_relay_node(f->ctl, "r1a", "r1");
	seed_relay_node(f->ctl, "r1b", "r1");
	block(f, "mx01", "p1");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx01'", "r1");
	/* one node of r1 says p1 refuses it: not enough */
	char *outcome = post_block(f, f->det, "r1a", "p1", 200);
	assert_non_null(strstr(outcome, "relay r1 is reported blocked for p1 by 1 node(s) (r1a), fewer"
	    " than [policy] relay_block_reporters = 2: not treated as blocked yet; no change made."));
	free(outcome);
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx01'", "r1");
	tl_expect_sql(f->ctl->conninfo, "SELECT action || ' ' || relay || ' ' || (after->>'limit') FROM history"
	    " ORDER BY id DESC LIMIT 1", "policy.refused r1 relay_block_reporters");
	wait_hook(f, "relay r1 is reported blocked for p1 by 1 node(s)");
	/* the same node again does not count twice */
	block(f, "r1a", "p1");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx01'", "r1");
	/* while unconfirmed, r1 still takes new routes of p1 */
	seed_put(f->ctl, "/v1/relays/r2", "{\"nexthop\":\"smtp:[127.0.0.3]:25\",\"drained\":true}");
	block(f, "mx02", "p1");
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT relay FROM routes WHERE provider = 'p1' AND scope = 'mx02'", "r1");
	seed_put(f->ctl, "/v1/relays/r2", "{\"nexthop\":\"smtp:[127.0.0.3]:25\",\"drained\":false}");
	/* a second, distinct node of r1: now r1 is blocked for p1 and routes move */
	outcome = post_block(f, f->det, "r1b", "p1", 200);
	assert_non_null(strstr(outcome, "moved p1/mx01 from r1 to r2."));
	assert_non_null(strstr(outcome, "moved p1/mx02 from r1 to r2."));
	free(outcome);
	tl_expect_sql(f->ctl->conninfo,
	    "SELECT string_agg(relay, ',' ORDER BY scope) FROM routes WHERE provider = 'p1'",
	    "r2,r2");
	tl_expect_sql(f->ctl->conninfo, "SELECT action || ' ' || relay FROM history ORDER BY id DESC LIMIT 1",
	    "policy.flip r1");
	fleet_stop(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detector_bound_to_its_nodes),
		cmocka_unit_test(test_token_create_names_the_nodes),
		cmocka_unit_test(test_old_detector_tokens_become_star),
		cmocka_unit_test(test_fleet_budget_of_auto_routes),
		cmocka_unit_test(test_relay_share_cap),
		cmocka_unit_test(test_relay_block_needs_distinct_reporters),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
