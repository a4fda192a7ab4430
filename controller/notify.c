/*
 * notify.c: the sender thread and its claims on notify_outbox.
 *
 * Owns its connection, its thread, its HTTP client (used by that thread
 * only) and the PagerDuty routing key (erased at stop). Never posts unless this controller leads (leader.h).
 */
#include "notify.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "leader.h"
#include "log.h"
#include "longpoll.h"
#include "notify_http.h"
#include "secretfile.h"
#include "sharedset.h"
#include "xalloc.h"

#define NOTIFY_TRIES 8
#define NOTIFY_PASS_MAX 100

struct notify {
	const struct settings *settings;
	const struct leader *leader;
	struct db_pool *pool;
	char *name;
	char *pd_key;           /* NULL: PagerDuty off */
	struct httpc *http;     /* the sender thread's */
	pthread_t thread;
	atomic_int stop;
	PGconn *conn;
	double next_connect, backoff, next_scan;
	unsigned long term;
};

/* One claimed row of notify_outbox. */
struct outmsg {
	const char *id, *key, *action, *incident, *severity, *source, *text;
	int attempts;
	int slack_done, pd_done;
};

static void
notify_lost(struct notify *n, const char *why)
{
	log_warnx("notify: %s", why);
	if (n->conn != NULL)
		PQfinish(n->conn);
	n->conn = NULL;
	n->backoff = n->backoff < 0.5 ? 0.5 : n->backoff * 2 > 5 ? 5 : n->backoff * 2;
	n->next_connect = longpoll_now() + n->backoff;
}

static void
notify_connect(struct notify *n)
{
	struct strbuf err = STRBUF_INIT;
	const struct settings *s = n->settings;

	n->conn = db_connect(s->conninfo, s->statement_timeout_ms, &err);
	if (n->conn == NULL || db_exec(n->conn, "LISTEN postroute_outbox", 0, NULL) != 0) {
		if (n->conn != NULL)
			strbuf_append(&err, PQerrorMessage(n->conn));
		notify_lost(n, strbuf_str(&err));
	} else {
		n->backoff = 0;
		n->next_scan = 0;
	}
	strbuf_clear(&err);
}

/* The text as sent: held-back note and runbook link appended. */
static char *
notify_text(const struct settings *s, const char *text, long held, int slack)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_append(&sb, text);
	if (held > 0)
		strbuf_appendf(&sb, "\n(%ld more notification(s) were held back by the rate limit;"
		    " see postroute history)", held);
	if (slack && s->runbook_url[0] != '\0')
		strbuf_appendf(&sb, "\nRunbook: %s", s->runbook_url);
	return strbuf_detach(&sb);
}

/* Posts m where it is still due; 0 when every channel has it. */
static int
notify_deliver(struct notify *n, struct outmsg *m, long held, struct strbuf *err)
{
	const struct settings *s = n->settings;

	if (!m->slack_done && s->webhook_url[0] != '\0') {
		char *text = notify_text(s, m->text, held, 1), *body = notify_slack_body(text);
		struct strbuf e = STRBUF_INIT;
		m->slack_done = notify_http_post(n->http, "webhook", s->webhook_url, body,
		    (long)s->notify_timeout_ms, &e) == 0;
		if (!m->slack_done)
			strbuf_appendf(err, "%s; ", strbuf_str(&e));
		strbuf_clear(&e);
		free(text), free(body);
	}
	if (!m->pd_done && n->pd_key != NULL) {
		char *text = notify_text(s, m->text, held, 0);
		struct pd_event ev = { n->pd_key, strcmp(m->action, "resolve") == 0, m->incident, text,
			m->key, m->severity, m->source, s->runbook_url };
		char *body = notify_pagerduty_body(&ev);
		struct strbuf e = STRBUF_INIT;
		m->pd_done = notify_http_post(n->http, "PagerDuty", s->pagerduty_url, body,
		    (long)s->notify_timeout_ms, &e) == 0;
		if (!m->pd_done)
			strbuf_appendf(err, "%s; ", strbuf_str(&e));
		strbuf_clear(&e);
		explicit_bzero(body, strlen(body));
		free(text), free(body);
	}
	return (m->slack_done || s->webhook_url[0] == '\0') && (m->pd_done || n->pd_key == NULL) ? 0 : -1;
}

