/*
 * api_read.c: GET /v1/history and GET /v1/status, and api_read_doc for
 * the GET endpoints whose answer is one SQL document.
 *
 * Filters are SQL parameters in one fixed statement; times are checked by
 * PostgreSQL's own timestamptz parser first so a bad one is a 400 naming
 * its field.
 *
 * A history reply is capped whatever limit= asks: at most
 * HISTORY_MAX_ROWS rows and HISTORY_MAX_BYTES octets of body. When the
 * cap left out rows the request asked for, the reply says
 * "truncated": true and "next_before_id": the id to pass as before_id=
 * for the next page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"

#define HISTORY_MAX_ROWS 1000
#define HISTORY_MAX_BYTES (4 * 1024 * 1024)
/* What the rows may take of HISTORY_MAX_BYTES: the rest is the envelope. */
#define HISTORY_ROW_BYTES (HISTORY_MAX_BYTES - 4096)

enum api_result
api_read_doc(struct app *app, struct http_reply *rep, const char *what, const char *sql,
    int nparams, const char *const *params)
{
	PGconn *c = db_acquire(app->pool);

	api_reply_doc(c, rep, what, sql, nparams, params);
	db_release(app->pool, c);
	return API_DONE;
}

static int
api_check_time(PGconn *c, const char *v, const char *field, struct http_reply *rep)
{
	PGresult *fail = NULL;
	const char *p[] = { v };

	if (v == NULL)
		return 0;
	if (strlen(v) > 64 || db_one(c, "SELECT $1::timestamptz", 1, p, NULL, &fail) < 0) {
		PQclear(fail);
		if (PQstatus(c) != CONNECTION_OK) {
			api_error(rep, 503, "database unavailable");
			rep->retry_after = 1;
			return -1;
		}
		api_error(rep, 400, "%s: not a time (use RFC 3339, e.g. 2026-11-27T18:00:00Z)", field);
		return -1;
	}
	return 0;
}

/* A positive integer query value; a huge one is LONG_MAX (capped later).
 * -1 after answering 400. */
static long
api_positive(const char *v, const char *field, struct http_reply *rep)
{
	char *end = NULL;
	long n;

	if (strspn(v, "0123456789") != strlen(v) || *v == '\0' ||
	    (n = strtol(v, &end, 10)) < 1) {
		api_error(rep, 400, "%s: must be a positive integer", field);
		return -1;
	}
	return n;
}

#define HISTORY_ROW "SELECT id, rfc3339(at) AS at, actor, action, object_type, object, provider," \
	"  node, relay, before, after, reason, request_id, version FROM history" \
	"  WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR node = $2)" \
	"  AND ($3::text IS NULL OR relay = $3 OR before->>'relay' = $3 OR after->>'relay' = $3)" \
	"  AND ($4::text IS NULL OR actor = $4) AND ($5::text IS NULL OR action = $5)" \
	"  AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)" \
	"  AND ($9::bigint IS NULL OR id < $9)"

/* The newest rows up to the caps: $8 is the rows wanted (capped), $10
 * the rows asked for, $11 the octets the rows may take (each row's JSON
 * text and the ", " that separates it). One row more is read to know
 * whether the cap left something out; the first row is always served.
 * The reply is PostgreSQL's text of this document as it stands, not
 * re-serialised, so its size is the one counted here. */
static const char history_sql[] =
    "WITH r AS (SELECT id, to_jsonb(x) AS doc FROM (" HISTORY_ROW
    "  ORDER BY id DESC LIMIT $8::int + 1) x),"
    " s AS (SELECT id, doc, row_number() OVER w AS n, sum(octet_length(doc::text) + 2) OVER w AS total"
    "  FROM r WINDOW w AS (ORDER BY id DESC)),"
    " k AS (SELECT id, doc FROM s WHERE n <= $8::int AND (n = 1 OR total <= $11::bigint)),"
    " t AS (SELECT (SELECT count(*) FROM k) < $10::bigint"
    "  AND (SELECT count(*) FROM s) > (SELECT count(*) FROM k) AS cut)"
    " SELECT jsonb_build_object('history', coalesce((SELECT jsonb_agg(doc ORDER BY id DESC) FROM k), '[]'),"
    "  'truncated', t.cut) || CASE WHEN t.cut THEN jsonb_build_object('next_before_id',"
    "  (SELECT min(id) FROM k)) ELSE '{}' END FROM t";

