/*
 * test_cli_history.c: postroute history against a real controller: each
 * filter alone and combined gives exactly the rows the same condition
 * selects in SQL; --json, CSV and table shapes; malformed filters are
 * usage errors.
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

#include "clirun.h"
#include "strbuf.h"
#include "seed.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *viewer, *operator;
static char mid[64];     /* a time between the first and the second batch of changes */

static void
api(const char *token, const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, token, body));
}

static int
setup(void **state)
{
	clirun_group_setup(state);
	seed_relay(ctl, "r1", "smtp:[r1.example.net]:25");
	seed_relay(ctl, "r2", "smtp:[r2.example.net]:25");
	seed_providers(ctl, 2);
	seed_servers(ctl, 2);
	api(operator, "PUT", "/v1/routes/google", "{\"relay\": \"r1\", \"reason\": \"one\"}");
	char *at = tl_db_instant(ctl->conninfo);   /* after the first batch, before the second */
	snprintf(mid, sizeof(mid), "%s", at);
	free(at);
	api(operator, "PUT", "/v1/routes/google", "{\"scope\": \"mx01\", \"relay\": \"r2\", \"reason\": \"two\"}");
	api(ctl->admin, "PUT", "/v1/routes/yahoo", "{\"relay\": \"r2\", \"reason\": \"three\"}");
	api(operator, "PUT", "/v1/routes/google", "{\"relay\": \"r2\", \"reason\": \"four, with \\\"quotes\\\"\"}");
	api(operator, "DELETE", "/v1/routes/google?scope=mx01&reason=five", NULL);
	api(ctl->admin, "PUT", "/v1/relays/r2", "{\"nexthop\": \"smtp:[r2.example.net]:25\", \"drained\": true}");
	return 0;
}

/* The ids the CLI printed, comma-separated, newest first. */
static char *
cli_ids(char **words)
{
	struct strbuf sb = STRBUF_INIT;
	struct clirun r;
	size_t i;
	json_t *row;

	clirun_argv(&r, ctl->url, viewer, words);
	clirun_expect(&r, 0, "history");
	json_array_foreach(json_object_get(r.json, "history"), i, row)
		strbuf_appendf(&sb, "%s%lld", i ? "," : "", (long long)json_integer_value(json_object_get(row, "id")));
	clirun_free(&r);
	return strbuf_detach(&sb);
}

static char *
sql_ids(const char *where, int limit)
{
	char *q = xasprintf("SELECT coalesce(string_agg(id::text, ',' ORDER BY id DESC), '') FROM"
	    " (SELECT id FROM history WHERE %s ORDER BY id DESC LIMIT %d) h", where, limit);
	char *v = tl_sql(ctl->conninfo, q);

	free(q);
	return v;
}

static void
test_every_filter(void **state)
{
	struct {
		const char *words[12];
		const char *where;
		int limit;
	} cases[] = {
		{ { "history", "--json", NULL }, "true", 100 },
		{ { "history", "--json", "--provider", "google", NULL }, "provider = 'google'", 100 },
		{ { "history", "--json", "--node", "mx01", NULL }, "node = 'mx01'", 100 },
		{ { "history", "--json", "--relay", "r2", NULL },
		  "relay = 'r2' OR before->>'relay' = 'r2' OR after->>'relay' = 'r2'", 100 },
		{ { "history", "--json", "--actor", "otto", NULL }, "actor = 'otto'", 100 },
		{ { "history", "--json", "--action", "route.set", NULL }, "action = 'route.set'", 100 },
		{ { "history", "--json", "--action", "route.delete", NULL }, "action = 'route.delete'", 100 },
		{ { "history", "--json", "--since", mid, NULL }, "at >= '%s'", 100 },
		{ { "history", "--json", "--until", mid, NULL }, "at < '%s'", 100 },
		{ { "history", "--json", "--since", "1h", NULL }, "at >= now() - interval '1 hour'", 100 },
		{ { "history", "--json", "--since", "2026-01-01", "--until", "2026-01-02", NULL }, "false", 100 },
		{ { "history", "--json", "--limit", "3", NULL }, "true", 3 },
		{ { "history", "--json", "--provider", "google", "--action", "route.set", "--since", mid,
		    "--actor", "otto", NULL },
		  "provider = 'google' AND action = 'route.set' AND at >= '%s' AND actor = 'otto'", 100 },
		{ { "history", "--json", "--provider", "google", "--node", "mx01", "--limit", "1", NULL },
		  "provider = 'google' AND node = 'mx01'", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *where = xasprintf(cases[i].where, mid);
		char *want = sql_ids(where, cases[i].limit);
		char *got = cli_ids((char **)cases[i].words);
		if (strcmp(got, want) != 0)
			fail_msg("case %zu (%s): CLI ids %s, SQL ids %s", i, where, got, want);
		char *all = sql_ids("true", 100);
		if (i > 0 && strstr(cases[i].where, "interval") == NULL &&
		    strcmp(cases[i].where, "true") != 0 && strcmp(want, all) == 0)
			fail_msg("case %zu selects every row: not a test of its filter", i);
		free(where), free(want), free(got), free(all);
	}
}

static void
test_shapes(void **state)
{
	static const char *const keys[] = { "id", "at", "actor", "action", "object_type", "object",
		"provider", "node", "relay", "before", "after", "reason", "request_id", "version", NULL };
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, viewer, "history", "--json", "--limit", "1", "--action", "route.delete", NULL);
	clirun_expect(&r, 0, "history --json");
	json_t *row = json_array_get(json_object_get(r.json, "history"), 0);
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(row, keys[i]) == NULL)
			fail_msg("history row lacks \"%s\"", keys[i]);
	assert_string_equal(json_string_value(json_object_get(row, "reason")), "five");
	assert_true(json_is_object(json_object_get(row, "before")));
	assert_true(json_is_null(json_object_get(row, "after")));
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "history", "--format", "csv", "--provider", "google",
	    "--action", "route.set", NULL);
	clirun_expect(&r, 0, "history csv");
	assert_memory_equal(r.out, "id,at,actor,action,object_type,object,provider,node,relay,"
	    "reason,request_id,version,before,after\r\n", 85);
	assert_non_null(strstr(r.out, ",otto,route.set,route,google/*,google,,r2,\"four, with \"\"quotes\"\"\","));
	int lines = 0;
	for (const char *p = r.out; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 1 + 3);   /* header, three google route.set rows */
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "history", "--format", "table", "--action", "route.set",
	    "--provider", "yahoo", NULL);
	clirun_expect(&r, 0, "history table");
	if (strncmp(r.out, "AT (UTC)             ACTOR       ACTION     OBJECT   CHANGE           REASON\n", 76) != 0 ||
	    strstr(r.out, "  test-admin  route.set  yahoo/*  (default) -> r2  three\n") == NULL)
		fail_msg("table:\n%s", r.out);
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "history", "--action", "relay.put", "--relay", "r2", NULL);
	clirun_expect(&r, 0, "history plain");
	assert_non_null(strstr(r.out, "\ttest-admin\trelay.put\tr2\tdrained: no -> yes\t-\n"));
	clirun_free(&r);
}

