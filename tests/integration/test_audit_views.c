/*
 * test_audit_views.c: schema/0002_audit.sql. The postroute_audit role
 * reads every audit view and nothing else (no table, tokens included, no
 * write); every SQL example of docs/audit.md runs as that role and gives
 * the answer its question expects on seeded history; audit_routes_at(t)
 * agrees with `postroute routes --at t`.
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
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *su;            /* superuser conninfo on the controller's database */
static char *operator;

static char *
replace_user(const char *conninfo)
{
	const char *p = strstr(conninfo, "user=postroute");

	assert_non_null(p);
	return xasprintf("%.*suser=postgres%s", (int)(p - conninfo), conninfo, p + strlen("user=postroute"));
}

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static int
setup(void **state)
{
	char *pg = xasprintf("host=%s port=%s dbname=postgres user=postgres", getenv("PGHOST"),
	    getenv("PGPORT"));

	(void)state;
	/* the DBA's part: roles are cluster-wide */
	free(tl_sql(pg, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
	    "'postroute_audit') THEN CREATE ROLE postroute_audit NOLOGIN; END IF; END $$"));
	free(pg);
	ctl = tl_controller_start(NULL);
	su = replace_user(ctl->conninfo);
	operator = tl_token(ctl, "otto", "operator", NULL);
	api("PUT", "/v1/relays/relay01", "{\"nexthop\": \"smtp:[relay01.example.net]:25\"}");
	api("PUT", "/v1/relays/relay03", "{\"nexthop\": \"smtp:[relay03.example.net]:25\"}");
	api("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.com\"]}");
	api("PUT", "/v1/providers/yahoo", "{\"domains\": [\"yahoo.com\"]}");
	api("PUT", "/v1/nodes/mx07", "{\"role\": \"server\"}");
	api("PUT", "/v1/nodes/relay03-a", "{\"role\": \"relay\", \"relay\": \"relay03\"}");
	api("PUT", "/v1/nodes/relay03-b", "{\"role\": \"relay\", \"relay\": \"relay03\"}");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_free(ctl);
	free(su), free(operator);
	return 0;
}

/* sql run as postroute_audit; 0 or -1 with the error in *err */
static int
as_auditor(const char *sql, char **err)
{
	char *q = xasprintf("SET ROLE postroute_audit; %s", sql);
	int rc = tl_sql_try(su, q, err);

	free(q);
	return rc;
}

static char *
auditor_value(const char *sql)
{
	char *q = xasprintf("SET ROLE postroute_audit; %s", sql);
	char *v = tl_sql(su, q);

	free(q);
	return v;
}

