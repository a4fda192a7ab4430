/*
 * api_read.c: GET /v1/history and GET /v1/status.
 *
 * Filters are SQL parameters in one fixed statement; times are checked by
 * PostgreSQL's own timestamptz parser first so a bad one is a 400 naming
 * its field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"

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
			return -1;
		}
		api_error(rep, 400, "%s: not a time (use RFC 3339, e.g. 2026-11-27T18:00:00Z)", field);
		return -1;
	}
	return 0;
}

enum api_result
api_history(struct app *app, struct http_request *req, struct http_reply *rep)
{
	static const char *const names[] = { "provider", "node", "relay", "actor" };
	const char *p[8];
	const char *limit = http_query(req, "limit");
	char *end = NULL;

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
	p[7] = limit ? limit : "100";
	long n = strtol(p[7], &end, 10);
	if (*p[7] == '\0' || *end != '\0' || n < 1 || n > 10000) {
		api_error(rep, 400, "limit: must be an integer between 1 and 10000");
		return API_DONE;
	}
	PGconn *c = db_acquire(app->pool);
	if (api_check_time(c, p[5], "since", rep) == 0 && api_check_time(c, p[6], "until", rep) == 0)
		api_reply_doc(c, rep, "history",
		    "SELECT jsonb_build_object('history', coalesce(jsonb_agg(h ORDER BY h.id DESC), '[]'))"
		    " FROM (SELECT id, rfc3339(at) AS at, actor, action, object_type, object, provider,"
		    "  node, relay, before, after, reason, request_id, version FROM history"
		    "  WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR node = $2)"
		    "  AND ($3::text IS NULL OR relay = $3 OR before->>'relay' = $3 OR after->>'relay' = $3)"
		    "  AND ($4::text IS NULL OR actor = $4) AND ($5::text IS NULL OR action = $5)"
		    "  AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)"
		    "  ORDER BY id DESC LIMIT $8::int) h", 8, p);
	db_release(app->pool, c);
	return API_DONE;
}

enum api_result
api_status(struct app *app, struct http_request *req, struct http_reply *rep)
{
	PGconn *c = db_acquire(app->pool);

	(void)req;
	api_reply_doc(c, rep, "status",
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
	    "   FROM blocks b WHERE b.cleared_at IS NULL), '[]'),"
	    "  'surges', coalesce((SELECT jsonb_agg(jsonb_build_object('at', rfc3339(h.at),"
	    "   'node', h.node, 'sender', h.after->>'sender', 'rate', h.after->'rate',"
	    "   'baseline', h.after->'baseline', 'client_ips', h.after->'client_ips') ORDER BY h.id DESC)"
	    "   FROM history h WHERE h.action = 'volume.surge' AND h.at > now() - interval '24 hours'), '[]'),"
	    "  'holds', coalesce((SELECT jsonb_agg(doc ORDER BY sender COLLATE \"C\") FROM hold_json), '[]'))"
	    " FROM v", 0, NULL);
	db_release(app->pool, c);
	return API_DONE;
}
