/*
 * test_cli_route.c: postroute flip, unflip and routes against a real
 * controller: dry runs that change nothing, --json shapes, waiting for
 * agents (simulated here by a child process speaking the agent's side of
 * the API; test_cli_agent.c uses the real agent), refusals with their exit
 * statuses, and routes --at against what the feed served at that time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clirun.h"
#include "strbuf.h"
#include "seed.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *viewer, *operator, *agent1, *agent2;

static void
api_ok(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static int
setup(void **state)
{
	(void)state;
	clirun_setup(&ctl, &viewer, &operator, NULL);
	agent1 = tl_token(ctl, "agent-mx01", "agent", "mx01");
	agent2 = tl_token(ctl, "agent-mx02", "agent", "mx02");
	seed_relay(ctl, "relay01", "smtp:[relay01.example.net]:25");
	seed_relay(ctl, "relay03", "smtp:[relay03.example.net]:25");
	api_ok("PUT", "/v1/relays/relay09", "{\"nexthop\": \"smtp:[relay09.example.net]:25\", \"drained\": true}");
	api_ok("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.com\", \"googlemail.com\"]}");
	api_ok("PUT", "/v1/providers/yahoo", "{\"domains\": [\"yahoo.com\"], \"include_subdomains\": true}");
	seed_servers(ctl, 2);
	seed_relay_node(ctl, "relay03-host", "relay03");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	clirun_teardown(ctl, viewer, operator);
	free(agent1), free(agent2);
	return 0;
}

static long long
routing_version(void)
{
	json_t *j = NULL;
	long long v;

	assert_int_equal(tl_api(ctl, "GET", "/v1/routes", viewer, NULL, &j), 200);
	v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return v;
}

static const char *const route_keys[] = { "provider", "scope", "relay", "nexthop", "origin",
	"reason", "actor", "created_at", "expires_at", NULL };

/*
 * A child process playing an agent: waits on its node's feed for a
 * version above after, then reports it with status (and error).
 */
static pid_t
fake_agent(const char *node, const char *token, long long after, const char *status,
    const char *error)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	char *url = xasprintf("%s/v1/nodes/%s/transport?after=%lld&wait=30", ctl->url, node, after);
	json_t *feed = NULL;
	if (tl_http("GET", url, token, NULL, &feed, NULL) != 200)
		_exit(1);
	json_t *rep = json_pack("{s:O, s:s, s:s?}", "version", json_object_get(feed, "version"),
	    "status", status, "error", error);
	char *body = json_dumps(rep, JSON_COMPACT);
	char *rurl = xasprintf("%s/v1/nodes/%s/report", ctl->url, node);
	_exit(tl_http("POST", rurl, token, body, NULL, NULL) == 200 ? 0 : 2);
}

static void
fake_agent_wait(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_flip_dry_run(void **state)
{
	long long v = routing_version();
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay03", "--reason", "try",
	    "--dry-run", "--json", NULL);
	clirun_expect(&r, 0, "flip --dry-run --json");
	assert_true(json_is_true(json_object_get(r.json, "dry_run")));
	json_t *changes = json_object_get(r.json, "changes");
	assert_int_equal(json_array_size(changes), 2);   /* mx01, mx02; not the relay node */
	json_t *c0 = json_array_get(changes, 0);
	static const char *const ck[] = { "node", "removed", "added", NULL };
	tl_assert_keys(c0, ck);
	assert_string_equal(json_string_value(json_object_get(c0, "node")), "mx01");
	json_t *e = json_array_get(json_object_get(c0, "added"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "domain")), "gmail.com");
	assert_string_equal(json_string_value(json_object_get(e, "nexthop")),
	    "smtp:[relay03.example.net]:25");
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay03", "--reason", "try",
	    "--dry-run", "--format", "table", NULL);
	clirun_expect(&r, 0, "flip --dry-run table");
	assert_string_equal(r.out,
	    "mx01:\n"
	    "  + gmail.com smtp:[relay03.example.net]:25\n"
	    "  + googlemail.com smtp:[relay03.example.net]:25\n"
	    "mx02:\n"
	    "  + gmail.com smtp:[relay03.example.net]:25\n"
	    "  + googlemail.com smtp:[relay03.example.net]:25\n"
	    "(dry run: nothing was changed)\n");
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay03", "--node", "mx02",
	    "--reason", "try", "--dry-run", "--format", "csv", NULL);
	clirun_expect(&r, 0, "flip --dry-run csv");
	assert_string_equal(r.out, "NODE,CHANGE,DOMAIN,NEXTHOP\r\n"
	    "mx02,added,gmail.com,smtp:[relay03.example.net]:25\r\n"
	    "mx02,added,googlemail.com,smtp:[relay03.example.net]:25\r\n");
	clirun_free(&r);
	assert_int_equal(routing_version(), v);
	assert_int_equal(tl_sql_int(ctl->conninfo, "SELECT count(*) FROM routes"), 0);
}

