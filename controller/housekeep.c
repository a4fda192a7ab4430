/*
 * housekeep.c: the housekeeping thread and the expiry pass (see
 * housekeep.h).
 *
 * Owns its thread; borrows pool connections one pass at a time.
 */
#include "housekeep.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "log.h"
#include "xalloc.h"

struct housekeep {
	struct app *app;
	struct listener *listener;
	pthread_t thread;
	atomic_int stop;
	double next;            /* longpoll_now() of the next pass */
	long long ahead;        /* a version above the published one, last second */
};

int
housekeep_expire(PGconn *c)
{
	struct change ch = { c, "postrouted", "expired", NULL, 0, NULL, 0 };
	PGresult *r;
	int n = 0;

	/* Look first, without the writers' lock: most seconds nothing expires. */
	r = db_query(c, "SELECT 1 FROM routes WHERE expires_at <= now() LIMIT 1", 0, NULL);
	n = db_ok(r) ? PQntuples(r) : -1;
	PQclear(r);
	r = NULL;
	if (n <= 0)
		return n;
	n = 0;
	if (change_begin(&ch) != 0) {
		change_clear(&ch);
		return -1;
	}
	r = db_query(c, "DELETE FROM routes r USING route_json j"
	    " WHERE r.expires_at <= now() AND j.provider = r.provider AND j.scope = r.scope"
	    " RETURNING r.provider, r.scope, r.relay, j.doc::text", 0, NULL);
	if (!db_ok(r))
		goto fail;
	for (int i = 0; i < PQntuples(r); i++, n++) {
		char *object = xasprintf("%s/%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
		const char *scope = PQgetvalue(r, i, 1);
		struct change_row row = { "route.expired", "route", object, PQgetvalue(r, i, 0),
			strcmp(scope, "*") ? scope : NULL, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), NULL };
		int rc = change_record(&ch, &row);
		free(object);
		if (rc != 0)
			goto fail;
	}
	PQclear(r);
	r = NULL;
	if (change_end(&ch, n > 0) != 0)
		goto fail;
	change_clear(&ch);
	return n;
fail:
	PQclear(r);
	change_end(&ch, 0);
	change_clear(&ch);
	return -1;
}

/* Records the nodes that polled this controller in the last second. */
static void
housekeep_presence(struct housekeep *h)
{
	struct strbuf nodes = STRBUF_INIT;
	PGconn *c;

	if (presence_take(h->app->presence, &nodes) == 0) {
		strbuf_clear(&nodes);
		return;
	}
	c = db_acquire(h->app->pool);
	const char *p[] = { strbuf_str(&nodes) };
	db_exec(c, "UPDATE nodes SET last_feed_at = now() WHERE name = ANY($1::text[])", 1, p);
	db_release(h->app->pool, c);
	strbuf_clear(&nodes);
}

/*
 * The net under notifications, once a second on a pool connection: a
 * database version above the published one twice in a row (the first time
 * its notification may be on its way) means notifications are not
 * arriving, e.g. the LISTEN connection hangs on a server that vanished
 * without closing it while the pool moved to a promoted standby. The
 * snapshot is then read and published from here, and the listener told to
 * connect again.
 */
static void
housekeep_watch_version(struct housekeep *h)
{
	struct strbuf err = STRBUF_INIT;
	struct snapshot *cur = longpoll_current(h->app->longpoll), *s = NULL;
	PGconn *c = db_acquire(h->app->pool);
	PGresult *fail = NULL;
	char *v = NULL;
	long long db = -1;

	if (db_one(c, "SELECT version FROM routing_version", 0, NULL, &v, &fail) == 1 && v != NULL)
		db = atoll(v);
	if (cur != NULL && db > cur->version && h->ahead > cur->version) {
		log_warnx("housekeeping: routing version %lld was not notified within a second: reading it"
		    " without the notification and listening again", db);
		if ((s = snapshot_load(c, &err)) != NULL && s->version > cur->version)
			longpoll_publish(h->app->longpoll, s);
		else
			snapshot_free(s);
		listener_relisten(h->listener);
		db = -1;
	}
	h->ahead = cur != NULL && db > cur->version ? db : -1;
	db_release(h->app->pool, c);
	longpoll_release(h->app->longpoll, cur);
	PQclear(fail);
	free(v);
	strbuf_clear(&err);
}

/* Presence (which nodes polled this controller) and the version check,
 * once a second, on pool connections; expiry and stale nodes are the
 * leader's (leader.h). */
static void *
housekeep_main(void *arg)
{
	struct housekeep *h = arg;

	while (!atomic_load(&h->stop)) {
		double now = longpoll_now();
		if (now >= h->next) {
			h->next = now + 1.0;
			housekeep_presence(h);
			housekeep_watch_version(h);
		}
		poll(NULL, 0, 100);
	}
	return NULL;
}

struct housekeep *
housekeep_start(struct app *app, struct listener *l)
{
	struct housekeep *h = xcalloc(1, sizeof(*h));

	h->app = app;
	h->listener = l;
	if (pthread_create(&h->thread, NULL, housekeep_main, h) != 0)
		log_fatal("housekeeping: pthread_create");
	return h;
}

void
housekeep_stop(struct housekeep *h)
{
	if (h == NULL)
		return;
	atomic_store(&h->stop, 1);
	pthread_join(h->thread, NULL);
	free(h);
}