static const char *
notify_delivered(const struct outmsg *m)
{
	return m->slack_done && m->pd_done ? "{slack,pagerduty}" : m->slack_done ? "{slack}" :
	    m->pd_done ? "{pagerduty}" : "{}";
}

/* 1 when a trigger must be held back by [notify] max_per_minute. */
static int
notify_over_limit(PGconn *c, const struct settings *s, int *err)
{
	char *v = NULL;
	PGresult *fail = NULL;
	int rc = db_one(c, "SELECT count(*) FROM notify_outbox WHERE state = 'sent'"
	    " AND action = 'trigger' AND sent_at > now() - interval '60 seconds'", 0, NULL, &v, &fail);
	long long sent = v ? atoll(v) : 0;

	*err = rc < 0;
	PQclear(fail);
	free(v);
	return sent >= s->notify_per_minute;
}

/* Marks the held rows told (inside a savepoint); returns how many. */
static long
notify_take_held(PGconn *c)
{
	PGresult *r = db_query(c, "UPDATE notify_outbox SET state = 'held_told' WHERE state = 'held'"
	    " RETURNING id", 0, NULL);
	long held = db_ok(r) ? PQntuples(r) : 0;

	PQclear(r);
	return held;
}

/* Records the outcome of m's delivery; the transaction is committed by the caller. */
static int
notify_record(struct notify *n, PGconn *c, const struct outmsg *m, int ok, const char *error)
{
	char tries[16];
	const char *p[] = { m->id, n->name, notify_delivered(m), error, tries };

	snprintf(tries, sizeof(tries), "%d", NOTIFY_TRIES);
	if (ok)
		return db_exec(c, "UPDATE notify_outbox SET state = 'sent', sent_at = now(), sent_by = $2,"
		    " delivered = $3::text[], attempts = attempts + 1 WHERE id = $1", 3, p);
	if (m->attempts + 1 >= NOTIFY_TRIES)
		log_warnx("notify: giving up on message %s after %d tries: %s", m->id, NOTIFY_TRIES, error);
	else
		log_warnx("notify: message %s not delivered (try %d of %d), retrying: %s", m->id,
		    m->attempts + 1, NOTIFY_TRIES, error);
	return db_exec(c, "UPDATE notify_outbox SET attempts = attempts + 1, delivered = $3::text[],"
	    " last_error = $4, sent_by = $2,"
	    " next_try_at = now() + least(60, power(2, attempts)) * interval '1 second',"
	    " state = CASE WHEN attempts + 1 >= $5::int THEN 'failed' ELSE 'pending' END"
	    " WHERE id = $1", 5, p);
}

/* Sends the claimed row of r; 1 when delivered (or held), 0 when not. */
static int
notify_send_row(struct notify *n, PGconn *c, const struct settings *s, PGresult *r)
{
	struct outmsg m = { PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
		PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6),
		atoi(PQgetvalue(r, 0, 8)), strstr(PQgetvalue(r, 0, 7), "slack") != NULL,
		strstr(PQgetvalue(r, 0, 7), "pagerduty") != NULL };
	struct strbuf err = STRBUF_INIT;
	const char *p[] = { m.id };
	int dberr = 0, ok;
	long held;

	if (strcmp(m.action, "trigger") == 0 && notify_over_limit(c, s, &dberr) && !dberr) {
		ok = db_exec(c, "UPDATE notify_outbox SET state = 'held' WHERE id = $1", 1, p) == 0;
		return ok && db_exec(c, "COMMIT", 0, NULL) == 0;
	}
	if (dberr || db_exec(c, "SAVEPOINT told", 0, NULL) != 0)
		return 0;
	held = notify_take_held(c);
	ok = notify_deliver(n, &m, held, &err) == 0;
	if (!ok)
		db_exec(c, "ROLLBACK TO SAVEPOINT told", 0, NULL);
	ok = notify_record(n, c, &m, ok, strbuf_str(&err)) == 0 && ok;
	strbuf_clear(&err);
	return db_exec(c, "COMMIT", 0, NULL) == 0 && ok;
}