static void
test_flip_no_wait_json(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay03", "--reason",
	    "gmail blocks relay01", "--no-wait", "--json", NULL);
	clirun_expect(&r, 0, "flip --no-wait --json");
	assert_true(json_is_integer(json_object_get(r.json, "version")));
	assert_true(json_is_null(json_object_get(r.json, "wait")));
	json_t *route = json_object_get(r.json, "route");
	tl_assert_keys(route, route_keys);
	assert_string_equal(json_string_value(json_object_get(route, "scope")), "*");
	assert_string_equal(json_string_value(json_object_get(route, "actor")), "otto");
	assert_string_equal(json_string_value(json_object_get(route, "origin")), "manual");
	assert_true(json_is_null(json_object_get(route, "expires_at")));
	clirun_free(&r);

	char *who = tl_sql(ctl->conninfo, "SELECT actor || ' ' || action || ' ' || reason FROM history"
	    " ORDER BY id DESC LIMIT 1");
	assert_string_equal(who, "otto route.set gmail blocks relay01");
	free(who);

	/* the same, shown for people */
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay01", "--node", "mx01",
	    "--reason", "mx01 keeps relay01", "--for", "2h", "--no-wait", NULL);
	clirun_expect(&r, 0, "flip --for");
	assert_non_null(strstr(r.out, "google: routed through relay01 on mx01 (version "));
	assert_non_null(strstr(r.out, "), until 20"));
	clirun_free(&r);
	char *ttl = tl_sql(ctl->conninfo, "SELECT round(extract(epoch FROM expires_at - created_at))"
	    " FROM routes WHERE scope = 'mx01'");
	assert_string_equal(ttl, "7200");
	free(ttl);
}