static void
test_malformed_filters(void **state)
{
	static const struct { const char *words[6]; const char *msg; } cases[] = {
		{ { "history", "--since", "tomorrow", NULL }, "--since \"tomorrow\" is not a time" },
		{ { "history", "--until", "2026-02-30", NULL }, "--until \"2026-02-30\" has a date that does not exist" },
		{ { "history", "--since", "", NULL }, "--since \"\" is empty" },
		{ { "history", "--limit", "0", NULL }, "--limit \"0\" is not a number from 1 to 10000" },
		{ { "history", "--limit", "10001", NULL }, "--limit \"10001\" is not a number" },
		{ { "history", "--limit", "12abc", NULL }, "--limit \"12abc\" is not a number" },
		{ { "history", "--provider", "Google Mail", NULL }, "--provider \"Google Mail\"" },
		{ { "history", "--node", "mx01'--", NULL }, "--node \"mx01'--\"" },
		{ { "history", "--action", "route.set;drop", NULL }, "--action \"route.set;drop\" is not an action name" },
		{ { "history", "--actor", "a\nb", NULL }, "--actor contains a control character" },
		{ { "history", "--format", "xml", NULL }, "--format: \"xml\" is not one of" },
		{ { "history", "--json", "--format", "csv", NULL }, "--json and --format csv are exclusive" },
	};
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		clirun_argv(&r, ctl->url, viewer, (char *const *)cases[i].words);
		if (r.rc != 2 || strstr(r.err, cases[i].msg) == NULL)
			fail_msg("case %zu: exit %d, stderr \"%s\" (want 2, \"%s\")", i, r.rc, r.err,
			    cases[i].msg);
		clirun_free(&r);
	}
	/* a detector token may not read the history */
	char *det = tl_token(ctl, "det", "detector", "*");
	clirun(&r, ctl->url, det, "history", NULL);
	clirun_expect(&r, 3, "detector reads history");
	clirun_free(&r);
	free(det);
}

/* routes --at pages through more history than one request returns */
static void
test_routes_at_pages(void **state)
{
	char *su, *p;
	struct clirun r;

	(void)state;
	p = strstr(ctl->conninfo, "user=postroute");
	assert_non_null(p);
	su = xasprintf("%.*suser=postgres", (int)(p - ctl->conninfo), ctl->conninfo);
	free(tl_sql(su, "INSERT INTO history (actor, action, object_type, object, node, after)"
	    " SELECT 'mx01', 'volume.surge', 'sender', 's' || i || '@example.jp', 'mx01',"
	    " jsonb_build_object('sender', 's' || i || '@example.jp', 'rate', i)"
	    " FROM generate_series(1, 10050) i"));
	clirun(&r, ctl->url, viewer, "history", "--limit", "10000", "--json", NULL);
	clirun_expect(&r, 0, "history --limit 10000");
	assert_int_equal(json_array_size(json_object_get(r.json, "history")), 10000);
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "routes", "--at", "now", "--json", NULL);
	clirun_expect(&r, 0, "routes --at now");
	char *got = json_dumps(json_object_get(r.json, "routes"), JSON_COMPACT | JSON_SORT_KEYS);
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "routes", "--json", NULL);
	char *want = json_dumps(json_object_get(r.json, "routes"), JSON_COMPACT | JSON_SORT_KEYS);
	clirun_free(&r);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "\"provider\":\"google\""));
	free(got), free(want), free(su);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_filter),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_malformed_filters),
		cmocka_unit_test(test_routes_at_pages),
	};
	clirun_group(&ctl, &viewer, &operator, NULL);
	return cmocka_run_group_tests(tests, setup, clirun_group_teardown);
}
