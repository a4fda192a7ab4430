/*
 * db.h: PostgreSQL connections for postrouted.
 *
 * A fixed pool of libpq connections shared by the HTTP worker threads;
 * db_acquire blocks until one is free and (re)connects lazily, so a
 * database that comes back is used again without a restart. Queries use
 * parameters only; SQL text is never built from input.
 *
 * Errors: db_* functions return NULL/-1 and leave the libpq message for
 * the caller; db_class tells whether an error means "database down" (503),
 * a conflict (409) or something else (500).
 */
#ifndef POSTROUTE_DB_H
#define POSTROUTE_DB_H

#include <libpq-fe.h>

#include "strbuf.h"

struct db_pool;

enum db_class { DB_OK, DB_DOWN, DB_CONFLICT, DB_INVALID, DB_ERROR };

/* A new connection with the session settings postrouted relies on. */
PGconn *db_connect(const char *conninfo, long long statement_timeout_ms, struct strbuf *err);

struct db_pool *db_pool_new(const char *conninfo, int size, long long statement_timeout_ms);
struct db_pool *db_pool_free(struct db_pool *p);
PGconn *db_acquire(struct db_pool *p);
void db_release(struct db_pool *p, PGconn *c);

/* PQexecParams in text mode; never NULL (libpq returns an error result). */
PGresult *db_query(PGconn *c, const char *sql, int nparams, const char *const *params);
/* 1 when r is COMMAND_OK or TUPLES_OK. */
int db_ok(const PGresult *r);
enum db_class db_class(PGconn *c, const PGresult *r);
/* Runs a statement without result rows; returns 0 or -1. */
int db_exec(PGconn *c, const char *sql, int nparams, const char *const *params);

/* Runs a query expected to give at most one row. Returns 1 with a copy of
 * column 0 in *out (NULL for SQL NULL), 0 for no row, -1 with the failed
 * result in *err (caller clears). */
int db_one(PGconn *c, const char *sql, int nparams, const char *const *params, char **out,
    PGresult **err);

/* The value at (row, col), or NULL when SQL NULL. */
const char *db_value(const PGresult *r, int row, int col);

#endif