static void
test_flip_refusals(void **state)
{
	static const struct { const char *words[12]; int rc; const char *msg; } cases[] = {
		{ { "flip", "google", "--reason", "x", NULL }, 2, "--to RELAY is required" },
		{ { "flip", "google", "--to", "relay01", NULL }, 2, "--reason is required" },
		{ { "flip", "google", "--to", "relay01", "--reason", "", NULL }, 2, "--reason is empty" },
		{ { "flip", "google", "--to", "relay01", "--reason", "   ", NULL }, 2, "--reason is empty" },
		{ { "flip", "google", "--to", "relay01", "--reason", "a\033[2Jb", NULL }, 2,
		  "--reason contains a control character" },
		{ { "flip", "google", "--to", "relay01", "--reason", "x", "--for", "30s", NULL }, 2,
		  "--for 30s is out of range" },
		{ { "flip", "google", "--to", "relay01", "--reason", "x", "--for", "15d", NULL }, 2,
		  "--for 15d is out of range" },
		{ { "flip", "google", "--to", "relay01", "--reason", "x", "--for", "soon", NULL }, 2,
		  "--for \"soon\" is not a duration" },
		{ { "flip", "google", "--to", "relay01", "--reason", "x", "--timeout", "-1", NULL }, 2,
		  "--timeout" },
		{ { "flip", "Google Mail", "--to", "relay01", "--reason", "x", NULL }, 2, "PROVIDER \"Google Mail\"" },
		{ { "flip", "google", "--to", "relay01;rm", "--reason", "x", NULL }, 2, "--to \"relay01;rm\"" },
		{ { "flip", "google", "yahoo", "--to", "relay01", "--reason", "x", NULL }, 2, "unexpected argument" },
		{ { "flip", "--to", "relay01", "--reason", "x", NULL }, 2, "missing argument" },
		{ { "flip", "google", "--to", "relay77", "--reason", "x", "--no-wait", NULL }, 1, "relay77" },
		{ { "flip", "hotmail", "--to", "relay01", "--reason", "x", "--no-wait", NULL }, 1, "hotmail" },
		{ { "flip", "google", "--to", "relay09", "--reason", "x", "--no-wait", NULL }, 1, "HTTP 409" },
		{ { "flip", "google", "--to", "relay01", "--node", "mx99", "--reason", "x", "--no-wait", NULL },
		  1, "mx99" },
		{ { "unflip", "yahoo", "--reason", "x", "--no-wait", NULL }, 1, "HTTP 404" },
		{ { "unflip", "google", NULL }, 2, "--reason is required" },
	};
	long long v = routing_version();
	char *routes_before = tl_sql(ctl->conninfo, "SELECT string_agg(provider || scope || relay, ',' "
	    "ORDER BY provider, scope) FROM routes");
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		clirun_argv(&r, ctl->url, operator, (char *const *)cases[i].words);
		if (r.rc != cases[i].rc || strstr(r.err, cases[i].msg) == NULL)
			fail_msg("case %zu: exit %d (want %d), stderr \"%s\" (want \"%s\")", i, r.rc,
			    cases[i].rc, r.err, cases[i].msg);
		clirun_free(&r);
	}
	/* not authorised, unreachable */
	clirun(&r, ctl->url, "not-a-token", "flip", "google", "--to", "relay01", "--reason", "x", NULL);
	clirun_expect(&r, 3, "bad token");
	assert_non_null(strstr(r.err, "HTTP 401"));
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "flip", "google", "--to", "relay01", "--reason", "x", "--no-wait", NULL);
	clirun_expect(&r, 3, "viewer flip");
	assert_non_null(strstr(r.err, "HTTP 403"));
	clirun_free(&r);
	char *dead = xasprintf("http://127.0.0.1:%d", tl_free_port());
	clirun(&r, dead, operator, "flip", "google", "--to", "relay01", "--reason", "x", NULL);
	clirun_expect(&r, 3, "unreachable");
	assert_non_null(strstr(r.err, "Couldn't connect"));
	clirun_free(&r);
	free(dead);

	assert_int_equal(routing_version(), v);
	char *routes_after = tl_sql(ctl->conninfo, "SELECT string_agg(provider || scope || relay, ',' "
	    "ORDER BY provider, scope) FROM routes");
	assert_string_equal(routes_after, routes_before);
	free(routes_before), free(routes_after);
}

