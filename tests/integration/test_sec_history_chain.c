/*
 * test_sec_history_chain.c: the history's hash chain (security finding 7,
 * second wall) and `postroute history --verify`.
 *
 * Each history row carries sha256(previous row's hash || its canonical
 * content). On the real PostgreSQL, with the controller running as the
 * runtime role: an untouched history verifies (after concurrent writers
 * too); a row changed by a superuser with the triggers off, a row removed
 * from the middle or from the end, and a row changed with its own hash
 * recomputed are each found, the CLI naming the row and exiting 1; an
 * anchor from an earlier run catches rows removed from the end and a chain
 * rewritten from some row on. The migration chains rows written before
 * it; history is written in READ COMMITTED only; the endpoint refuses bad
 * input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "clirun.h"
#include "testlib.h"
#include "xalloc.h"

static char *owner_role, *runtime_role;

static void
put(struct tl_controller *c, const char *path, const char *body)
{
	json_decref(tl_api_ok(c, "PUT", path, c->admin, body));
}

/* A controller as the runtime role with some history: relays, a
 * provider, a node, flips and a token. */
static struct tl_controller *
start(void)
{
	struct tl_controller *c = tl_controller_start_split(owner_role, runtime_role, NULL);

	put(c, "/v1/relays/relay01", "{\"nexthop\":\"smtp:[127.0.0.2]:25\"}");
	put(c, "/v1/relays/relay02", "{\"nexthop\":\"smtp:[127.0.0.3]:25\"}");
	put(c, "/v1/providers/google", "{\"domains\":[\"gmail.com\"]}");
	put(c, "/v1/nodes/mx01", "{\"role\":\"server\"}");
	put(c, "/v1/routes/google", "{\"relay\":\"relay01\",\"reason\":\"blocked at relay02\"}");
	put(c, "/v1/routes/google", "{\"relay\":\"relay02\",\"reason\":\"back\"}");
	free(tl_token(c, "viewer", "viewer", NULL));
	put(c, "/v1/holds/spam@example.org", "{\"reason\":\"hijacked\"}");
	return c;
}

static char *
su(struct tl_controller *c)
{
	return tl_conninfo(c->dbname, "postgres");
}

/* Runs sql as a superuser with every trigger off, as an attacker would. */
static void
tamper(struct tl_controller *c, const char *sql)
{
	char *ci = su(c), *q = xasprintf("SET session_replication_role = replica; %s", sql);

	free(tl_sql(ci, q));
	free(ci), free(q);
}

/* postroute history --verify; returns the run (caller frees). */
static void
verify(struct tl_controller *c, struct clirun *r, int want_rc, const char *want_text)
{
	clirun(r, c->url, c->admin, "history", "--verify", NULL);
	clirun_expect(r, want_rc, "history --verify");
	if (strstr(want_rc ? r->err : r->out, want_text) == NULL)
		fail_msg("history --verify: want \"%s\"; stdout: %s stderr: %s", want_text, r->out, r->err);
}

/* The "ID:HASH" anchor an intact --verify prints for the last row. */
static char *
get_anchor(struct tl_controller *c)
{
	struct clirun r;
	char *a;

	clirun(&r, c->url, c->admin, "history", "--verify", NULL);
	clirun_expect(&r, 0, "history --verify");
	a = strstr(r.out, "anchor ");
	assert_non_null(a);
	a = xstrdup(a + 7);
	a[strcspn(a, "\n")] = '\0';
	clirun_free(&r);
	return a;
}

static int
setup(void **state)
{
	(void)state;
	owner_role = xasprintf("pr_cowner_%d", (int)getpid());
	runtime_role = xasprintf("pr_cruntime_%d", (int)getpid());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(owner_role), free(runtime_role);
	return 0;
}

