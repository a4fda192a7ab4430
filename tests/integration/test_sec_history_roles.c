/*
 * test_sec_history_roles.c: history cannot be rewritten by the role the
 * server runs as (security finding 7).
 *
 * On the real PostgreSQL: an owner role and a runtime role (LOGIN, not
 * superuser), a database owned by the owner; `postrouted migrate` runs as
 * the owner ([database] migrate_conninfo), the controller as the runtime
 * role. The whole API works on the runtime role's grants (a flip, an
 * event, a hold, a feed and its report, token lookups, history), yet as
 * that role DISABLE TRIGGER, DELETE, UPDATE, TRUNCATE and DROP on history
 * each fail with a permission error (not the trigger's) and history is
 * unchanged. migrate grants tables that later migrations add, takes back
 * a write privilege granted by hand, refuses a runtime role that owns
 * something, and warns when one role does both jobs.
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

#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *owner_role, *runtime_role, *su;   /* su: superuser on ctl's database */

static void
expect(const char *method, const char *path, const char *token, const char *body, long want)
{
	json_t *j = NULL;
	long st = tl_api(ctl, method, path, token, body, &j);

	if (st != want)
		fail_msg("%s %s %s: status %ld, want %ld; body %s", method, path, body ? body : "",
		    st, want, j ? json_dumps(j, 0) : "(none)");
	json_decref(j);
}

/* Runs postrouted ARG -c conf; returns its exit status, stdout+stderr in *out. */
static int
postrouted(const char *conf, const char *arg, char **out)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, (char *)arg, "-c", (char *)conf, NULL };
	char *o = NULL, *e = NULL;
	int rc = tl_run(argv, &o, &e, 60);

	*out = xasprintf("%s%s", o, e);
	free(o), free(e), free(bin);
	return rc;
}

static int
setup(void **state)
{
	(void)state;
	owner_role = xasprintf("pr_owner_%d", (int)getpid());
	runtime_role = xasprintf("pr_runtime_%d", (int)getpid());
	ctl = tl_controller_start_split(owner_role, runtime_role, NULL);
	su = tl_conninfo(ctl->dbname, "postgres");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	free(owner_role), free(runtime_role), free(su);
	return 0;
}

/* Every part of the API that writes or reads works on the runtime grants. */
static void
test_runtime_role_serves_the_api(void **state)
{
	(void)state;
	char *agent, *viewer;

	expect("PUT", "/v1/relays/relay01", ctl->admin, "{\"nexthop\":\"smtp:[127.0.0.2]:25\"}", 200);
	expect("PUT", "/v1/relays/relay02", ctl->admin, "{\"nexthop\":\"smtp:[127.0.0.3]:25\"}", 200);
	expect("PUT", "/v1/providers/google", ctl->admin, "{\"domains\":[\"gmail.com\"]}", 200);
	expect("PUT", "/v1/nodes/mx01", ctl->admin, "{\"role\":\"server\"}", 200);
	/* a flip, a temporary one, and back */
	expect("PUT", "/v1/routes/google", ctl->admin, "{\"relay\":\"relay01\",\"reason\":\"blocked\"}", 200);
	expect("PUT", "/v1/routes/google", ctl->admin,
	    "{\"relay\":\"relay02\",\"reason\":\"flip\",\"ttl\":3600}", 200);
	/* an event opens a block (and may flip automatically) */
	expect("POST", "/v1/events", ctl->admin,
	    "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"reputation\","
	    "\"count\":12,\"attempts\":14,\"window_s\":300,\"samples\":[\"421 4.7.0 [TSS04]\"]}", 200);
	expect("POST", "/v1/events", ctl->admin,
	    "{\"type\":\"clear\",\"node\":\"mx01\",\"provider\":\"google\"}", 200);
	/* a hold and its release */
	expect("PUT", "/v1/holds/spam@example.org", ctl->admin, "{\"reason\":\"hijacked\"}", 200);
	expect("DELETE", "/v1/holds/spam@example.org?reason=cleaned", ctl->admin, NULL, 200);
	/* tokens made by `postrouted token create` as the runtime role, looked up by the server */
	agent = tl_token(ctl, "mx01", "agent", "mx01");
	viewer = tl_token(ctl, "auditor", "viewer", NULL);
	expect("GET", "/v1/nodes/mx01/transport", agent, NULL, 200);
	expect("POST", "/v1/nodes/mx01/report", agent, "{\"version\":1,\"status\":\"applied\"}", 200);
	expect("GET", "/v1/history?limit=50", viewer, NULL, 200);
	expect("GET", "/v1/status", viewer, NULL, 200);
	expect("GET", "/v1/routes", viewer, NULL, 200);
	expect("DELETE", "/v1/routes/google?reason=recovered", ctl->admin, NULL, 200);
	expect("DELETE", "/v1/nodes/mx01?reason=retired", ctl->admin, NULL, 200);
	tl_expect_sql(su, "SELECT count(*) > 10 FROM history", "t");
	tl_expect_sql(su, "SELECT count(*) FROM history WHERE action = 'sender.hold'", "1");
	/* the server, connected as the runtime role, does not warn about it */
	char *path = xasprintf("%s/postrouted.log", ctl->dir), *log = tl_read_file(path);
	if (strstr(log, "may rewrite history") != NULL)
		fail_msg("postrouted log: %s", log);
	free(agent), free(viewer), free(path), free(log);
}

