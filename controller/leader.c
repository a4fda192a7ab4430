/*
 * leader.c: the advisory lock and the leader's housekeeping.
 *
 * Owns its connection and thread. held is written by the thread only and
 * read by others (the sender) without a lock.
 */
#include "leader.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "housekeep.h"
#include "log.h"
#include "outbox.h"
#include "sharedset.h"
#include "xalloc.h"

#define LEADER_TRY_S 0.5
#define LEADER_TICK_S 1.0
#define LEADER_STALE_TICKS 5
#define LEADER_PURGE_TICKS 3600

struct leader {
	struct app *app;
	char *name;
	pthread_t thread;
	atomic_int stop;
	atomic_int held;
	atomic_ulong term;
	PGconn *conn;
	double next_try, backoff;
	unsigned long ticks;
};

int
leader_held(const struct leader *l)
{
	return l != NULL && atomic_load(&l->held);
}

unsigned long
leader_term(const struct leader *l)
{
	return l != NULL ? atomic_load(&l->term) : 0;
}

static void
leader_lost(struct leader *l, const char *why)
{
	if (atomic_load(&l->held))
		log_warnx("leader: %s: no longer the leader; another controller takes over", why);
	else
		log_warnx("leader: %s", why);
	atomic_store(&l->held, 0);
	PQfinish(l->conn);
	l->conn = NULL;
	l->backoff = l->backoff < 0.5 ? 0.5 : l->backoff * 2 > 5 ? 5 : l->backoff * 2;
	l->next_try = longpoll_now() + l->backoff;
}

static void
leader_connect(struct leader *l)
{
	struct strbuf err = STRBUF_INIT;
	const struct settings *s = l->app->settings;
	char *app_name = xasprintf("postrouted leader %s", l->name);
	const char *p[] = { app_name };

	l->conn = db_connect(s->conninfo, s->statement_timeout_ms, &err);
	if (l->conn == NULL || db_exec(l->conn, "SELECT set_config('application_name', $1, false)",
	    1, p) != 0) {
		if (l->conn != NULL)
			strbuf_append(&err, PQerrorMessage(l->conn));
		leader_lost(l, strbuf_str(&err));
	} else {
		l->backoff = 0;
	}
	free(app_name);
	strbuf_clear(&err);
}

/* Asks for the lock once. */
static void
leader_try(struct leader *l)
{
	char *got = NULL;
	PGresult *fail = NULL;

	if (db_one(l->conn, "SELECT pg_try_advisory_lock(7470, 1)", 0, NULL,
	    &got, &fail) != 1) {
		char *why = xasprintf("cannot ask for the leader lock: %s", PQerrorMessage(l->conn));
		PQclear(fail);
		leader_lost(l, why);
		free(why);
		return;
	}
	if (strcmp(got, "t") == 0) {
		atomic_fetch_add(&l->term, 1);
		atomic_store(&l->held, 1);
		l->ticks = 0;
		log_info("leader: this controller (%s) is the leader: it expires routes, watches for"
		    " stale nodes and sends the notifications", l->name);
	}
	free(got);
}

/*
 * The nodes stale now, and what changed since the last pass. A node is
 * behind since the first version after the one it applied (versions are
 * written in order under the routing_version lock, so that version's rows
 * are the oldest of the ones it lacks): two index probes per distinct
 * applied version, not a join of nodes with all of history; MATERIALIZED
 * keeps the planner from repeating them per node. notify_open holds the
 * nodes told about: a stale node not in it is opened (a trigger), a node
 * in it that is not stale any more is closed (a resolve).
 */
static const char *
leader_stale_sql =
    "WITH l AS MATERIALIZED (SELECT a.applied,"
    "  (SELECT min(h.at) FROM history h WHERE h.version ="
    "   (SELECT min(version) FROM history WHERE version > a.applied)) AS since"
    "  FROM (SELECT DISTINCT coalesce(applied_version, 0) AS applied FROM nodes) a),"
    " stale AS MATERIALIZED (SELECT n.name::text AS name, l.applied, v.version,"
    "  floor(extract(epoch FROM now() - l.since))::bigint AS secs"
    "  FROM l JOIN nodes n ON coalesce(n.applied_version, 0) = l.applied"
    "  CROSS JOIN routing_version v"
    "  WHERE l.applied < v.version AND l.since < now() - $1::bigint * interval '1 second'),"
    " opened AS (INSERT INTO notify_open (key, kind, node)"
    "  SELECT 'stale/' || name, 'stale', name FROM stale ON CONFLICT (key) DO NOTHING RETURNING node),"
    " closed AS (DELETE FROM notify_open o WHERE o.kind = 'stale'"
    "  AND o.node NOT IN (SELECT name FROM stale) RETURNING node)"
    " SELECT 'open', s.name, s.applied::text, s.version::text, s.secs::text"
    "  FROM stale s JOIN opened o ON o.node = s.name"
    " UNION ALL SELECT 'close', c.node, coalesce(n.applied_version, 0)::text,"
    "  (SELECT version::text FROM routing_version), CASE WHEN n.name IS NULL THEN 'gone' ELSE '' END"
    "  FROM closed c LEFT JOIN nodes n ON n.name = c.node";

