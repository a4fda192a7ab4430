/*
 * migrate.c: forward-only migrations.
 */
#include "migrate.h"

#include <string.h>

#include "log.h"

struct schema_file {
	const char *name;
	const char *sql;
};

/* Generated from schema/ by the Makefile. */
extern const struct schema_file schema_files[];
extern const int schema_nfiles;

static int
migrate_simple(PGconn *c, const char *sql, struct strbuf *err, const char *what)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok) {
		const char *m = PQresultErrorMessage(r);
		strbuf_appendf(err, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
	}
	PQclear(r);
	return ok ? 0 : -1;
}

static int
migrate_applied(PGconn *c, const char *name)
{
	const char *params[] = { name };
	PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE name = $1",
	    1, NULL, params, NULL, NULL, 0);
	int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;

	PQclear(r);
	return yes;
}

static int
migrate_one(PGconn *c, const struct schema_file *f, struct strbuf *err)
{
	const char *params[] = { f->name };
	PGresult *r;

	if (migrate_simple(c, "BEGIN", err, f->name) != 0)
		return -1;
	if (migrate_simple(c, f->sql, err, f->name) != 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	r = PQexecParams(c, "INSERT INTO schema_migrations (name) VALUES ($1)", 1, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		strbuf_appendf(err, "%s: recording: %s", f->name, PQresultErrorMessage(r));
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	PQclear(r);
	return migrate_simple(c, "COMMIT", err, f->name);
}

int
migrate_run(PGconn *c, struct strbuf *err)
{
	int applied = 0;

	if (migrate_simple(c, "SELECT pg_advisory_lock(7470001)", err, "lock") != 0)
		return -1;
	if (migrate_simple(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
	    err, "schema_migrations") != 0)
		goto fail;
	for (int i = 0; i < schema_nfiles; i++) {
		if (migrate_applied(c, schema_files[i].name))
			continue;
		if (migrate_one(c, &schema_files[i], err) != 0)
			goto fail;
		log_info("migrate: applied %s", schema_files[i].name);
		applied++;
	}
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(7470001)"));
	return applied;
fail:
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(7470001)"));
	return -1;
}

const char *
migrate_latest(void)
{
	return schema_nfiles > 0 ? schema_files[schema_nfiles - 1].name : "";
}