static void
test_role_reads_views_only(void **state)
{
	static const char *const views[] = { "audit_history", "audit_route_changes", "audit_blocks",
		"audit_routes", "audit_relays", "audit_providers", "audit_nodes",
		"audit_routes_at(now())", NULL };
	static const char *const tables[] = { "tokens", "history", "routes", "blocks", "nodes",
		"relays", "providers", "provider_domains", "routing_version", "schema_migrations",
		"route_json", "relay_json", "provider_json", "node_json", NULL };
	static const char *const writes[] = {
		"INSERT INTO audit_history (actor, action, object_type, object) VALUES ('x','x','x','x')",
		"UPDATE audit_relays SET drained = true",
		"DELETE FROM audit_nodes",
		"SELECT audit_grant()",
		"CREATE TABLE audit_mine (x int)",
		"UPDATE tokens SET revoked_at = now()",
		NULL };
	char *err = NULL;

	(void)state;
	for (size_t i = 0; views[i]; i++) {
		char *q = xasprintf("SELECT count(*) FROM %s", views[i]);
		if (as_auditor(q, &err) != 0)
			fail_msg("%s: %s", views[i], err);
		free(q);
	}
	for (size_t i = 0; tables[i]; i++) {
		char *q = xasprintf("SELECT 1 FROM %s LIMIT 1", tables[i]);
		if (as_auditor(q, &err) == 0)
			fail_msg("postroute_audit can read %s", tables[i]);
		if (strstr(err, "permission denied") == NULL)
			fail_msg("%s: %s", tables[i], err);
		free(err), free(q);
		err = NULL;
	}
	for (size_t i = 0; writes[i]; i++) {
		if (as_auditor(writes[i], &err) == 0)
			fail_msg("postroute_audit may: %s", writes[i]);
		if (strstr(err, "permission denied") == NULL)
			fail_msg("%s: %s", writes[i], err);
		free(err);
		err = NULL;
	}
	char *login = tl_sql(su, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'postroute_audit'");
	assert_string_equal(login, "f");
	free(login);
	/* token rows show who, never a digest */
	char *tok = auditor_value("SELECT count(*) FROM audit_history WHERE object_type = 'token'"
	    " AND (coalesce(after::text, '') || coalesce(before::text, '')) LIKE '%sha256%'");
	assert_string_equal(tok, "0");
	free(tok);
	/* audit_grant() is idempotent for the owner */
	free(tl_sql(ctl->conninfo, "SELECT audit_grant()"));
}

/* ---- the examples of docs/audit.md on seeded history ---- */

static void
seed_route(const char *at, const char *actor, const char *action, const char *provider,
    const char *scope, const char *from, const char *to, const char *origin, const char *reason)
{
	char *before = from ? xasprintf("'{\"provider\":\"%s\",\"scope\":\"%s\",\"relay\":\"%s\","
	    "\"origin\":\"%s\"}'", provider, scope, from, origin) : xstrdup("NULL");
	char *after = to ? xasprintf("'{\"provider\":\"%s\",\"scope\":\"%s\",\"relay\":\"%s\","
	    "\"nexthop\":\"smtp:[%s.example.net]:25\",\"origin\":\"%s\"}'", provider, scope, to, to,
	    origin) : xstrdup("NULL");
	char *q = xasprintf("INSERT INTO history (at, actor, action, object_type, object, provider,"
	    " node, relay, before, after, reason) VALUES (%s, '%s', '%s', 'route', '%s/%s', '%s', %s%s%s,"
	    " '%s', %s, %s, '%s')", at, actor, action, provider, scope, provider,
	    strcmp(scope, "*") ? "'" : "", strcmp(scope, "*") ? scope : "NULL",
	    strcmp(scope, "*") ? "'" : "", to ? to : from, before, after, reason);

	free(tl_sql(su, q));
	free(q), free(before), free(after);
}

static void
seed(void)
{
	const char *lw = "date_trunc('week', now()) - interval '1 week'";
	char *t[4];

	t[0] = xasprintf("%s + interval '1 day 10 hours'", lw);
	t[1] = xasprintf("%s + interval '2 days 9 hours'", lw);
	t[2] = xasprintf("%s + interval '3 days'", lw);
	t[3] = xasprintf("%s - interval '2 days'", lw);
	/* last week: two changes that moved google on mx07, one on another provider */
	seed_route(t[0], "alice", "route.set", "google", "mx07", NULL, "relay03", "manual",
	    "gmail defers mx07 (TSS04)");
	seed_route(t[1], "bob", "route.delete", "google", "mx07", "relay03", NULL, "manual", "unblocked");
	seed_route(t[2], "alice", "route.set", "yahoo", "mx07", NULL, "relay03", "manual", "not google");
	/* the week before: out of range */
	seed_route(t[3], "carol", "route.set", "google", "*", NULL, "relay01", "manual", "older");
	for (int i = 0; i < 4; i++)
		free(t[i]);

	/* automatic flips in early November: one reverted in 30 min, one after 2 h, one replaced */
	seed_route("'2026-11-05 10:00Z'", "policy", "route.set", "yahoo", "*", NULL, "relay03", "auto", "block on relay01");
	seed_route("'2026-11-05 10:30Z'", "policy", "route.delete", "yahoo", "*", "relay03", NULL, "auto", "block cleared");
	seed_route("'2026-11-06 10:00Z'", "policy", "route.set", "yahoo", "*", NULL, "relay03", "auto", "block again");
	seed_route("'2026-11-06 12:00Z'", "dave", "route.delete", "yahoo", "*", "relay03", NULL, "auto", "too late");
	seed_route("'2026-11-07 10:00Z'", "policy", "route.set", "yahoo", "mx07", NULL, "relay03", "auto", "block");
	seed_route("'2026-11-07 10:10Z'", "erin", "route.set", "yahoo", "mx07", "relay03", "relay01", "manual", "elsewhere");

	/* blocks of relay03 for yahoo: 10:00-12:00 and 11:00-13:00 overlap (3 h), plus 1 h of
	 * a block that began in October; one for google and one on a server node do not count */
	free(tl_sql(su, "INSERT INTO blocks (node, provider, since, cleared_at, class, reporter) VALUES"
	    " ('relay03-a', 'yahoo', '2026-11-03 10:00Z', '2026-11-03 12:00Z', 'reputation', 'relay03-a'),"
	    " ('relay03-b', 'yahoo', '2026-11-03 11:00Z', '2026-11-03 13:00Z', 'reputation', 'relay03-b'),"
	    " ('relay03-a', 'yahoo', '2026-10-31 23:00Z', '2026-11-01 01:00Z', 'reputation', 'relay03-a'),"
	    " ('relay03-a', 'google', '2026-11-10 10:00Z', '2026-11-10 18:00Z', 'reputation', 'relay03-a'),"
	    " ('mx07', 'yahoo', '2026-11-11 10:00Z', '2026-11-11 18:00Z', 'reputation', 'mx07')"));
}

/* The ```sql blocks of docs/audit.md, without their final ';'. */
static size_t
doc_queries(char **q, size_t max)
{
	char *path = xasprintf("%s/docs/audit.md", tl_srcdir());
	char *text = tl_read_file(path), *p;
	size_t n = 0;

	assert_non_null(text);
	for (p = text; n < max && (p = strstr(p, "```sql\n")) != NULL;) {
		p += 7;
		char *end = strstr(p, "```");
		assert_non_null(end);
		size_t len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == ';' || p[len - 1] == ' '))
			len--;
		q[n++] = xstrndup(p, len);
		p = end + 3;
	}
	free(text), free(path);
	return n;
}