static void
test_flip_waits_for_agent(void **state)
{
	long long v = routing_version();
	pid_t pid = fake_agent("mx02", agent2, v, "applied", NULL);
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "yahoo", "--to", "relay03", "--node", "mx02",
	    "--reason", "yahoo defers mx02", "--timeout", "20s", "--json", NULL);
	fake_agent_wait(pid);
	clirun_expect(&r, 0, "flip waiting for a (simulated) agent");
	assert_non_null(strstr(r.err, "waiting for 1 node to apply version"));
	assert_non_null(strstr(r.err, "mx02: applied version"));
	json_t *w = json_object_get(r.json, "wait");
	assert_true(json_is_true(json_object_get(w, "complete")));
	assert_int_equal(json_integer_value(json_object_get(w, "version")),
	    json_integer_value(json_object_get(r.json, "version")));
	json_t *n = json_array_get(json_object_get(w, "nodes"), 0);
	static const char *const nk[] = { "node", "state", "applied_version", "error", NULL };
	tl_assert_keys(n, nk);
	assert_string_equal(json_string_value(json_object_get(n, "state")), "applied");
	clirun_free(&r);

	/* unflip waits the same way */
	v = routing_version();
	pid = fake_agent("mx02", agent2, v, "applied", NULL);
	clirun(&r, ctl->url, operator, "unflip", "yahoo", "--node", "mx02", "--reason", "over",
	    "--json", NULL);
	fake_agent_wait(pid);
	clirun_expect(&r, 0, "unflip waiting");
	tl_assert_keys(json_object_get(r.json, "deleted"), route_keys);
	assert_true(json_is_true(json_object_get(json_object_get(r.json, "wait"), "complete")));
	clirun_free(&r);
}

static void
test_flip_agent_down_or_failed(void **state)
{
	struct clirun r;

	(void)state;
	/* nobody applies: fails naming both server nodes, not the relay node */
	clirun(&r, ctl->url, operator, "flip", "yahoo", "--to", "relay01", "--reason", "no agents",
	    "--timeout", "1s", "--json", NULL);
	clirun_expect(&r, 1, "flip with agents down");
	assert_non_null(strstr(r.err, "not applied on: mx01 (no report within 1 s), "
	    "mx02 (no report within 1 s)"));
	assert_null(strstr(r.err, "relay03-host"));
	json_t *w = json_object_get(r.json, "wait");
	assert_true(json_is_false(json_object_get(w, "complete")));
	assert_int_equal(json_array_size(json_object_get(w, "nodes")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(w, "nodes"), 0), "state")), "timeout");
	clirun_free(&r);
	/* the change itself was committed */
	char *rel = tl_sql(ctl->conninfo, "SELECT relay FROM routes WHERE provider = 'yahoo' AND scope = '*'");
	assert_string_equal(rel, "relay01");
	free(rel);

	/* the agent reports a failure: named with its error, without waiting out the timeout */
	long long v = routing_version();
	pid_t pid = fake_agent("mx02", agent2, v, "failed", "postmap: simulated failure");
	time_t t0 = time(NULL);
	clirun(&r, ctl->url, operator, "flip", "yahoo", "--to", "relay03", "--node", "mx02",
	    "--reason", "again", "--timeout", "60s", NULL);
	fake_agent_wait(pid);
	clirun_expect(&r, 1, "flip with a failing agent");
	assert_non_null(strstr(r.err, "mx02: failed: postmap: simulated failure"));
	assert_non_null(strstr(r.err, "not applied on: mx02 (failed: postmap: simulated failure)"));
	assert_true(time(NULL) - t0 < 30);
	clirun_free(&r);
}

