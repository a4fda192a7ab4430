/*
 * api_events.c: POST /v1/events (block, clear, volume) and GET /v1/blocks.
 *
 * An event is validated, then handed to the policy inside one change:
 * block row, routes, history and the notification (outbox.h) commit
 * together, with the shared settings read from the database (sharedset.h). An agent token may report events about
 * its own node only, a detector token about the nodes it is bound to
 * (token_may_report): any other node is 403, changes nothing, and on-call
 * is told (once per token per dedup window: notify.h). Each token may send
 * [server] events_per_minute events to this controller (ratelimit.h; more
 * get 429), and what is stored of an event is capped (evidence.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "change.h"
#include "evidence.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "policy.h"
#include "sanitize.h"
#include "sharedset.h"
#include "token.h"
#include "xalloc.h"

static const char *const event_fields[] = { "type", "node", "provider", "class", "count",
	"attempts", "window_s", "at", "samples", "sender", "rate", "baseline", "client_ips",
	"deferred", "bounced",
	"queue_ids", "sender_kind", "reason", NULL };

/* Printable ASCII without spaces: senders and classes. */
static int
api_token_text(const char *v, const char *field, size_t max, struct http_reply *rep)
{
	size_t n = strlen(v);

	if (n == 0 || n > max) {
		api_error(rep, 400, "%s: must be 1 to %zu characters", field, max);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= 0x20 || c >= 0x7f) {
			api_error(rep, 400, "%s: contains whitespace, a control or a non-ASCII character", field);
			return -1;
		}
	}
	return 0;
}

/* samples and queue_ids: arrays of at most 20 strings (evidence.h). */
static int
api_evidence_lists(json_t *body, struct http_reply *rep)
{
	static const char *const lists[] = { "samples", "queue_ids" };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const char *why = evidence_check_list(body, lists[i]);
		if (why != NULL) {
			api_error(rep, 400, "%s: %s", lists[i], why);
			return -1;
		}
	}
	return 0;
}

/* An optional non-negative number (integer or not); 1 when present, 0
 * when absent, -1 after answering 400. */
static int
api_event_number(json_t *body, const char *key, double *out, struct http_reply *rep)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e15) {
		api_error(rep, 400, "%s: must be a number between 0 and 1e15", key);
		return -1;
	}
	*out = json_number_value(v);
	return 1;
}

/* "sasl" (a SASL login) or "envelope" (an address anyone can forge);
 * optional: an event that does not say is never held automatically. */
static int
api_sender_kind(json_t *body, struct policy_event *ev, struct http_reply *rep)
{
	if (api_string(body, "sender_kind", 0, &ev->sender_kind, rep) != 0)
		return -1;
	if (ev->sender_kind != NULL && strcmp(ev->sender_kind, "sasl") != 0 &&
	    strcmp(ev->sender_kind, "envelope") != 0) {
		api_error(rep, 400, "sender_kind: must be \"sasl\" or \"envelope\"");
		return -1;
	}
	return 0;
}

/* A volume event's reason (optional; kept in its evidence only): "rate",
 * "client_ips" or "node_total", as the agent's encoder writes it. */
static int
api_event_reason(json_t *body, struct http_reply *rep)
{
	const char *r = NULL;

	if (api_string(body, "reason", 0, &r, rep) != 0)
		return -1;
	if (r != NULL && strcmp(r, "rate") != 0 && strcmp(r, "client_ips") != 0 &&
	    strcmp(r, "node_total") != 0) {
		api_error(rep, 400, "reason: must be \"rate\", \"client_ips\" or \"node_total\"");
		return -1;
	}
	return 0;
}

/* The figures of a volume event: rate, baseline, client_ips, deferred, bounced. */
static int
api_event_volume(json_t *body, struct policy_event *ev, struct http_reply *rep)
{
	json_t *ips = json_object_get(body, "client_ips");

	if (api_string(body, "sender", 1, &ev->sender, rep) != 0 ||
	    api_token_text(ev->sender, "sender", 320, rep) != 0 ||
	    api_sender_kind(body, ev, rep) != 0 ||
	    (ev->has_rate = api_event_number(body, "rate", &ev->rate, rep)) < 0 ||
	    (ev->has_baseline = api_event_number(body, "baseline", &ev->baseline, rep)) < 0)
		return -1;
	ev->has_client_ips = ips != NULL && !json_is_null(ips);
	if (ev->has_client_ips &&
	    api_int(body, "client_ips", 1, 0, 1000000000, &ev->client_ips, rep) != 0)
		return -1;
	ev->deferred = ev->bounced = -1;
	if (api_int(body, "deferred", 0, 0, 1000000000, &ev->deferred, rep) != 0 ||
	    api_int(body, "bounced", 0, 0, 1000000000, &ev->bounced, rep) != 0)
		return -1;
	return 0;
}