/* What the runtime role holds, read from the catalogue. */
static void
test_runtime_role_privileges(void **state)
{
	(void)state;
	char *q = xasprintf("SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT',"
	    " 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p"
	    " WHERE has_table_privilege('%s', 'history', p)", runtime_role);
	tl_expect_sql(su, q, "INSERT,SELECT");
	free(q);
	q = xasprintf("SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT',"
	    " 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p"
	    " WHERE has_table_privilege('%s', 'routes', p)", runtime_role);
	tl_expect_sql(su, q, "DELETE,INSERT,SELECT,UPDATE");
	free(q);
	/* a view is read only, even a simple (updatable) one over history */
	q = xasprintf("SELECT has_table_privilege('%s', 'audit_history', 'SELECT')::text ||"
	    " has_table_privilege('%s', 'audit_history', 'DELETE')::text ||"
	    " has_table_privilege('%s', 'schema_migrations', 'INSERT, UPDATE, DELETE')::text ||"
	    " has_schema_privilege('%s', 'public', 'CREATE')::text",
	    runtime_role, runtime_role, runtime_role, runtime_role);
	tl_expect_sql(su, q, "truefalsefalsefalse");
	free(q);
	/* it owns nothing in the database, the database included */
	q = xasprintf("SELECT count(*) FROM pg_shdepend WHERE deptype = 'o'"
	    " AND refobjid = (SELECT oid FROM pg_roles WHERE rolname = '%s')", runtime_role);
	tl_expect_sql(su, q, "0");
	free(q);
}

static const char *const attacks[] = {
	"ALTER TABLE history DISABLE TRIGGER ALL",
	"DELETE FROM history",
	"UPDATE history SET actor = 'nobody'",
	"TRUNCATE history",
	"DROP TABLE history",
	"DROP TABLE history CASCADE",
	"ALTER TABLE history RENAME TO history_old",
	"DELETE FROM audit_history",
	"SELECT history_rechain()",
	"CREATE TRIGGER x BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION history_append_only()",
	"DROP SCHEMA public CASCADE",
};

static void
test_runtime_role_cannot_rewrite_history(void **state)
{
	(void)state;
	const char *digest = "SELECT count(*) || ':' || md5(string_agg(h::text, '|' ORDER BY id))"
	    " FROM history h";
	char *before, *after;

	expect("PUT", "/v1/relays/relay09", ctl->admin, "{\"nexthop\":\"smtp:[127.0.0.9]:25\"}", 200);
	before = tl_sql(su, digest);
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		char *err = NULL;
		if (tl_sql_try(ctl->conninfo, attacks[i], &err) == 0)
			fail_msg("as %s, \"%s\" succeeded", runtime_role, attacks[i]);
		/* refused for want of a privilege, not by the trigger */
		if ((strstr(err, "permission denied") == NULL && strstr(err, "must be owner") == NULL) ||
		    strstr(err, "append-only") != NULL)
			fail_msg("\"%s\": %s", attacks[i], err);
		free(err);
	}
	after = tl_sql(su, digest);
	assert_string_equal(before, after);
	/* and the controller still writes history */
	expect("DELETE", "/v1/relays/relay09?reason=unused", ctl->admin, NULL, 200);
	tl_expect_sql(su, "SELECT count(*) FROM history WHERE action = 'relay.delete'"
	    " AND object = 'relay09'", "1");
	free(before), free(after);
}