static void
test_untouched_history_verifies(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	char *ci = su(c), *n = tl_sql(ci, "SELECT count(*) FROM history");
	char *want = xasprintf("history chain intact: %s rows", n);
	struct clirun r;

	verify(c, &r, 0, want);
	clirun_free(&r);
	/* the first row hangs off 32 zero bytes, the next off the first */
	tl_expect_sql(ci, "SELECT chain_hash = sha256(decode(repeat('00', 32), 'hex')"
	    " || convert_to(history_canonical(h), 'UTF8')) FROM history h ORDER BY id LIMIT 1", "t");
	tl_expect_sql(ci, "SELECT bool_and(h.chain_hash = sha256(p.chain_hash"
	    " || convert_to(history_canonical(h), 'UTF8'))) FROM history h"
	    " JOIN LATERAL (SELECT chain_hash FROM history q WHERE q.id < h.id ORDER BY q.id DESC"
	    " LIMIT 1) p ON true", "t");
	/* --json says the same */
	clirun(&r, c->url, c->admin, "history", "--verify", "--json", NULL);
	clirun_expect(&r, 0, "history --verify --json");
	assert_true(json_is_true(json_object_get(r.json, "intact")));
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")), atoi(n));
	clirun_free(&r);
	/* the anchor printed now still holds after more changes */
	char *anchor = get_anchor(c);
	put(c, "/v1/relays/relay03", "{\"nexthop\":\"smtp:[127.0.0.4]:25\"}");
	clirun(&r, c->url, c->admin, "history", "--verify", "--anchor", anchor, NULL);
	clirun_expect(&r, 0, "history --verify --anchor");
	clirun_free(&r);
	free(ci), free(n), free(want), free(anchor);
	tl_controller_free(c);
}