static int
api_event_parse(json_t *body, struct policy_event *ev, struct http_reply *rep)
{
	if (api_string(body, "type", 1, &ev->type, rep) != 0 || api_string(body, "node", 1, &ev->node, rep) != 0 ||
	    api_name(ev->node, "node", rep) != 0 || api_string(body, "at", 0, &ev->at, rep) != 0 ||
	    api_int(body, "window_s", 0, 0, 7 * 86400, &ev->window_s, rep) != 0 ||
	    api_evidence_lists(body, rep) != 0 || api_event_reason(body, rep) != 0)
		return -1;
	if (strcmp(ev->type, "volume") == 0)
		return api_event_volume(body, ev, rep);
	if (strcmp(ev->type, "block") != 0 && strcmp(ev->type, "clear") != 0) {
		api_error(rep, 400, "type: must be \"block\", \"clear\" or \"volume\"");
		return -1;
	}
	ev->class_ = "unknown";
	if (api_string(body, "provider", 1, &ev->provider, rep) != 0 ||
	    api_name(ev->provider, "provider", rep) != 0 ||
	    api_string(body, "class", strcmp(ev->type, "block") == 0, &ev->class_, rep) != 0 ||
	    api_token_text(ev->class_, "class", 64, rep) != 0 ||
	    api_int(body, "count", 0, 0, 1LL << 40, &ev->count, rep) != 0 ||
	    api_int(body, "attempts", 0, 0, 1LL << 40, &ev->attempts, rep) != 0)
		return -1;
	return 0;
}

/*
 * The reporter's "at", clamped to now - 1 hour .. now + 1 minute: a
 * reporter's clock (or a hostile one) may neither backdate a block by
 * days nor date it in the future. *at is the clamped time (RFC 3339) that
 * replaces ev->at; -1 after answering 400 (or 503).
 */
static int
api_event_at(PGconn *c, struct policy_event *ev, char **at, struct http_reply *rep)
{
	const char *p[] = { ev->at };
	PGresult *fail = NULL;

	if (db_one(c, "SELECT rfc3339(greatest(least($1::timestamptz, now() + interval '1 minute'),"
	    " now() - interval '1 hour'))", 1, p, at, &fail) < 0) {
		api_error(rep, PQstatus(c) == CONNECTION_OK ? 400 : 503, "at: not a time (RFC 3339)");
		PQclear(fail);
		return -1;
	}
	ev->at = *at;
	return 0;
}

/*
 * Queues the event's message in its change (outbox.h): a block is a
 * trigger of incident block/NODE/PROVIDER, its clear the resolve of the
 * same incident; a surge has no incident.
 */
static int
api_event_notice(struct change *ch, const struct policy_event *ev, struct strbuf *summary,
    struct strbuf *key)
{
	struct strbuf err = STRBUF_INIT;
	int block = strcmp(ev->type, "block") == 0, clear = strcmp(ev->type, "clear") == 0;
	char *incident = block || clear ? xasprintf("block/%s/%s", ev->node, ev->provider) : NULL;
	struct notice n = { strbuf_str(key), strbuf_str(summary), incident, clear,
		block ? "error" : clear ? "info" : "warning", ev->node };
	int rc = 0;

	if (summary->len > 0 && outbox_put(ch->conn, &n, &err) < 0) {
		log_warnx("%s", strbuf_str(&err));
		rc = -1;
	}
	free(incident);
	strbuf_clear(&err);
	return rc;
}

static void
api_event_commit(struct app *app, struct http_request *req, struct http_reply *rep,
    struct policy_event *ev)
{
	PGconn *c = db_acquire(app->pool);
	struct change ch = { c, req->token.name, NULL, req->request_id, 0, NULL, 0 };
	struct strbuf summary = STRBUF_INIT, key = STRBUF_INIT, err = STRBUF_INIT;
	struct settings s;
	PGresult *fail = NULL;
	struct policy_outcome outcome = { NULL, NULL };
	const char *p[] = { ev->node, ev->at };
	char *at = NULL;
	int rc;