/* A table a later migration adds gets the runtime grants at the next
 * migrate; a write privilege on history granted by hand is taken back. */
static void
test_migrate_regrants(void **state)
{
	(void)state;
	char *out = NULL, *sql, *q;

	sql = xasprintf("CREATE TABLE later_things (id int PRIMARY KEY);"
	    " GRANT DELETE, TRUNCATE ON history TO %s;", runtime_role);
	free(tl_sql(ctl->owner_conninfo, sql));
	free(sql);
	q = xasprintf("SELECT has_table_privilege('%s', 'history', 'DELETE')", runtime_role);
	tl_expect_sql(su, q, "t");
	if (postrouted(ctl->conf, "migrate", &out) != 0)
		fail_msg("migrate: %s", out);
	if (strstr(out, "warn") != NULL || strstr(out, "append to history only") == NULL)
		fail_msg("migrate said: %s", out);
	tl_expect_sql(su, q, "f");
	free(q);
	free(tl_sql(ctl->conninfo, "INSERT INTO later_things VALUES (1);"
	    " UPDATE later_things SET id = 2; DELETE FROM later_things"));
	q = xasprintf("SELECT has_table_privilege('%s', 'later_things', 'TRUNCATE')", runtime_role);
	tl_expect_sql(su, q, "f");
	free(q), free(out);
	free(tl_sql(ctl->owner_conninfo, "DROP TABLE later_things"));
}

/* A runtime role that owns an object is refused before any migration. */
static void
test_migrate_refuses_owning_runtime(void **state)
{
	(void)state;
	char *db = xasprintf("%s_own", ctl->dbname), *out = NULL;
	char *postgres = tl_conninfo("postgres", "postgres");
	char *sql = xasprintf("CREATE DATABASE %s OWNER %s", db, runtime_role);
	char *dir = tl_mkdtemp("own");
	char *conf = xasprintf("%s/postrouted.ini", dir);
	char *rt = tl_conninfo(db, runtime_role), *ow = tl_conninfo(db, owner_role);
	char *ini = xasprintf("[database]\nconninfo = %s\nmigrate_conninfo = %s\n", rt, ow);

	free(tl_sql(postgres, sql));
	/* it may create tables there: the database's owner owns schema public */
	free(tl_sql(rt, "CREATE TABLE a1 (x int); CREATE TABLE a2 (x int); CREATE TABLE a3 (x int);"
	    " CREATE TABLE a4 (x int); CREATE TABLE a5 (x int)"));
	tl_write_file(conf, ini);
	assert_int_equal(postrouted(conf, "migrate", &out), 1);
	if (strstr(out, "owns database") == NULL || strstr(out, "REASSIGN OWNED BY") == NULL ||
	    strstr(out, "table a1") == NULL || strstr(out, "and more") == NULL)
		fail_msg("migrate said: %s", out);
	tl_expect_sql(rt, "SELECT count(*) FROM pg_class WHERE relname = 'history'", "0");
	free(out), free(sql), free(dir), free(conf), free(rt), free(ow), free(ini), free(db);
	free(postgres);
}

static int
log_has_warning(void *arg)
{
	char *log = tl_read_file(arg);
	int yes = log != NULL && strstr(log, "may rewrite history") != NULL;

	free(log);
	return yes;
}

/* One role for both: migrate works and warns, and so does the server. */
static void
test_shared_role_warns(void **state)
{
	(void)state;
	struct tl_controller *one = tl_controller_start(NULL);
	char *out = NULL, *path = xasprintf("%s/postrouted.log", one->dir);

	assert_int_equal(postrouted(one->conf, "migrate", &out), 0);
	if (strstr(out, "protected only by its trigger") == NULL)
		fail_msg("migrate said: %s", out);
	if (!tl_wait_for(log_has_warning, path, 10000))
		fail_msg("postrouted did not warn; log: %s", tl_read_file(path));
	tl_controller_free(one);
	free(out), free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_role_serves_the_api),
		cmocka_unit_test(test_runtime_role_privileges),
		cmocka_unit_test(test_runtime_role_cannot_rewrite_history),
		cmocka_unit_test(test_migrate_regrants),
		cmocka_unit_test(test_migrate_refuses_owning_runtime),
		cmocka_unit_test(test_shared_role_warns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