static void
test_routes(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, viewer, "routes", "--json", NULL);
	clirun_expect(&r, 0, "routes --json");
	assert_true(json_is_integer(json_object_get(r.json, "version")));
	assert_true(json_is_null(json_object_get(r.json, "at")));
	json_t *routes = json_object_get(r.json, "routes");
	assert_true(json_array_size(routes) >= 2);
	tl_assert_keys(json_array_get(routes, 0), route_keys);
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "routes", "--format", "table", NULL);
	clirun_expect(&r, 0, "routes table");
	assert_memory_equal(r.out, "PROVIDER  SCOPE  RELAY    NEXTHOP", 33);
	assert_non_null(strstr(r.out, "google    *      relay03  smtp:[relay03.example.net]:25  manual"));
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "routes", NULL);
	clirun_expect(&r, 0, "routes plain");
	assert_non_null(strstr(r.out, "google\t*\trelay03\tsmtp:[relay03.example.net]:25\tmanual\t"));
	clirun_free(&r);

	/* unflip --dry-run: mx01 would fall back from its own route to the '*' route */
	long long v = routing_version();
	clirun(&r, ctl->url, operator, "unflip", "google", "--node", "mx01", "--reason", "see",
	    "--dry-run", "--format", "table", NULL);
	clirun_expect(&r, 0, "unflip --dry-run");
	assert_string_equal(r.out,
	    "mx01:\n"
	    "  - gmail.com smtp:[relay01.example.net]:25\n"
	    "  - googlemail.com smtp:[relay01.example.net]:25\n"
	    "  + gmail.com smtp:[relay03.example.net]:25\n"
	    "  + googlemail.com smtp:[relay03.example.net]:25\n"
	    "(dry run: nothing was changed)\n");
	clirun_free(&r);
	assert_int_equal(routing_version(), v);

	clirun(&r, ctl->url, viewer, "routes", "--at", "last tuesday", NULL);
	clirun_expect(&r, 2, "routes --at bad");
	assert_non_null(strstr(r.err, "--at \"last tuesday\" is not a time"));
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "routes", "--at", "2020-01-01", "--json", NULL);
	clirun_expect(&r, 0, "routes --at before anything");
	assert_int_equal(json_array_size(json_object_get(r.json, "routes")), 0);
	assert_string_equal(json_string_value(json_object_get(r.json, "at")), "2020-01-01T00:00:00Z");
	clirun_free(&r);
}

/* ---- routes --at against the feed ---- */

struct checkpoint {
	char at[64];
	char *routes;          /* "provider/scope=relay@nexthop ..." from GET /v1/routes */
	char *feed[2];         /* "domain=nexthop ..." for mx01, mx02 */
};

static char *
routes_text(const json_t *routes)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *r;

	json_array_foreach(routes, i, r)
		strbuf_appendf(&sb, "%s%s/%s=%s@%s", i ? " " : "",
		    json_string_value(json_object_get(r, "provider")),
		    json_string_value(json_object_get(r, "scope")),
		    json_string_value(json_object_get(r, "relay")),
		    json_string_value(json_object_get(r, "nexthop")));
	return strbuf_detach(&sb);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "domain=nexthop" words joined by spaces. */
static char *
entries_text(char **words, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	qsort(words, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		strbuf_appendf(&sb, "%s%s", i ? " " : "", words[i]);
		free(words[i]);
	}
	return strbuf_detach(&sb);
}

static char *
feed_text(const char *node, const char *token)
{
	char *path = xasprintf("/v1/nodes/%s/transport", node);
	json_t *j = NULL, *e;
	char *words[64];
	size_t i, n = 0;

	assert_int_equal(tl_api(ctl, "GET", path, token, NULL, &j), 200);
	json_array_foreach(json_object_get(j, "entries"), i, e)
		words[n++] = xasprintf("%s=%s", json_string_value(json_object_get(e, "domain")),
		    json_string_value(json_object_get(e, "nexthop")));
	json_decref(j);
	free(path);
	return entries_text(words, n);
}

/* What the feed of node must hold for these routes: a node's own route
 * wins over '*'; each domain, and .domain with include_subdomains. */
static char *
feed_from_routes(const json_t *routes, const char *node)
{
	static const struct { const char *provider, *domains[3]; int sub; } prov[] = {
		{ "google", { "gmail.com", "googlemail.com", NULL }, 0 },
		{ "yahoo", { "yahoo.com", NULL, NULL }, 1 },
	};
	char *words[64];
	size_t n = 0;

	for (size_t p = 0; p < 2; p++) {
		const char *nexthop = NULL;
		size_t i;
		json_t *r;
		json_array_foreach(routes, i, r) {
			const char *sc = json_string_value(json_object_get(r, "scope"));
			if (strcmp(json_string_value(json_object_get(r, "provider")), prov[p].provider) != 0)
				continue;
			if (strcmp(sc, node) == 0 || (strcmp(sc, "*") == 0 && nexthop == NULL))
				nexthop = json_string_value(json_object_get(r, "nexthop"));
			if (strcmp(sc, node) == 0)
				break;
		}
		for (size_t d = 0; nexthop && prov[p].domains[d]; d++) {
			words[n++] = xasprintf("%s=%s", prov[p].domains[d], nexthop);
			if (prov[p].sub)
				words[n++] = xasprintf(".%s=%s", prov[p].domains[d], nexthop);
		}
	}
	return entries_text(words, n);
}