	if (ev->at != NULL && api_event_at(c, ev, &at, rep) != 0)
		goto out;
	ev->outcome = &outcome;
	if (change_begin(&ch) != 0) {
		api_db_error(rep, c, ch.error, "event");
		goto out;
	}
	rc = db_one(c, "SELECT 1 FROM nodes WHERE name = $1", 1, p, NULL, &fail);
	if (rc == 0)
		api_error(rep, 404, "node: no such node \"%s\"", ev->node);
	else if (rc < 0)
		api_db_error(rep, c, fail, "event");
	else if (sharedset_load(c, app->settings, &s, &err) != 0)
		api_error(rep, 503, "event: %s", strbuf_str(&err));
	else if (policy_handle(&ch, &s, ev, &summary, &key) != 0 ||
	    api_event_notice(&ch, ev, &summary, &key) != 0 || change_end(&ch, 1) != 0)
		api_db_error(rep, c, ch.error, "event");
	else {
		if (outcome.action != NULL)
			metrics_count_policy(outcome.action, outcome.reason);
		api_json(rep, 200, json_pack("{s:I, s:s}", "version", (json_int_t)ch.version,
		    "outcome", strbuf_str(&summary)));
	}
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		change_end(&ch, 0);
out:
	free(at);
	PQclear(fail);
	change_clear(&ch);
	strbuf_clear(&summary);
	strbuf_clear(&key);
	strbuf_clear(&err);
	db_release(app->pool, c);
}

/* 0 when the token may report about node; else answers 403 (or 503) and
 * returns -1. */
static int
api_event_node_allowed(struct app *app, struct http_request *req, struct http_reply *rep,
    const char *node)
{
	struct strbuf why = STRBUF_INIT;
	PGconn *c = req->token.role == ROLE_DETECTOR ? db_acquire(app->pool) : NULL;
	int rc = token_may_report(c, &req->token, node, &why);

	if (c != NULL)
		db_release(app->pool, c);
	if (rc == 0) {
		char *key = xasprintf("token-node/%s", req->token.name);
		api_error(rep, 403, "%s", strbuf_str(&why));
		log_warnx("request %s: event refused: %s", req->request_id, strbuf_str(&why));
		notify_send(app->notify, key, strbuf_str(&why));
		free(key);
	} else if (rc < 0) {
		api_error(rep, 503, "event: could not check the token's nodes");
	}
	strbuf_clear(&why);
	return rc == 1 ? 0 : -1;
}

/* 0 when the token may send one more event now; else answers 429. */
static int
api_events_limited(struct app *app, struct http_request *req, struct http_reply *rep)
{
	long retry = 0;

	if (ratelimit_take(app->event_limit, req->token.name, ratelimit_now(), &retry))
		return 0;
	metrics_count_events_rate_limited();
	api_too_many(rep, retry, "events: token \"%s\" sent %lld events in the last minute, the"
	    " most [server] events_per_minute allows; retry in %ld s", req->token.name,
	    app->settings->events_per_minute, retry);
	return -1;
}

enum api_result
api_events(struct app *app, struct http_request *req, struct http_reply *rep)
{
	struct policy_event ev = { .reporter = req->token.name };
	json_t *body;
	char *evidence = NULL;

	if (api_events_limited(app, req, rep) != 0)
		return API_DONE;
	if ((body = api_body(req, rep, event_fields)) == NULL)
		return API_DONE;
	sanitize_json(body);    /* no control character is stored, logged or notified */
	if (api_event_parse(body, &ev, rep) == 0) {
		if (api_event_node_allowed(app, req, rep, ev.node) == 0) {
			evidence = evidence_text(body);
			ev.evidence = evidence;
			api_event_commit(app, req, rep, &ev);
		}
	}
	free(evidence);
	json_decref(body);
	return API_DONE;
}

enum api_result
api_blocks(struct app *app, struct http_request *req, struct http_reply *rep)
{
	const char *all = http_query(req, "all");
	const char *p[] = { all && strcmp(all, "1") == 0 ? "t" : "f" };

	/* the newest 1000 at most: cleared blocks pile up, and each carries
	 * up to 20 samples */
	return api_read_doc(app, rep, "blocks", "SELECT jsonb_build_object('blocks', coalesce(jsonb_agg(doc"
	    " ORDER BY n) FILTER (WHERE n <= 1000), '[]'), 'truncated', count(*) > 1000)"
	    " FROM (SELECT row_number() OVER (ORDER BY since DESC, id DESC) AS n, jsonb_build_object("
	    "'id', id, 'node', node, 'provider', provider, 'since', rfc3339(since), 'class', class,"
	    " 'counts', counts, 'samples', samples, 'reporter', reporter,"
	    " 'cleared_at', rfc3339(cleared_at)) AS doc"
	    " FROM blocks WHERE cleared_at IS NULL OR $1::boolean ORDER BY since DESC, id DESC LIMIT 1001) b",
	    1, p);
}