/* The message of one row of leader_stale_sql, queued on c. */
static int
leader_stale_notice(PGconn *c, const PGresult *r, int i, struct strbuf *err)
{
	const char *node = PQgetvalue(r, i, 1), *applied = PQgetvalue(r, i, 2);
	const char *version = PQgetvalue(r, i, 3), *extra = PQgetvalue(r, i, 4);
	int open = strcmp(PQgetvalue(r, i, 0), "open") == 0;
	char *incident = xasprintf("stale/%s", node);
	char *key = open ? xstrdup(incident) : xasprintf("back/%s", node);
	char *text;
	int rc;

	if (open)
		text = xasprintf(":hourglass: node %s is %s s behind: applied version %s of %s."
		    " Is its agent running and reaching the controller?", node, extra, applied, version);
	else if (strcmp(extra, "gone") == 0)
		text = xasprintf(":white_check_mark: node %s was removed; it is no longer behind.", node);
	else
		text = xasprintf(":white_check_mark: node %s caught up: applied version %s (current %s).",
		    node, applied, version);
	struct notice n = { key, text, incident, !open, open ? "error" : "info", node };
	rc = outbox_put(c, &n, err);
	free(incident), free(key), free(text);
	return rc < 0 ? -1 : 0;
}

int
leader_stale_pass(PGconn *c, const struct settings *s)
{
	struct strbuf err = STRBUF_INIT;
	char after[32];
	const char *p[] = { after };
	PGresult *r = NULL;
	int n = -1;

	snprintf(after, sizeof(after), "%lld", s->stale_after_ms / 1000);
	if (db_exec(c, "BEGIN", 0, NULL) != 0)
		goto out;
	r = db_query(c, leader_stale_sql, 1, p);
	if (!db_ok(r)) {
		strbuf_append(&err, PQresultErrorMessage(r));
		goto out;
	}
	for (n = 0; n < PQntuples(r); n++)
		if (leader_stale_notice(c, r, n, &err) != 0) {
			n = -1;
			goto out;
		}
	if (db_exec(c, "COMMIT", 0, NULL) != 0)
		n = -1;
out:
	if (n < 0)
		log_warnx("leader: stale nodes: %s", err.len ? strbuf_str(&err) : PQerrorMessage(c));
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
	PQclear(r);
	strbuf_clear(&err);
	return n;
}

static void
leader_purge(PGconn *c)
{
	db_exec(c, "DELETE FROM notify_outbox WHERE state <> 'pending'"
	    " AND created_at < now() - interval '7 days'", 0, NULL);
	db_exec(c, "DELETE FROM notify_recent WHERE at < now() - interval '1 day'", 0, NULL);
}

/* The leader's second: expiry, stale nodes, purge. */
static void
leader_tick(struct leader *l)
{
	struct strbuf err = STRBUF_INIT;
	struct settings s;
	int n;

	if (db_exec(l->conn, "SELECT 1", 0, NULL) != 0) {
		char *why = xasprintf("lost the database connection: %s", PQerrorMessage(l->conn));
		leader_lost(l, why);
		free(why);
		return;
	}
	if ((n = housekeep_expire(l->conn)) > 0)
		log_info("expiry: %d route(s) expired and reverted", n);
	if (l->ticks % LEADER_STALE_TICKS == 0 && sharedset_load(l->conn, l->app->settings, &s, &err) == 0)
		leader_stale_pass(l->conn, &s);
	if (l->ticks % LEADER_PURGE_TICKS == LEADER_PURGE_TICKS - 1)
		leader_purge(l->conn);
	l->ticks++;
	strbuf_clear(&err);
	if (PQstatus(l->conn) != CONNECTION_OK)
		leader_lost(l, "lost the database connection");
}

static void *
leader_main(void *arg)
{
	struct leader *l = arg;

	while (!atomic_load(&l->stop)) {
		double now = longpoll_now();
		if (now >= l->next_try) {
			if (l->conn == NULL)
				leader_connect(l);
			if (l->conn != NULL && !atomic_load(&l->held)) {
				leader_try(l);
				if (l->conn != NULL)
					l->next_try = now + LEADER_TRY_S;
			}
			if (l->conn != NULL && atomic_load(&l->held)) {
				leader_tick(l);
				if (l->conn != NULL)
					l->next_try = now + LEADER_TICK_S;
			}
		}
		poll(NULL, 0, 50);
	}
	return NULL;
}

struct leader *
leader_start(struct app *app, const char *name)
{
	struct leader *l = xcalloc(1, sizeof(*l));

	l->app = app;
	l->name = xstrdup(name);
	if (pthread_create(&l->thread, NULL, leader_main, l) != 0)
		log_fatal("leader: pthread_create");
	return l;
}

void
leader_stop(struct leader *l)
{
	if (l == NULL)
		return;
	atomic_store(&l->stop, 1);
	pthread_join(l->thread, NULL);
	atomic_store(&l->held, 0);
	if (l->conn != NULL)
		PQfinish(l->conn);
	free(l->name);
	free(l);
}