/* Claims and sends the oldest due message; 1 when there may be more. */
static int
notify_one(struct notify *n, const struct settings *s)
{
	PGconn *c = n->conn;
	PGresult *r;
	int rc = 0;

	if (db_exec(c, "BEGIN", 0, NULL) != 0)
		return 0;
	r = db_query(c, "SELECT id, key, action, coalesce(incident, left(key, 200) || '#' || id), severity, source,"
	    " text, delivered::text, attempts FROM notify_outbox"
	    " WHERE state = 'pending' AND next_try_at <= now() ORDER BY id LIMIT 1"
	    " FOR UPDATE SKIP LOCKED", 0, NULL);
	if (db_ok(r) && PQntuples(r) == 1)
		rc = notify_send_row(n, c, s, r);
	PQclear(r);
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
	return rc;
}

/* Sends what is due while this controller leads. */
static void
notify_pass(struct notify *n)
{
	struct strbuf err = STRBUF_INIT;
	struct settings s;

	if (sharedset_load(n->conn, n->settings, &s, &err) != 0)
		log_warnx("notify: %s", strbuf_str(&err));
	for (int i = 0; i < NOTIFY_PASS_MAX && !atomic_load(&n->stop) && leader_held(n->leader); i++)
		if (notify_one(n, &s) != 1)
			break;
	strbuf_clear(&err);
	if (PQstatus(n->conn) != CONNECTION_OK)
		notify_lost(n, "database connection lost");
}

/* Waits up to 200 ms for a NOTIFY; 1 when one came. */
static int
notify_wait(struct notify *n)
{
	struct pollfd p = { PQsocket(n->conn), POLLIN, 0 };
	PGnotify *m;
	int got = 0;

	if (poll(&p, 1, 200) > 0 && PQconsumeInput(n->conn) == 0) {
		char *why = xasprintf("database connection lost: %s", PQerrorMessage(n->conn));
		notify_lost(n, why);
		free(why);
		return 0;
	}
	while ((m = PQnotifies(n->conn)) != NULL) {
		got = 1;
		PQfreemem(m);
	}
	return got;
}

static void *
notify_main(void *arg)
{
	struct notify *n = arg;

	while (!atomic_load(&n->stop)) {
		double now = longpoll_now();
		int due;
		if (n->conn == NULL && now >= n->next_connect)
			notify_connect(n);
		if (n->conn == NULL) {
			poll(NULL, 0, 200);
			continue;
		}
		due = notify_wait(n);
		if (n->conn == NULL || !leader_held(n->leader))
			continue;
		if (leader_term(n->leader) != n->term) {
			n->term = leader_term(n->leader);
			due = 1;
		}
		if (due || now >= n->next_scan) {
			n->next_scan = now + 1.0;
			notify_pass(n);
		}
	}
	return NULL;
}

struct notify *
notify_start(const struct settings *s, const struct leader *leader, struct db_pool *pool,
    const char *name, struct strbuf *err)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	if (s->pagerduty_routing_key_file[0] != '\0' &&
	    (n->pd_key = secretfile_read_line(s->pagerduty_routing_key_file,
	    "PagerDuty routing key file", err)) == NULL) {
		free(n);
		return NULL;
	}
	n->settings = s;
	n->leader = leader;
	n->pool = pool;
	n->name = xstrdup(name);
	n->http = httpc_new();
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0)
		log_fatal("notify: pthread_create");
	return n;
}

void
notify_stop(struct notify *n)
{
	if (n == NULL)
		return;
	atomic_store(&n->stop, 1);
	pthread_join(n->thread, NULL);
	if (n->conn != NULL)
		PQfinish(n->conn);
	if (n->pd_key != NULL) {
		explicit_bzero(n->pd_key, strlen(n->pd_key));
		free(n->pd_key);
	}
	n->http = httpc_free(n->http);
	free(n->name);
	free(n);
}

void
notify_send(struct notify *n, const char *key, const char *text)
{
	struct strbuf err = STRBUF_INIT;
	struct notice m = { key, text, NULL, 0, "warning", NULL };
	PGconn *c = db_acquire(n->pool);

	if (outbox_put(c, &m, &err) < 0)
		log_warnx("notify: not queued: %s", strbuf_str(&err));
	db_release(n->pool, c);
	strbuf_clear(&err);
}
