/*
 * db.c: opening connections and the query helpers.
 *
 * Owns nothing beyond the PGconn it returns. The connection string is
 * libpq's own (one host or several, or a URI), expanded by libpq after
 * the defaults of db.h, so every keyword the administrator wrote wins.
 * The pool that shares connections between threads is dbpool.c.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "xalloc.h"

/* A server's notices (a FATAL message before it closes an idle session,
 * say) go to the log as one line, not to stderr raw. */
static void
db_notice(void *arg, const char *message)
{
	(void)arg;
	log_warnx("database: %.*s", (int)strcspn(message, "\n"), message);
}

PGconn *
db_open(const char *conninfo)
{
	/* Defaults first, the string last: libpq keeps the last value of a
	 * keyword, and expands "dbname" into the string's own keywords. */
	static const char *const keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout", "application_name",
		"dbname", NULL };
	const char *const values[] = { DB_CONNECT_TIMEOUT_S, "1", DB_KEEPALIVES_IDLE_S,
		DB_KEEPALIVES_INTERVAL_S, DB_KEEPALIVES_COUNT, DB_TCP_USER_TIMEOUT_MS, "postrouted",
		conninfo, NULL };
	PGconn *c = PQconnectdbParams(keys, values, 1);

	if (c == NULL)
		log_fatalx("database: out of memory");
	PQsetNoticeProcessor(c, db_notice, NULL);
	return c;
}

int
db_session_setup(PGconn *c, long long statement_timeout_ms)
{
	char sql[160];
	PGresult *r;
	int ok;

	snprintf(sql, sizeof(sql),
	    "SET statement_timeout = %lld; SET lock_timeout = %lld; SET TIME ZONE 'UTC';"
	    " SET client_min_messages = warning; SET jit = off",
	    statement_timeout_ms, statement_timeout_ms);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

PGconn *
db_connect(const char *conninfo, long long statement_timeout_ms, struct strbuf *err)
{
	PGconn *c = db_open(conninfo);

	if (PQstatus(c) != CONNECTION_OK || db_session_setup(c, statement_timeout_ms) != 0) {
		if (err != NULL)
			db_error_line(c, err);
		PQfinish(c);
		return NULL;
	}
	return c;
}

void
db_error_line(PGconn *c, struct strbuf *err)
{
	const char *m = PQerrorMessage(c);
	size_t n = strlen(m);

	/* libpq writes a line (and a hint) per host it tried: keep them all,
	 * on one line */
	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n; i++) {
		if (m[i] != '\n') {
			strbuf_appendn(err, &m[i], 1);
			continue;
		}
		strbuf_append(err, "; ");
		while (i + 1 < n && (m[i + 1] == '\t' || m[i + 1] == ' '))
			i++;
	}
}

/* Items in a libpq comma-separated list ("a,b", a backslash escaping the
 * next character), the way libpq counts them. */
static int
db_list_len(const char *v)
{
	int n = 1;

	for (const char *s = v; *s; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == ',')
			n++;
	}
	return n;
}

int
db_conninfo_check(const char *conninfo, struct strbuf *err)
{
	static const char *const attrs[] = { "any", "read-write", "read-only", "primary",
		"standby", "prefer-standby", NULL };
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
	int hosts = 0, addrs = 0, ports = 0, rc = 0;

	if (opts == NULL) {
		if (msg != NULL)
			strbuf_appendn(err, msg, strcspn(msg, "\n"));
		else
			strbuf_append(err, "out of memory");
		PQfreemem(msg);
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL && rc == 0; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			hosts = db_list_len(o->val);
		else if (strcmp(o->keyword, "hostaddr") == 0)
			addrs = db_list_len(o->val);
		else if (strcmp(o->keyword, "port") == 0)
			ports = db_list_len(o->val);
		else if (strcmp(o->keyword, "target_session_attrs") == 0) {
			int known = 0;
			for (int i = 0; attrs[i] != NULL; i++)
				known |= strcmp(o->val, attrs[i]) == 0;
			if (!known) {
				strbuf_appendf(err, "target_session_attrs \"%s\": must be one of any, read-write,"
				    " read-only, primary, standby, prefer-standby", o->val);
				rc = -1;
			}
		}
	}
	PQconninfoFree(opts);
	if (rc == 0 && hosts > 0 && addrs > 0 && hosts != addrs) {
		strbuf_appendf(err, "%d host names but %d hostaddr values: give one per server", hosts, addrs);
		rc = -1;
	}
	if (addrs > hosts)
		hosts = addrs;
	if (rc == 0 && ports > 1 && ports != (hosts > 0 ? hosts : 1)) {
		strbuf_appendf(err, "%d port numbers for %d host(s): give one port for every host, or one"
		    " per host in the same order", ports, hosts > 0 ? hosts : 1);
		rc = -1;
	}
	return rc;
}

int
db_read_only(PGconn *c)
{
	const char *hs = PQparameterStatus(c, "in_hot_standby");
	const char *ro = PQparameterStatus(c, "default_transaction_read_only");

	if (hs == NULL && ro == NULL)
		return -1;
	return (hs != NULL && strcmp(hs, "on") == 0) || (ro != NULL && strcmp(ro, "on") == 0);
}

const char *
db_server(PGconn *c, char *buf, size_t len)
{
	const char *h = PQhost(c), *p = PQport(c);

	snprintf(buf, len, "%s port %s", h && *h ? h : "(default)", p && *p ? p : "(default)");
	return buf;
}

PGresult *
db_query(PGconn *c, const char *sql, int nparams, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);

	if (!db_ok(r))
		metrics_count_db_error();
	return r;
}

int
db_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

enum db_class
db_class(PGconn *c, const PGresult *r)
{
	const char *state;

	if (r != NULL && db_ok(r))
		return DB_OK;
	if (PQstatus(c) != CONNECTION_OK)
		return DB_DOWN;
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL)
		return DB_DOWN;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return DB_DOWN;
	/* read_only_sql_transaction: a write reached a standby */
	if (strcmp(state, "25006") == 0)
		return DB_READONLY;
	if (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_CONFLICT;
	if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
		return DB_INVALID;
	return DB_ERROR;
}

int
db_exec(PGconn *c, const char *sql, int nparams, const char *const *params)
{
	PGresult *r = db_query(c, sql, nparams, params);
	int ok = db_ok(r);

	PQclear(r);
	return ok ? 0 : -1;
}

const char *
db_value(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int
db_one(PGconn *c, const char *sql, int nparams, const char *const *params, char **out,
    PGresult **err)
{
	PGresult *r = db_query(c, sql, nparams, params);
	int rc;

	if (!db_ok(r)) {
		*err = r;
		return -1;
	}
	rc = PQntuples(r) > 0;
	if (out != NULL)
		*out = rc && !PQgetisnull(r, 0, 0) ? xstrdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return rc;
}
