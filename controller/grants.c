/*
 * grants.c: the runtime role's privileges, set by `postrouted migrate`.
 *
 * Owns the list of tables that are not plainly mutable (append-only:
 * history; read-only: schema_migrations) and the
 * SQL that turns the catalogue into GRANT statements. Every other table a
 * migration creates, now or later, is mutable: SELECT, INSERT, UPDATE,
 * DELETE. Views: SELECT only (a simple view is updatable with its owner's
 * rights). Sequences: USAGE. Routines: EXECUTE, except SECURITY DEFINER
 * ones, audit_grant() and history_rechain(). Never TRUNCATE, REFERENCES
 * or TRIGGER, and the runtime role owns nothing, so it can neither ALTER
 * nor DROP a table.
 */
#include "grants.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "xalloc.h"

/* Same key as migrate.c: one migrate run at a time. */
#define GRANTS_LOCK "SELECT pg_advisory_xact_lock(7470001)"

static const char *const append_only = "{history}";
static const char *const read_only = "{schema_migrations}";
static const char *const no_execute = "{audit_grant,history_rechain}";

static void
grants_sqlerr(struct strbuf *err, const char *what, const PGresult *r)
{
	const char *m = PQresultErrorMessage(r);

	strbuf_appendf(err, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

char *
grants_runtime_role(PGconn *owner, const char *conninfo, long long statement_timeout_ms,
    int *shared, struct strbuf *err)
{
	const char *q = "SELECT current_user, current_database()";
	PGconn *rt = db_connect(conninfo, statement_timeout_ms, err);
	PGresult *a, *b;
	char *role = NULL;

	if (rt == NULL) {
		strbuf_append(err, " (connecting with [database] conninfo to learn the runtime role)");
		return NULL;
	}
	a = db_query(rt, q, 0, NULL);
	b = db_query(owner, q, 0, NULL);
	if (!db_ok(a) || PQntuples(a) != 1)
		grants_sqlerr(err, "runtime role", a);
	else if (!db_ok(b) || PQntuples(b) != 1)
		grants_sqlerr(err, "owner role", b);
	else if (strcmp(PQgetvalue(a, 0, 1), PQgetvalue(b, 0, 1)) != 0)
		strbuf_appendf(err, "conninfo connects to database \"%s\" but migrate_conninfo to \"%s\"",
		    PQgetvalue(a, 0, 1), PQgetvalue(b, 0, 1));
	else {
		role = xstrdup(PQgetvalue(a, 0, 0));
		*shared = strcmp(role, PQgetvalue(b, 0, 0)) == 0;
	}
	PQclear(a);
	PQclear(b);
	PQfinish(rt);
	return role;
}

int
grants_check(PGconn *owner, const char *runtime, struct strbuf *err)
{
	const char *p[] = { runtime };
	PGresult *r = db_query(owner,
	    "WITH d AS (SELECT oid FROM pg_database WHERE datname = current_database()),"
	    " o AS (SELECT pg_describe_object(s.classid, s.objid, s.objsubid) AS what"
	    "  FROM pg_shdepend s, d WHERE s.deptype = 'o'"
	    "  AND s.refclassid = 'pg_authid'::regclass"
	    "  AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)"
	    "  AND (s.dbid = d.oid OR (s.classid = 'pg_database'::regclass AND s.objid = d.oid)))"
	    " SELECT n.count, string_agg(what, ', ' ORDER BY what), current_user, current_database()"
	    " FROM (SELECT what FROM o ORDER BY what LIMIT 5) f, (SELECT count(*) FROM o) n(count)"
	    " GROUP BY n.count", 1, p);

	if (!db_ok(r)) {
		grants_sqlerr(err, "ownership check", r);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) == 1) {
		strbuf_appendf(err, "the runtime role \"%s\" owns %s%s in database %s, so grants cannot "
		    "keep it from rewriting history: as a superuser run REASSIGN OWNED BY %s TO %s; "
		    "in that database, then migrate again",
		    runtime, PQgetvalue(r, 0, 1), atoi(PQgetvalue(r, 0, 0)) > 5 ? " and more" : "",
		    PQgetvalue(r, 0, 3), runtime, PQgetvalue(r, 0, 2));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Runs sql (no result rows wanted); on failure appends what failed. */
static int
grants_exec(PGconn *c, const char *sql, struct strbuf *err)
{
	PGresult *r = db_query(c, sql, 0, NULL);
	int ok = db_ok(r);

	if (!ok)
		grants_sqlerr(err, sql, r);
	PQclear(r);
	return ok ? 0 : -1;
}

/* Takes away whatever the runtime role and PUBLIC hold in the schema. */
static int
grants_revoke(PGconn *c, const char *role, struct strbuf *err)
{
	static const char *const fmt[] = {
		"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, %s",
		"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, %s",
		"REVOKE ALL ON ALL ROUTINES IN SCHEMA public FROM %s",
	};
	struct strbuf sql = STRBUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]) && rc == 0; i++) {
		strbuf_reset(&sql);
		strbuf_appendf(&sql, fmt[i], role);
		rc = grants_exec(c, strbuf_str(&sql), err);
	}
	strbuf_clear(&sql);
	return rc;
}

