/*
 * dbpool.c: the request threads' pool of database connections.
 *
 * Owns the pool's connections and what the pool last saw of the database
 * (down or up, read-only or not). A connection is checked when it is
 * handed out: one the server closed while it sat idle (a restart, a
 * failover: its socket turns readable) is noticed then, not by the
 * caller's query, and re-established with PQreset, which walks the host
 * list again and honours target_session_attrs, so after a standby is
 * promoted the pool lands on it. While the database is down one caller at
 * a time probes it (every DB_RETRY_MS at most) and the others fail fast.
 * Failures are logged when their text changes or every
 * DB_POOL_LOG_EVERY_S, not once per request.
 */
#include "db.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "xalloc.h"

#define DB_POOL_LOG_EVERY_S 30.0

struct db_pool {
	char *conninfo;
	long long statement_timeout_ms;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;
	int nfree;
	PGconn **conns;      /* all connections, NULL until first use */
	unsigned char *busy;
	/* under lock: */
	int down;            /* the last connection attempt failed */
	int probing;         /* a caller is trying to connect while down */
	double retry_at;     /* while down, no attempt before this */
	double logged_at;    /* when last_error was logged */
	char last_error[512];
	int read_only;       /* the last connection made landed on a read-only server */
	/* target_session_attrs asks for read-write: 1, no: 0, not known yet: -1 */
	atomic_int want_rw;
	atomic_ulong connects;
};

struct db_pool *
db_pool_new(const char *conninfo, int size, long long statement_timeout_ms)
{
	struct db_pool *p = xcalloc(1, sizeof(*p));

	p->conninfo = xstrdup(conninfo);
	p->statement_timeout_ms = statement_timeout_ms;
	p->size = p->nfree = size;
	p->conns = xcalloc((size_t)size, sizeof(*p->conns));
	p->busy = xcalloc((size_t)size, 1);
	atomic_init(&p->want_rw, -1);
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

unsigned long
db_pool_connects(struct db_pool *p)
{
	return atomic_load(&p->connects);
}

/* 1 when c's target_session_attrs (as libpq resolved it, environment
 * included) asks for a writable server. */
static int
db_wants_rw(PGconn *c)
{
	PQconninfoOption *opts = PQconninfo(c);
	int rw = 0;

	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "target_session_attrs") == 0 && o->val != NULL)
			rw = strcmp(o->val, "read-write") == 0 || strcmp(o->val, "primary") == 0;
	PQconninfoFree(opts);
	return rw;
}

/*
 * 0 when c can be handed out as it is. Reads what the server sent while
 * the connection sat idle: a closed socket (the server went away) or a
 * FATAL message breaks it; a status report may say the server turned
 * read-only, which a read-write string does not accept.
 */
static int
db_pool_stale(struct db_pool *p, PGconn *c)
{
	for (int i = 0; i < 4 && PQstatus(c) == CONNECTION_OK; i++) {
		struct pollfd pfd = { PQsocket(c), POLLIN, 0 };
		PGnotify *n;
		if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
			break;
		if (PQconsumeInput(c) == 0)
			return 1;
		while ((n = PQnotifies(c)) != NULL)
			PQfreemem(n);
	}
	if (PQstatus(c) != CONNECTION_OK)
		return 1;
	return atomic_load(&p->want_rw) == 1 && db_read_only(c) == 1;
}

/* Whether this caller may try to connect now; *probe is set when it is
 * the one probing a database that is down. */
static int
db_pool_may_try(struct db_pool *p, int *probe)
{
	double now = monotime_s();
	int ok;

	pthread_mutex_lock(&p->lock);
	ok = !p->down || (!p->probing && now >= p->retry_at);
	*probe = ok && p->down;
	if (*probe)
		p->probing = 1;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

/* Logs a failed attempt unless the same text was logged recently. Lock held. */
static void
db_pool_log_failure(struct db_pool *p, PGconn *c, double now)
{
	struct strbuf err = STRBUF_INIT;

	db_error_line(c, &err);
	if (strcmp(strbuf_str(&err), p->last_error) != 0 || now - p->logged_at >= DB_POOL_LOG_EVERY_S) {
		log_warnx("database: cannot connect: %s (requests get 503 until it answers)",
		    strbuf_str(&err));
		snprintf(p->last_error, sizeof(p->last_error), "%s", strbuf_str(&err));
		p->logged_at = now;
	}
	strbuf_clear(&err);
}

/* Records the outcome of an attempt on c. Lock not held. */
static void
db_pool_outcome(struct db_pool *p, PGconn *c, int ok, int probe, int reconnect)
{
	char where[300];
	double now = monotime_s();
	int recovered = 0, ro = 0, ro_changed;

	pthread_mutex_lock(&p->lock);
	if (probe)
		p->probing = 0;
	if (!ok) {
		p->down = 1;
		p->retry_at = now + DB_RETRY_MS / 1000.0;
		db_pool_log_failure(p, c, now);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	recovered = p->down;
	p->down = 0;
	p->last_error[0] = '\0';
	if (atomic_load(&p->want_rw) < 0)
		atomic_store(&p->want_rw, db_wants_rw(c));
	ro = db_read_only(c) == 1;
	ro_changed = ro != p->read_only;
	p->read_only = ro;
	atomic_fetch_add(&p->connects, 1);
	pthread_mutex_unlock(&p->lock);
	if (reconnect)
		metrics_count_db_reconnect();
	if (recovered)
		log_info("database: connected again, to %s", db_server(c, where, sizeof(where)));
	if (ro_changed && ro)
		log_warnx("database: %s is read-only (a standby): writes get 503 until a primary is"
		    " reached; list every server in [database] conninfo with"
		    " target_session_attrs=read-write to follow the primary",
		    db_server(c, where, sizeof(where)));
	else if (ro_changed)
		log_info("database: %s accepts writes", db_server(c, where, sizeof(where)));
}

/* Opens slot i, or re-opens it with PQreset (libpq's host search again). */
static void
db_pool_connect(struct db_pool *p, int i, int probe)
{
	int reconnect = p->conns[i] != NULL, ok;

	if (p->conns[i] == NULL)
		p->conns[i] = db_open(p->conninfo);
	else
		PQreset(p->conns[i]);
	ok = PQstatus(p->conns[i]) == CONNECTION_OK &&
	    db_session_setup(p->conns[i], p->statement_timeout_ms) == 0;
	db_pool_outcome(p, p->conns[i], ok, probe, reconnect);
}

PGconn *
db_acquire(struct db_pool *p)
{
	int i, probe = 0;

	pthread_mutex_lock(&p->lock);
	while (p->nfree == 0)
		pthread_cond_wait(&p->freed, &p->lock);
	for (i = 0; i < p->size && p->busy[i]; i++)
		;
	p->busy[i] = 1;
	p->nfree--;
	pthread_mutex_unlock(&p->lock);

	if (p->conns[i] != NULL && !db_pool_stale(p, p->conns[i]))
		return p->conns[i];
	/* a slot never opened is opened whatever the state: it has no
	 * connection to fail with */
	if (p->conns[i] == NULL || db_pool_may_try(p, &probe))
		db_pool_connect(p, i, probe);
	return p->conns[i];
}

void
db_release(struct db_pool *p, PGconn *c)
{
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->size; i++) {
		if (p->conns[i] == c && p->busy[i]) {
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