static void
checkpoint_take(struct checkpoint *cp)
{
	json_t *j = NULL;

	char *at = tl_db_instant(ctl->conninfo);   /* after every change so far, before the next */
	snprintf(cp->at, sizeof(cp->at), "%s", at);
	free(at);
	assert_int_equal(tl_api(ctl, "GET", "/v1/routes", viewer, NULL, &j), 200);
	cp->routes = routes_text(json_object_get(j, "routes"));
	json_decref(j);
	cp->feed[0] = feed_text("mx01", agent1);
	cp->feed[1] = feed_text("mx02", agent2);
}

static void
cli_ok(const char *w1, const char *w2, const char *w3, const char *w4, const char *w5,
    const char *w6, const char *w7)
{
	const char *in[] = { w1, w2, w3, w4, w5, w6, w7 };
	char *words[12];
	struct clirun r;
	size_t n = 0;

	for (size_t i = 0; i < 7; i++)
		if (in[i] != NULL)
			words[n++] = (char *)in[i];
	words[n++] = "--reason", words[n++] = "timeline", words[n++] = "--no-wait";
	words[n] = NULL;
	clirun_argv(&r, ctl->url, operator, words);
	clirun_expect(&r, 0, w1);
	clirun_free(&r);
}

static void
test_routes_at_matches_feed(void **state)
{
	struct checkpoint cp[6];
	int ncp = 0;

	(void)state;
	checkpoint_take(&cp[ncp++]);
	cli_ok("flip", "google", "--to", "relay01", NULL, NULL, NULL);
	checkpoint_take(&cp[ncp++]);
	cli_ok("flip", "google", "--to", "relay03", "--node", "mx02", NULL);
	cli_ok("flip", "yahoo", "--to", "relay03", "--for", "1h", NULL);
	checkpoint_take(&cp[ncp++]);
	cli_ok("unflip", "google", NULL, NULL, NULL, NULL, NULL);
	checkpoint_take(&cp[ncp++]);
	cli_ok("flip", "yahoo", "--to", "relay01", "--node", "mx01", NULL);
	cli_ok("unflip", "google", "--node", "mx02", NULL, NULL, NULL);
	checkpoint_take(&cp[ncp++]);

	for (int i = 0; i < ncp; i++) {
		struct clirun r;
		clirun(&r, ctl->url, viewer, "routes", "--at", cp[i].at, "--json", NULL);
		clirun_expect(&r, 0, "routes --at");
		json_t *routes = json_object_get(r.json, "routes");
		char *got = routes_text(routes);
		if (strcmp(got, cp[i].routes) != 0)
			fail_msg("at %s: routes --at says \"%s\", GET /v1/routes said \"%s\"", cp[i].at,
			    got, cp[i].routes);
		for (int n = 0; n < 2; n++) {
			char *f = feed_from_routes(routes, n == 0 ? "mx01" : "mx02");
			if (strcmp(f, cp[i].feed[n]) != 0)
				fail_msg("at %s, mx0%d: routes --at gives \"%s\", the feed served \"%s\"",
				    cp[i].at, n + 1, f, cp[i].feed[n]);
			free(f);
			free(cp[i].feed[n]);
		}
		free(got), free(cp[i].routes);
		clirun_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flip_dry_run),
		cmocka_unit_test(test_flip_no_wait_json),
		cmocka_unit_test(test_flip_refusals),
		cmocka_unit_test(test_flip_waits_for_agent),
		cmocka_unit_test(test_flip_agent_down_or_failed),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_routes_at_matches_feed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
