/*
 * api_feed.c: a node's transport feed (long-poll) and its reports.
 *
 * The feed answers from the in-memory snapshot; the database is read only
 * when the snapshot looks stale (unknown node, or a client ahead of it),
 * which also covers a NOTIFY that has not arrived yet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "log.h"
#include "sanitize.h"
#include "xalloc.h"

/* Retry-After of a wait refused over [server] max_waits_per_token: the
 * token's other wait is expected to end (answered, or its connection gone
 * and its own wait over) by then or the next try. */
#define API_FEED_RETRY_S 10

/* Parses a non-negative integer query argument; -1 after answering 400. */
static int
api_query_int(struct http_request *req, struct http_reply *rep, const char *key,
    long long max, long long *out)
{
	const char *v = http_query(req, key);
	char *end;

	if (v == NULL)
		return 0;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > max) {
		api_error(rep, 400, "%s: must be an integer between 0 and %lld", key, max);
		return -1;
	}
	*out = n;
	return 1;
}

/* Loads a fresh snapshot from the database and publishes it when newer;
 * *loaded is the database's version, or -1 when it could not be read. */
static struct snapshot *
api_feed_refresh(struct app *app, struct snapshot *old, long long *loaded)
{
	struct strbuf err = STRBUF_INIT;
	PGconn *c = db_acquire(app->pool);
	struct snapshot *s = snapshot_load(c, &err);

	db_release(app->pool, c);
	*loaded = s != NULL ? s->version : -1;
	if (s == NULL) {
		log_warnx("feed: %s", strbuf_str(&err));
		strbuf_clear(&err);
		return old;
	}
	if (old == NULL || s->version > old->version) {
		s->refs++;                    /* one for the long-poll, one for us */
		longpoll_publish(app->longpoll, s);
		longpoll_release(app->longpoll, old);
		return s;
	}
	snapshot_free(s);
	return old;
}

static void
api_feed_reply(struct http_reply *rep, const struct snapshot *s, const char *node)
{
	free(rep->body);
	rep->status = 200;
	rep->body = snapshot_feed_text(s, node);
}

static enum api_result
api_feed_resumed(struct app *app, struct http_request *req, struct http_reply *rep)
{
	struct snapshot *s = longpoll_current(app->longpoll);

	if (req->waiter.state == LONGPOLL_SHUTDOWN)
		api_error(rep, 503, "controller shutting down");
	else if (s != NULL && s->version != req->waiter.after)
		api_feed_reply(rep, s, req->segs[2]);
	else
		rep->status = 304;
	longpoll_release(app->longpoll, s);
	return API_DONE;
}

enum api_result
api_feed(struct app *app, struct http_request *req, struct http_reply *rep)
{
	const char *node = req->segs[2];
	long long after = -1, wait = 0, loaded = 0;
	int has_after;
	struct snapshot *s;

	if (req->waiter.state != LONGPOLL_IDLE)
		return api_feed_resumed(app, req, rep);
	if (api_name(node, "node", rep) != 0 ||
	    (has_after = api_query_int(req, rep, "after", (1LL << 53), &after)) < 0 ||
	    api_query_int(req, rep, "wait", app->settings->max_wait_ms / 1000, &wait) < 0)
		return API_DONE;
	s = longpoll_current(app->longpoll);
	/* A plain read (no "after") is answered from the database's state. */
	if (s == NULL || !has_after || snapshot_node(s, node) == NULL || after > s->version)
		s = api_feed_refresh(app, s, &loaded);
	if (s == NULL || (has_after && after > s->version && loaded < 0)) {
		longpoll_release(app->longpoll, s);   /* ahead of us: only the database can say */
		api_error(rep, 503, "database unavailable");
		rep->retry_after = 1;
		return API_DONE;
	}
	if (snapshot_node(s, node) == NULL) {
		api_error(rep, 404, "node: no such node \"%s\"", node);
	} else {
		if (req->token.role == ROLE_AGENT)
			presence_note(app->presence, node);
		/* a client ahead of the database (restored, or its version reset)
		 * gets the database's routes at once, not a wait for ever */
		if (!has_after || s->version != after) {
			api_feed_reply(rep, s, node);
		} else if (wait == 0) {
			rep->status = 304;
		} else {
			int rc = longpoll_wait(app->longpoll, &req->waiter, req->conn, after,
			    longpoll_now() + (double)wait, req->token.name,
			    (long)app->settings->max_waits_per_token);
			if (rc == 1) {
				longpoll_release(app->longpoll, s);
				return API_SUSPENDED;
			}
			if (rc == 0) {
				longpoll_release(app->longpoll, s);
				s = longpoll_current(app->longpoll);
				api_feed_reply(rep, s, node);
			} else if (rc == -2) {
				api_error(rep, 429, "wait: token \"%s\" already has %lld waiting feed"
				    " request(s) ([server] max_waits_per_token)", req->token.name,
				    app->settings->max_waits_per_token);
				rep->retry_after = API_FEED_RETRY_S;
			} else {
				api_error(rep, 503, "controller shutting down");
			}
		}
	}
	longpoll_release(app->longpoll, s);
	return API_DONE;
}