enum api_result
api_history(struct app *app, struct http_request *req, struct http_reply *rep)
{
	static const char *const names[] = { "provider", "node", "relay", "actor" };
	const char *p[11];
	const char *limit = http_query(req, "limit");
	char want[32], asked[32], bytes[32], before[32];
	long n, b;

	for (int i = 0; i < 4; i++) {
		p[i] = http_query(req, names[i]);
		if (p[i] != NULL && i < 3 && api_name(p[i], names[i], rep) != 0)
			return API_DONE;
		if (p[i] != NULL && i == 3 && api_reason(p[i], 0, "actor", rep) != 0)
			return API_DONE;
	}
	p[4] = http_query(req, "action");
	if (p[4] != NULL && strspn(p[4], "abcdefghijklmnopqrstuvwxyz._") != strlen(p[4])) {
		api_error(rep, 400, "action: not an action name (e.g. route.set)");
		return API_DONE;
	}
	p[5] = http_query(req, "since");
	p[6] = http_query(req, "until");
	if ((n = api_positive(limit ? limit : "100", "limit", rep)) < 0)
		return API_DONE;
	snprintf(asked, sizeof(asked), "%ld", n);
	snprintf(want, sizeof(want), "%ld", n < HISTORY_MAX_ROWS ? n : HISTORY_MAX_ROWS);
	snprintf(bytes, sizeof(bytes), "%d", HISTORY_ROW_BYTES);
	p[7] = want, p[9] = asked, p[10] = bytes;
	p[8] = http_query(req, "before_id");
	if (p[8] != NULL) {
		if ((b = api_positive(p[8], "before_id", rep)) < 0)
			return API_DONE;
		snprintf(before, sizeof(before), "%ld", b);
		p[8] = before;
	}
	PGconn *c = db_acquire(app->pool);
	PGresult *fail = NULL;
	char *doc = NULL;
	if (api_check_time(c, p[5], "since", rep) == 0 && api_check_time(c, p[6], "until", rep) == 0) {
		if (db_one(c, history_sql, 11, p, &doc, &fail) < 0 || doc == NULL) {
			api_db_error(rep, c, fail, "history");
		} else {
			free(rep->body);
			rep->status = 200;
			rep->body = doc;   /* owned by the reply now */
		}
	}
	PQclear(fail);
	db_release(app->pool, c);
	return API_DONE;
}

enum api_result
api_status(struct app *app, struct http_request *req, struct http_reply *rep)
{
	(void)req;
	return api_read_doc(app, rep, "status",
	    "WITH v AS (SELECT version FROM routing_version)"
	    " SELECT jsonb_build_object('version', v.version,"
	    "  'nodes', coalesce((SELECT jsonb_agg(jsonb_build_object('name', n.name, 'role', n.role,"
	    "   'relay', n.relay, 'applied_version', n.applied_version,"
	    "   'lag', v.version - coalesce(n.applied_version, 0),"
	    "   'last_status', n.last_status, 'last_error', n.last_error,"
	    "   'last_report_at', rfc3339(n.last_report_at), 'last_feed_at', rfc3339(n.last_feed_at),"
	    "   'connected', coalesce(n.last_feed_at > now() - interval '90 seconds', false),"
	    "   'behind_s', CASE WHEN coalesce(n.applied_version, 0) >= v.version THEN 0 ELSE"
	    "    coalesce(floor(extract(epoch FROM now() - (SELECT min(h.at) FROM history h"
	    "     WHERE h.version > coalesce(n.applied_version, 0))))::bigint, 0) END)"
	    "   ORDER BY n.name) FROM nodes n), '[]'),"
	    "  'blocks', coalesce((SELECT jsonb_agg(jsonb_build_object('node', b.node,"
	    "   'provider', b.provider, 'since', rfc3339(b.since), 'class', b.class,"
	    "   'counts', b.counts, 'reporter', b.reporter) ORDER BY b.since)"
	    "   FROM (SELECT * FROM blocks WHERE cleared_at IS NULL ORDER BY since DESC LIMIT 1000) b), '[]'),"
	    "  'surges', coalesce((SELECT jsonb_agg(jsonb_build_object('at', rfc3339(h.at),"
	    "   'node', h.node, 'sender', h.after->>'sender', 'rate', h.after->'rate',"
	    "   'baseline', h.after->'baseline', 'client_ips', h.after->'client_ips') ORDER BY h.id DESC)"
	    "   FROM (SELECT * FROM history WHERE action = 'volume.surge' AND at > now() - interval '24 hours'"
	    "    ORDER BY id DESC LIMIT 100) h), '[]'),"
	    "  'holds', coalesce((SELECT jsonb_agg(doc ORDER BY sender COLLATE \"C\") FROM hold_json), '[]'))"
	    " FROM v", 0, NULL);
}