/* The schema's owner (the database's owner in PostgreSQL 15) keeps others
 * from creating objects there and lets the runtime role use it. */
static int
grants_schema(PGconn *c, const char *role, struct strbuf *err)
{
	PGresult *r = db_query(c, "SELECT pg_has_role(nspowner, 'USAGE') FROM pg_namespace"
	    " WHERE nspname = 'public'", 0, NULL);
	struct strbuf sql = STRBUF_INIT;
	int rc = 0;

	if (!db_ok(r)) {
		grants_sqlerr(err, "schema public", r);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		strbuf_appendf(&sql, "REVOKE CREATE ON SCHEMA public FROM PUBLIC, %s", role);
		rc = grants_exec(c, strbuf_str(&sql), err);
		strbuf_reset(&sql);
		strbuf_appendf(&sql, "GRANT USAGE ON SCHEMA public TO %s", role);
		if (rc == 0)
			rc = grants_exec(c, strbuf_str(&sql), err);
	}
	strbuf_clear(&sql);
	PQclear(r);
	return rc;
}

/* One GRANT statement per object, from the catalogue. */
static int
grants_grant(PGconn *c, const char *runtime, struct strbuf *err)
{
	const char *p[] = { runtime, append_only, read_only, no_execute };
	PGresult *r = db_query(c,
	    "SELECT format('GRANT %s ON TABLE public.%I TO %I', k.privs, t.relname, $1::text)"
	    " FROM pg_class t, LATERAL (SELECT CASE"
	    "   WHEN t.relkind IN ('v', 'm') THEN 'SELECT'"
	    "   WHEN t.relname = ANY ($3::text[]) THEN 'SELECT'"
	    "   WHEN t.relname = ANY ($2::text[]) THEN 'SELECT, INSERT'"
	    "   ELSE 'SELECT, INSERT, UPDATE, DELETE' END AS privs) k"
	    " WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p', 'v', 'm', 'f')"
	    " UNION ALL"
	    " SELECT format('GRANT USAGE ON SEQUENCE public.%I TO %I', s.relname, $1::text)"
	    " FROM pg_class s WHERE s.relnamespace = 'public'::regnamespace AND s.relkind = 'S'"
	    " UNION ALL"
	    " SELECT format('GRANT EXECUTE ON ROUTINE %s TO %I', f.oid::regprocedure, $1::text)"
	    " FROM pg_proc f WHERE f.pronamespace = 'public'::regnamespace AND f.prokind IN ('f', 'p')"
	    "  AND NOT f.prosecdef AND f.proname <> ALL ($4::text[])", 4, p);
	int rc = 0;

	if (!db_ok(r)) {
		grants_sqlerr(err, "listing the schema's objects", r);
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && rc == 0; i++)
		rc = grants_exec(c, PQgetvalue(r, i, 0), err);
	PQclear(r);
	return rc;
}

