/*
 * db.c: the connection pool and query helpers.
 *
 * Owns the pool's connections. A connection found broken at acquire time is
 * reset there (PQreset), counted in the metrics, and handed out whatever
 * the outcome: the caller's query then fails and turns into a 503.
 */
#include "db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "xalloc.h"

struct db_pool {
	char *conninfo;
	long long statement_timeout_ms;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;
	int nfree;
	PGconn **conns;      /* all connections, NULL until first use */
	unsigned char *busy;
};

static void
db_session_setup(PGconn *c, long long statement_timeout_ms)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SET statement_timeout = %lld; SET lock_timeout = %lld; SET TIME ZONE 'UTC';"
	    " SET client_min_messages = warning; SET jit = off",
	    statement_timeout_ms, statement_timeout_ms);
	PQclear(PQexec(c, sql));
}

PGconn *
db_connect(const char *conninfo, long long statement_timeout_ms, struct strbuf *err)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		if (err != NULL) {
			const char *m = PQerrorMessage(c);
			strbuf_appendn(err, m, strcspn(m, "\n"));
		}
		PQfinish(c);
		return NULL;
	}
	db_session_setup(c, statement_timeout_ms);
	return c;
}

struct db_pool *
db_pool_new(const char *conninfo, int size, long long statement_timeout_ms)
{
	struct db_pool *p = xcalloc(1, sizeof(*p));

	p->conninfo = xstrdup(conninfo);
	p->statement_timeout_ms = statement_timeout_ms;
	p->size = p->nfree = size;
	p->conns = xcalloc((size_t)size, sizeof(*p->conns));
	p->busy = xcalloc((size_t)size, 1);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	return p;
}

struct db_pool *
db_pool_free(struct db_pool *p)
{
	if (p == NULL)
		return NULL;
	for (int i = 0; i < p->size; i++)
		if (p->conns[i] != NULL)
			PQfinish(p->conns[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->conns);
	free(p->busy);
	free(p->conninfo);
	free(p);
	return NULL;
}

PGconn *
db_acquire(struct db_pool *p)
{
	int i;

	pthread_mutex_lock(&p->lock);
	while (p->nfree == 0)
		pthread_cond_wait(&p->freed, &p->lock);
	for (i = 0; i < p->size && p->busy[i]; i++)
		;
	p->busy[i] = 1;
	p->nfree--;
	pthread_mutex_unlock(&p->lock);

	if (p->conns[i] == NULL) {
		p->conns[i] = PQconnectdb(p->conninfo);
		if (PQstatus(p->conns[i]) == CONNECTION_OK)
			db_session_setup(p->conns[i], p->statement_timeout_ms);
	} else if (PQstatus(p->conns[i]) != CONNECTION_OK) {
		metrics_count_db_reconnect();
		PQreset(p->conns[i]);
		if (PQstatus(p->conns[i]) == CONNECTION_OK)
			db_session_setup(p->conns[i], p->statement_timeout_ms);
	}
	return p->conns[i];
}

void
db_release(struct db_pool *p, PGconn *c)
{
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->size; i++) {
		if (p->conns[i] == c) {
			/* A connection left inside a transaction is rolled back. */
			if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
				PQclear(PQexec(c, "ROLLBACK"));
			p->busy[i] = 0;
			p->nfree++;
			break;
		}
	}
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
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
