/*
 * db.h: PostgreSQL connections for postrouted.
 *
 * A fixed pool of libpq connections shared by the HTTP worker threads;
 * db_acquire blocks until one is free and (re)connects lazily, so a
 * database that comes back, or a standby promoted in its place, is used
 * again without a restart. Queries use parameters only; SQL text is never
 * built from input.
 *
 * Connection strings are libpq's, passed through untouched: one host or
 * several (host=a,b port=p1,p2, or a postgresql:// URI), with
 * target_session_attrs=read-write to land on the primary, which libpq
 * checks on every (re)connection. Only defaults the string does not set
 * are added: connect_timeout (per host), TCP keepalives, tcp_user_timeout
 * and application_name, so that a server that vanished is noticed and a
 * request never waits on it for long.
 *
 * Errors: db_* functions return NULL/-1 and leave the libpq message for
 * the caller; db_class tells whether an error means "database down" or
 * "read-only server" (503), a conflict (409) or something else (500).
 */
#ifndef POSTROUTE_DB_H
#define POSTROUTE_DB_H

#include <stddef.h>

#include <libpq-fe.h>

#include "strbuf.h"

struct db_pool;

enum db_class { DB_OK, DB_DOWN, DB_READONLY, DB_CONFLICT, DB_INVALID, DB_ERROR };

/* The defaults db_connect and the pool add under the connection string. */
#define DB_CONNECT_TIMEOUT_S "3"
#define DB_KEEPALIVES_IDLE_S "10"
#define DB_KEEPALIVES_INTERVAL_S "5"
#define DB_KEEPALIVES_COUNT "3"
#define DB_TCP_USER_TIMEOUT_MS "10000"

/* A new connection with the session settings postrouted relies on. */
PGconn *db_connect(const char *conninfo, long long statement_timeout_ms, struct strbuf *err);

/* For dbpool.c: PQconnectdb with the defaults above and the notices sent
 * to the log (never NULL; check PQstatus); the session settings (0 or -1);
 * libpq's error message of c as one line (every host it tried). */
PGconn *db_open(const char *conninfo);
int db_session_setup(PGconn *c, long long statement_timeout_ms);
void db_error_line(PGconn *c, struct strbuf *err);

/* Checks conninfo's syntax and that its host and port lists match (one
 * port for all hosts, or one per host), as libpq will read it. 0, or -1
 * with the reason in err. Connects to nothing. */
int db_conninfo_check(const char *conninfo, struct strbuf *err);

/* 1 when the server c is connected to is read-only (a hot standby, or
 * default_transaction_read_only on), 0 when it is not, -1 when it does not
 * say (a server before PostgreSQL 14). From the status the server last
 * reported: no round trip. */
int db_read_only(PGconn *c);

/* "HOST port PORT" of the server c is connected to (for multi-host
 * strings, the one libpq chose), for log lines. */
const char *db_server(PGconn *c, char *buf, size_t len);

/* The pool (dbpool.c). */
struct db_pool *db_pool_new(const char *conninfo, int size, long long statement_timeout_ms);
struct db_pool *db_pool_free(struct db_pool *p);
/*
 * A connection, never NULL. A connection found closed, broken or (when the
 * string asks for read-write) on a server that turned read-only is
 * re-established first. While the database is down only one caller at a
 * time tries to connect, at most every DB_RETRY_MS; the others get their
 * broken connection at once, so their query fails fast (DB_DOWN, 503)
 * instead of queueing behind connection timeouts.
 */
PGconn *db_acquire(struct db_pool *p);
void db_release(struct db_pool *p, PGconn *c);
/* How many connections the pool has (re)established since it started:
 * a change tells another thread that the database answers again. */
unsigned long db_pool_connects(struct db_pool *p);

#define DB_RETRY_MS 100

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
