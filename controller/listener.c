/*
 * listener.c: the LISTEN connection, its notifications and the long-polls'
 * deadlines (see listener.h).
 *
 * Owns its thread and its connection (not from the pool).
 */
#include "listener.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grants.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

struct listener {
	struct app *app;
	pthread_t thread;
	atomic_int stop;
	PGconn *conn;
	double backoff;
	double next_connect;
	int warned_roles;       /* the role warning was logged */
	unsigned long seen_connects;   /* db_pool_connects at the last attempt */
	char last_error[512];   /* the last reason logged for not listening */
	double logged_at;
	atomic_int relisten;    /* listener_relisten asked for a new LISTEN connection */
};

/* Logs why the LISTEN connection could not be made, unless the same
 * reason was logged within the last 30 s (the retries go on quietly). */
static void
listener_connect_failed(struct listener *l, const char *why)
{
	double now = longpoll_now();

	if (strcmp(why, l->last_error) == 0 && now - l->logged_at < 30.0)
		return;
	log_warnx("listener: cannot listen: %s (retrying; feeds wait on the last version read)", why);
	snprintf(l->last_error, sizeof(l->last_error), "%s", why);
	l->logged_at = now;
}

static int
listener_connect(struct listener *l)
{
	struct strbuf err = STRBUF_INIT;
	const struct settings *s = l->app->settings;
	int failed;

	l->seen_connects = db_pool_connects(l->app->pool);
	l->conn = db_connect(s->conninfo, s->statement_timeout_ms, &err);
	failed = l->conn == NULL || db_exec(l->conn, "LISTEN postroute_version", 0, NULL) != 0;
	if (failed && l->conn != NULL)
		db_error_line(l->conn, &err);
	if (failed) {
		listener_connect_failed(l, strbuf_str(&err));
		if (l->conn != NULL)
			PQfinish(l->conn);
		l->conn = NULL;
		strbuf_clear(&err);
		return -1;
	}
	strbuf_clear(&err);
	l->last_error[0] = '\0';
	if (!l->warned_roles && grants_history_writable(l->conn) == 1) {
		log_warnx("database role \"%s\" may rewrite history (it owns the table or may update, "
		    "delete or truncate it): history is protected only by its trigger; run postrouted "
		    "migrate with [database] migrate_conninfo naming an owner role (postrouted(8), "
		    "DATABASE ROLES)", PQuser(l->conn));
		l->warned_roles = 1;
	}
	return 0;
}

/*
 * 1 when the database's routing version is still below was: s (just
 * loaded, below the published snapshot) is not a late load racing a
 * newer one but a database restored or a version reset by hand.
 */
static int
listener_went_back(struct listener *l, const struct snapshot *s, long long was)
{
	char *v = NULL;
	PGresult *fail = NULL;
	int back = db_one(l->conn, "SELECT version FROM routing_version", 0, NULL, &v, &fail) == 1 &&
	    v != NULL && atoll(v) < was;

	if (back)
		log_errorx("listener: the routing version went back from %lld to %lld (database"
		    " restored?): serving the database's routes; agents re-sync to them", was,
		    s->version);
	free(v);
	PQclear(fail);
	return back;
}

/* Reads the snapshot and publishes it; called after every notification
 * and every reconnection. */
static void
listener_refresh(struct listener *l)
{
	struct strbuf err = STRBUF_INIT;
	struct snapshot *s = snapshot_load(l->conn, &err);

	if (s == NULL) {
		log_warnx("listener: %s", strbuf_str(&err));
	} else {
		struct snapshot *cur = longpoll_current(l->app->longpoll);
		if (cur == NULL || s->version >= cur->version ||
		    listener_went_back(l, s, cur->version)) {
			unsigned long woken = longpoll_publish(l->app->longpoll, s);
			log_debug("listener: version %lld, woke %lu", s->version, woken);
		} else {
			snapshot_free(s);
		}
		longpoll_release(l->app->longpoll, cur);
	}
	strbuf_clear(&err);
}

/* Closes the LISTEN connection; the next loop connects again. */
static void
listener_drop(struct listener *l, double now)
{
	PQfinish(l->conn);
	l->conn = NULL;
	metrics_set_db_up(0);
	l->next_connect = now;
	l->backoff = 0.1;
}

static void
listener_lost(struct listener *l, double now)
{
	struct strbuf err = STRBUF_INIT;

	db_error_line(l->conn, &err);
	log_warnx("listener: database connection lost: %s", strbuf_str(&err));
	strbuf_clear(&err);
	listener_drop(l, now);
}

/*
 * Tries to listen again when the backoff allows, or at once when the
 * request pool has connected since the last attempt (the database, or a
 * promoted standby, answers again). Once listening, the snapshot is read
 * again and every waiting feed whose version differs from it is woken:
 * notifications sent while nobody listened are lost, versions are not.
 */
static void
listener_try_connect(struct listener *l, double now)
{
	char where[300];

	if (now < l->next_connect && db_pool_connects(l->app->pool) == l->seen_connects)
		return;
	if (listener_connect(l) != 0) {
		l->backoff = l->backoff < 0.1 ? 0.1 : l->backoff * 2 > 5 ? 5 : l->backoff * 2;
		l->next_connect = now + l->backoff;
		return;
	}
	if (l->backoff > 0) {
		metrics_count_listen_reconnect();
		log_info("listener: database connection re-established (%s); re-reading the routing"
		    " version", db_server(l->conn, where, sizeof(where)));
	}
	l->backoff = 0;
	metrics_set_db_up(1);
	listener_refresh(l);
}

static void
listener_drain(struct listener *l)
{
	PGnotify *n;
	int got = 0;

	while ((n = PQnotifies(l->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	if (got)
		listener_refresh(l);
}

/* Notifications and deadlines only: no query here but the snapshot read,
 * so a change wakes the long-polls however long housekeeping takes. */
static void *
listener_main(void *arg)
{
	struct listener *l = arg;

	while (!atomic_load(&l->stop)) {
		double now = longpoll_now();
		if (atomic_exchange(&l->relisten, 0) && l->conn != NULL)
			listener_drop(l, now);
		if (l->conn == NULL)
			listener_try_connect(l, now);
		if (l->conn != NULL) {
			struct pollfd p = { PQsocket(l->conn), POLLIN, 0 };
			if (poll(&p, 1, 100) > 0 &&
			    (PQconsumeInput(l->conn) == 0 || PQstatus(l->conn) != CONNECTION_OK))
				listener_lost(l, now);
			else
				listener_drain(l);
		} else {
			poll(NULL, 0, 100);
		}
		longpoll_tick(l->app->longpoll, longpoll_now());
	}
	return NULL;
}

struct listener *
listener_start(struct app *app)
{
	struct listener *l = xcalloc(1, sizeof(*l));

	l->app = app;
	if (listener_connect(l) == 0) {
		metrics_set_db_up(1);
		listener_refresh(l);
	} else {
		l->backoff = 0.1;
		l->next_connect = longpoll_now() + 0.1;
	}
	if (pthread_create(&l->thread, NULL, listener_main, l) != 0)
		log_fatal("listener: pthread_create");
	return l;
}

void
listener_relisten(struct listener *l)
{
	atomic_store(&l->relisten, 1);
}

void
listener_stop(struct listener *l)
{
	if (l == NULL)
		return;
	atomic_store(&l->stop, 1);
	pthread_join(l->thread, NULL);
	if (l->conn != NULL)
		PQfinish(l->conn);
	free(l);
}