/* Writers on several connections at once still make one chain. */
static void
test_concurrent_writers_chain(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	pid_t kids[4];
	struct clirun r;

	for (int k = 0; k < 4; k++) {
		if ((kids[k] = fork()) == 0) {
			for (int i = 0; i < 15; i++) {
				char *path = xasprintf("/v1/relays/r%d-%d", k, i);
				char *name = xasprintf("t%d-%d", k, i);
				long st = tl_api(c, "PUT", path, c->admin, "{\"nexthop\":\"smtp:[127.0.0.9]:25\"}", NULL);
				if (st != 200)
					_exit(1);
				if (k == 0) /* token rows are written without the routing lock */
					free(tl_token(c, name, "viewer", NULL));
				free(path), free(name);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 4; k++) {
		int status = 0;
		waitpid(kids[k], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	char *ci = su(c);
	tl_expect_sql(ci, "SELECT count(*) FROM history WHERE action = 'relay.put'"
	    " AND object LIKE 'r_-%'", "60");
	verify(c, &r, 0, "history chain intact");
	clirun_free(&r);
	free(ci);
	tl_controller_free(c);
}

/* The id of the oldest route.set row (caller frees). */
static char *
first_route_set(const char *ci)
{
	return tl_sql(ci, "SELECT id FROM history WHERE action = 'route.set' ORDER BY id LIMIT 1");
}

/* Runs sql against the row with this id and checks that --verify names
 * the row after it. */
static void
expect_next_row_named(struct tl_controller *c, const char *ci, const char *id, const char *sql)
{
	char *next = xasprintf("SELECT min(id) FROM history WHERE id > %s", id), *nid = tl_sql(ci, next);
	char *want = xasprintf("history row %s (", nid);
	struct clirun r;

	tamper(c, sql);
	verify(c, &r, 1, want);
	clirun_free(&r);
	free(next), free(nid), free(want);
}

/* A row changed behind the controller's back is named. */
static void
test_changed_row_is_named(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	char *ci = su(c), *id = first_route_set(ci);
	char *sql = xasprintf("UPDATE history SET reason = 'routine maintenance' WHERE id = %s", id);
	char *want = xasprintf("history row %s (", id);
	struct clirun r;

	tamper(c, sql);
	verify(c, &r, 1, want);
	if (strstr(r.err, "route.set") == NULL)
		fail_msg("no action in: %s", r.err);
	clirun_free(&r);
	free(ci), free(id), free(sql), free(want);
	tl_controller_free(c);
}

/* Changing a row and its own hash only moves the break to the next row. */
static void
test_rehashed_row_breaks_the_next(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	char *ci = su(c), *id = first_route_set(ci);
	char *sql = xasprintf("UPDATE history SET reason = 'routine' WHERE id = %s;"
	    " UPDATE history h SET chain_hash = sha256((SELECT chain_hash FROM history p WHERE p.id < h.id"
	    "  ORDER BY p.id DESC LIMIT 1) || convert_to(history_canonical(h), 'UTF8')) WHERE id = %s",
	    id, id);

	expect_next_row_named(c, ci, id, sql);
	free(ci), free(id), free(sql);
	tl_controller_free(c);
}

/* A row removed from the middle: the row after it is named. */
static void
test_removed_row_is_found(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	char *ci = su(c), *id = first_route_set(ci);
	char *sql = xasprintf("DELETE FROM history WHERE id = %s", id);

	expect_next_row_named(c, ci, id, sql);
	free(ci), free(id), free(sql);
	tl_controller_free(c);
}

/* The newest row removed, or the whole chain recomputed after a change:
 * only an anchor kept from before shows it. */
static void
test_anchor_catches_tail_and_rewrite(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	char *anchor = get_anchor(c), *want;
	struct clirun r;

	tamper(c, "DELETE FROM history WHERE id = (SELECT max(id) FROM history)");
	want = xasprintf("anchor row %.*s is gone", (int)strcspn(anchor, ":"), anchor);
	clirun(&r, c->url, c->admin, "history", "--verify", "--anchor", anchor, NULL);
	clirun_expect(&r, 1, "history --verify --anchor after a tail removal");
	if (strstr(r.err, want) == NULL)
		fail_msg("want \"%s\"; stderr: %s", want, r.err);
	clirun_free(&r);
	free(anchor), free(want);

	/* an owner who changes a row and recomputes every hash after it */
	anchor = get_anchor(c);
	tamper(c, "UPDATE history SET reason = 'routine' WHERE action = 'route.set';"
	    " SELECT history_rechain()");
	verify(c, &r, 0, "history chain intact");    /* consistent again ... */
	clirun_free(&r);
	want = xasprintf("anchor row %.*s has hash", (int)strcspn(anchor, ":"), anchor);
	clirun(&r, c->url, c->admin, "history", "--verify", "--anchor", anchor, NULL);
	clirun_expect(&r, 1, "history --verify --anchor after a rewrite");    /* ... but not the anchor */
	if (strstr(r.err, want) == NULL)
		fail_msg("want \"%s\"; stderr: %s", want, r.err);
	clirun_free(&r);
	clirun(&r, c->url, c->admin, "history", "--verify", "--anchor", "12:abc", NULL);
	clirun_expect(&r, 2, "history --verify --anchor 12:abc");
	clirun_free(&r);
	free(anchor), free(want);
	tl_controller_free(c);
}

/* Rows written before migration 0004 are chained by it. */
static void
test_migration_chains_old_rows(void **state)
{
	(void)state;
	char *dir = tl_mkdtemp("chain"), *conf = xasprintf("%s/postrouted.ini", dir);
	char *pg = tl_conninfo("postgres", "postgres"), *ci, *ini, *sql, *out = NULL, *err = NULL;
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "migrate", "-c", conf, NULL };
	const char *files[] = { "0001_init.sql", "0002_audit.sql", "0003_holds.sql" };

	sql = xasprintf("CREATE DATABASE %s_%d", "chainold", (int)getpid());
	free(tl_sql(pg, sql));
	free(sql);
	sql = xasprintf("chainold_%d", (int)getpid());
	ci = tl_conninfo(sql, "postgres");
	free(sql);
	free(tl_sql(ci, "CREATE TABLE schema_migrations (name text PRIMARY KEY,"
	    " applied_at timestamptz NOT NULL DEFAULT now())"));
	for (int i = 0; i < 3; i++) {
		char *path = xasprintf("%s/schema/%s", tl_srcdir(), files[i]);
		char *text = tl_read_file(path);
		assert_non_null(text);
		free(tl_sql(ci, text));
		sql = xasprintf("INSERT INTO schema_migrations (name) VALUES ('%s')", files[i]);
		free(tl_sql(ci, sql));
		free(sql), free(text), free(path);
	}
	free(tl_sql(ci, "INSERT INTO history (actor, action, object_type, object, after)"
	    " SELECT 'old', 'relay.put', 'relay', 'r' || g, jsonb_build_object('n', g)"
	    " FROM generate_series(1, 20000) g"));
	/* chaining 20000 rows takes longer than the shortest statement_timeout */
	ini = xasprintf("[database]\nconninfo = %s\nstatement_timeout = 100ms\n", ci);
	tl_write_file(conf, ini);
	if (tl_run(argv, &out, &err, 60) != 0)
		fail_msg("migrate: %s%s", out, err);
	/* every row chains: the 20000 old ones and those migrate wrote after
	 * them (the default provider catalogue, the table having none) */
	tl_expect_sql(ci, "SELECT count(*) FROM history WHERE actor = 'old'", "20000");
	tl_expect_sql(ci, "SELECT count(*) = (SELECT count(*) FROM history)"
	    " FROM history_chain_rows(0, 100000) WHERE stored = computed", "t");
	/* and a new row chains on */
	free(tl_sql(ci, "INSERT INTO history (actor, action, object_type, object)"
	    " VALUES ('new', 'relay.put', 'relay', 'r20001')"));
	tl_expect_sql(ci, "SELECT count(*) = (SELECT count(*) FROM history)"
	    " FROM history_chain_rows(0, 100000) WHERE stored = computed", "t");
	tl_expect_sql(ci, "SELECT count(*) FROM history WHERE actor = 'new'", "1");
	/* a REPEATABLE READ snapshot could miss the row before: refused */
	char *e = NULL;
	assert_int_equal(tl_sql_try(ci, "BEGIN ISOLATION LEVEL REPEATABLE READ;"
	    " INSERT INTO history (actor, action, object_type, object) VALUES ('rr', 'x', 'relay', 'r');"
	    " COMMIT", &e), -1);
	assert_non_null(strstr(e, "READ COMMITTED"));
	free(e);
	tl_expect_sql(ci, "SELECT count(*) FROM history WHERE actor = 'rr'", "0");
	free(dir), free(conf), free(pg), free(ci), free(ini), free(out), free(err), free(bin);
}

static void
test_endpoint_input(void **state)
{
	(void)state;
	struct tl_controller *c = start();
	char *agent = tl_token(c, "mx01", "agent", "mx01");
	static const char *const bad[] = { "?limit=0", "?limit=10001", "?after=-1", "?after=abc",
		"?after=1x", "?limit=" };
	json_t *j = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = xasprintf("/v1/history/chain%s", bad[i]);
		long st = tl_api(c, "GET", path, c->admin, NULL, NULL);
		if (st != 400)
			fail_msg("GET %s: %ld, want 400", path, st);
		free(path);
	}
	assert_int_equal(tl_api(c, "GET", "/v1/history/chain", agent, NULL, NULL), 403);
	assert_int_equal(tl_api(c, "GET", "/v1/history/chain", NULL, NULL, NULL), 401);
	j = tl_api_ok(c, "GET", "/v1/history/chain?after=2&limit=3", c->admin, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "chain")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(j, "chain"),
	    0), "id")) > 2, 1);
	assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(json_object_get(j,
	    "chain"), 0), "hash"))), 64);
	json_decref(j);
	/* --verify checks the whole history: a filter with it is a usage error */
	struct clirun r;
	clirun(&r, c->url, c->admin, "history", "--verify", "--provider", "google", NULL);
	clirun_expect(&r, 2, "history --verify --provider");
	assert_non_null(strstr(r.err, "takes no filter"));
	clirun_free(&r);
	free(agent);
	tl_controller_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untouched_history_verifies),
		cmocka_unit_test(test_concurrent_writers_chain),
		cmocka_unit_test(test_changed_row_is_named),
		cmocka_unit_test(test_rehashed_row_breaks_the_next),
		cmocka_unit_test(test_removed_row_is_found),
		cmocka_unit_test(test_anchor_catches_tail_and_rewrite),
		cmocka_unit_test(test_migration_chains_old_rows),
		cmocka_unit_test(test_endpoint_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