static char *
over(const char *select, const char *query)
{
	char *sql = xasprintf("SELECT %s FROM (%s) q", select, query);
	char *v = auditor_value(sql);

	free(sql);
	return v ? v : xstrdup("NULL");
}

/* Fails the test unless over(select, query) is want. */
static void
expect_over(const char *select, const char *query, const char *want)
{
	char *v = over(select, query);

	assert_string_equal(v, want);
	free(v);
}

static void
test_doc_examples(void **state)
{
	char *q[16];
	size_t n;

	(void)state;
	seed();
	n = doc_queries(q, 16);
	assert_true(n >= 8);
	for (size_t i = 0; i < n; i++) {
		char *err = NULL;
		if (as_auditor(q[i], &err) != 0)
			fail_msg("docs/audit.md example %zu fails as postroute_audit: %s\n%s", i + 1, err, q[i]);
	}
	/* who moved google on mx07 last week, and why */
	expect_over("string_agg(actor || ':' || action || ':' || reason, ',' ORDER BY at)", q[0],
	    "alice:route.set:gmail defers mx07 (TSS04),bob:route.delete:unblocked");
	/* how long relay03 was blocked for yahoo in November */
	expect_over("blocked_for::text || ' in ' || episodes", q[1], "04:00:00 in 2");
	expect_over("count(*)", q[2], "3");
	/* automatic flips reverted within an hour */
	expect_over("string_agg(provider || '/' || scope || ' ' || lasted::text || ' ' || reverted_by, ',')", q[3],
	    "yahoo/* 00:30:00 policy");
	for (size_t i = 0; i < n; i++)
		free(q[i]);
}

static void
test_routes_at_agrees(void **state)
{
	char at[3][64];
	struct clirun r;

	(void)state;
	for (int i = 0; i < 3; i++) {
		static const char *const words[3][10] = {
			{ "flip", "google", "--to", "relay01", "--reason", "one", "--no-wait", NULL },
			{ "flip", "google", "--to", "relay03", "--node", "mx07", "--reason", "two", "--no-wait", NULL },
			{ "unflip", "google", "--reason", "three", "--no-wait", NULL },
		};
		clirun_argv(&r, ctl->url, operator, (char *const *)words[i]);
		clirun_expect(&r, 0, words[i][0]);
		clirun_free(&r);
		char *now = tl_db_instant(su);   /* after this change, before the next */
		snprintf(at[i], sizeof(at[i]), "%s", now);
		free(now);
	}
	for (int i = 0; i < 3; i++) {
		struct strbuf cli = STRBUF_INIT;
		size_t k;
		json_t *route;
		clirun(&r, ctl->url, operator, "routes", "--at", at[i], "--json", NULL);
		clirun_expect(&r, 0, "routes --at");
		json_array_foreach(json_object_get(r.json, "routes"), k, route)
			strbuf_appendf(&cli, "%s%s/%s=%s", k ? "," : "",
			    json_string_value(json_object_get(route, "provider")),
			    json_string_value(json_object_get(route, "scope")),
			    json_string_value(json_object_get(route, "relay")));
		clirun_free(&r);
		char *sql = xasprintf("SELECT coalesce(string_agg(provider || '/' || scope || '=' || relay,"
		    " ',' ORDER BY provider, scope <> '*', scope), '') FROM audit_routes_at('%s')", at[i]);
		char *db = auditor_value(sql);
		if (strcmp(db, strbuf_str(&cli)) != 0)
			fail_msg("at %s: audit_routes_at \"%s\", routes --at \"%s\"", at[i], db,
			    strbuf_str(&cli));
		free(sql), free(db);
		strbuf_clear(&cli);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_reads_views_only),
		cmocka_unit_test(test_doc_examples),
		cmocka_unit_test(test_routes_at_agrees),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