static const char *const report_fields[] = { "version", "status", "error", "step",
	"durations_ms", NULL };

enum api_result
api_report(struct app *app, struct http_request *req, struct http_reply *rep)
{
	const char *status = NULL, *error = NULL, *step = NULL;
	long long version = 0;
	json_t *body = api_body(req, rep, report_fields);
	char vbuf[32];
	PGresult *fail = NULL;

	if (body == NULL)
		return API_DONE;
	sanitize_json(body);    /* an agent's stderr may hold anything */
	if (api_int(body, "version", 1, 0, 1LL << 53, &version, rep) != 0 ||
	    api_string(body, "status", 1, &status, rep) != 0 ||
	    api_string(body, "error", 0, &error, rep) != 0 ||
	    api_string(body, "step", 0, &step, rep) != 0)
		goto out;
	if (step != NULL && !sanitize_step_known(step)) {
		api_error(rep, 400, "step: must be one of %s", sanitize_step_list());
		goto out;
	}
	if (strcmp(status, "applied") != 0 && strcmp(status, "failed") != 0) {
		api_error(rep, 400, "status: must be \"applied\" or \"failed\"");
		goto out;
	}
	if (strcmp(status, "failed") == 0 && (error == NULL || *error == '\0')) {
		api_error(rep, 400, "error: required when status is \"failed\"");
		goto out;
	}
	if (json_object_get(body, "durations_ms") && !json_is_object(json_object_get(body, "durations_ms"))) {
		api_error(rep, 400, "durations_ms: must be an object");
		goto out;
	}
	if (error != NULL && strlen(error) > 4000) {
		api_error(rep, 400, "error: longer than 4000 octets");
		goto out;
	}
	snprintf(vbuf, sizeof(vbuf), "%lld", version);
	const char *p[] = { req->segs[2], vbuf, status, error, step };
	PGconn *c = db_acquire(app->pool);
	int rc = db_one(c,
	    "UPDATE nodes SET last_status = $3, last_report_at = now(),"
	    " last_error = CASE WHEN $3 = 'failed' THEN coalesce($5 || ': ', '') || $4"
	    "  ELSE nullif($4, '') END,"
	    " applied_version = CASE WHEN $3 = 'applied' THEN $2::bigint ELSE applied_version END"
	    " WHERE name = $1 AND $2::bigint <= (SELECT version FROM routing_version)"
	    " RETURNING name", 5, p, NULL, &fail);
	if (rc < 0) {
		api_db_error(rep, c, fail, "report");
		PQclear(fail);
	} else if (rc == 0) {
		char *known = NULL;
		const char *q[] = { req->segs[2] };
		if (db_one(c, "SELECT name FROM nodes WHERE name = $1", 1, q, &known, &fail) == 1)
			api_error(rep, 400, "version: %lld is ahead of the controller", version);
		else
			api_error(rep, 404, "node: no such node \"%s\"", req->segs[2]);
		free(known);
		PQclear(fail);
	} else {
		api_json(rep, 200, json_object());
		if (strcmp(status, "applied") == 0 && error != NULL && *error != '\0')
			log_warnx("node %s applied version %lld: %s", req->segs[2], version, error);
		if (strcmp(status, "failed") == 0) {
			char *key = xasprintf("failed/%s", req->segs[2]);
			char *text = xasprintf(":warning: node %s failed to apply routing version %lld%s%s: %s",
			    req->segs[2], version, step ? " at step " : "", step ? step : "", error);
			notify_send(app->notify, key, text);
			free(key), free(text);
		}
	}
	db_release(app->pool, c);
out:
	json_decref(body);
	return API_DONE;
}