int
grants_apply(PGconn *owner, const char *runtime, struct strbuf *err)
{
	char *role = PQescapeIdentifier(owner, runtime, strlen(runtime));
	int rc;

	if (role == NULL) {
		strbuf_appendf(err, "grants: %s", PQerrorMessage(owner));
		return -1;
	}
	rc = grants_exec(owner, "BEGIN", err);
	if (rc == 0)
		rc = grants_exec(owner, GRANTS_LOCK, err);
	if (rc == 0)
		rc = grants_revoke(owner, role, err);
	if (rc == 0)
		rc = grants_schema(owner, role, err);
	if (rc == 0)
		rc = grants_grant(owner, runtime, err);
	if (rc == 0)
		rc = grants_exec(owner, "COMMIT", err);
	else
		PQclear(PQexec(owner, "ROLLBACK"));
	PQfreemem(role);
	return rc;
}

static void
grants_warn_shared(const char *role, struct strbuf *warn)
{
	strbuf_appendf(warn, "conninfo and migrate_conninfo both connect as role \"%s\", which owns "
	    "the tables: history is then protected only by its trigger, which the owner may "
	    "disable; give the server a role of its own (see postrouted(8), [database] "
	    "migrate_conninfo)\n", role);
}

int
grants_audit(PGconn *owner, const char *runtime, struct strbuf *warn)
{
	const char *p[] = { runtime };
	PGresult *r = db_query(owner,
	    "SELECT r.rolname = current_user, r.rolsuper, pg_has_role(r.oid, current_user, 'MEMBER'),"
	    "  has_table_privilege(r.oid, 'public.history', 'UPDATE, DELETE, TRUNCATE, TRIGGER'),"
	    "  has_schema_privilege(r.oid, 'public', 'CREATE'), current_user"
	    " FROM pg_roles r WHERE r.rolname = $1", 1, p);
	const char *own;
	int n = 0;

	if (!db_ok(r) || PQntuples(r) != 1) {
		strbuf_appendf(warn, "cannot check the runtime role \"%s\": %s", runtime,
		    PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	own = PQgetvalue(r, 0, 5);
	if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		grants_warn_shared(runtime, warn);
		PQclear(r);
		return 1;
	}
	if (strcmp(PQgetvalue(r, 0, 1), "t") == 0 && ++n)
		strbuf_appendf(warn, "the runtime role \"%s\" is a superuser: history is then protected "
		    "only by its trigger, which a superuser may disable\n", runtime);
	if (strcmp(PQgetvalue(r, 0, 2), "t") == 0 && ++n)
		strbuf_appendf(warn, "the runtime role \"%s\" is a member of the owner role \"%s\" and "
		    "may alter its tables: REVOKE \"%s\" FROM \"%s\"\n", runtime, own, own, runtime);
	if (strcmp(PQgetvalue(r, 0, 3), "t") == 0 && ++n)
		strbuf_appendf(warn, "the runtime role \"%s\" may still UPDATE, DELETE or TRUNCATE "
		    "history through a role it belongs to\n", runtime);
	if (strcmp(PQgetvalue(r, 0, 4), "t") == 0 && ++n)
		strbuf_appendf(warn, "the runtime role \"%s\" may create objects in schema public: as "
		    "its owner, REVOKE CREATE ON SCHEMA public FROM PUBLIC, \"%s\"\n", runtime, runtime);
	PQclear(r);
	return n;
}

int
grants_history_writable(PGconn *c)
{
	PGresult *r = db_query(c, "SELECT pg_has_role(t.relowner, 'USAGE')"
	    " OR has_table_privilege(t.oid, 'UPDATE, DELETE, TRUNCATE') FROM pg_class t"
	    " WHERE t.oid = to_regclass('public.history')", 0, NULL);
	int rc = -1;

	if (db_ok(r))
		rc = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return rc;
}
