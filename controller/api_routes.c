/*
 * api_routes.c: GET /v1/routes, PUT and DELETE /v1/routes/{provider}.
 *
 * Writes go through change.h: one transaction with the history row and the
 * version bump. A dry run performs the same change, reads the snapshots
 * before and after inside the transaction, and rolls back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "change.h"
#include "xalloc.h"

enum api_result
api_routes_list(struct app *app, struct http_request *req, struct http_reply *rep)
{
	(void)req;
	return api_read_doc(app, rep, "routes",
	    "SELECT jsonb_build_object('version', (SELECT version FROM routing_version),"
	    " 'routes', coalesce((SELECT jsonb_agg(doc ORDER BY provider, scope) FROM route_json), '[]'))",
	    0, NULL);
}

static int
api_dry_run(const struct http_request *req)
{
	const char *v = http_query(req, "dry_run");

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* Fails the request unless sql (one parameter) finds a row. */
static int
api_exists(PGconn *c, struct http_reply *rep, const char *sql, const char *name,
    int status, const char *what)
{
	PGresult *fail = NULL;
	const char *p[] = { name };
	int rc = db_one(c, sql, 1, p, NULL, &fail);

	if (rc < 0) {
		api_db_error(rep, c, fail, what);
		PQclear(fail);
		return -1;
	}
	if (rc == 0) {
		api_error(rep, status, "%s: no such %s \"%s\"", what, what, name);
		return -1;
	}
	return 0;
}

struct route_args {
	const char *provider, *scope, *relay, *reason;
	long long ttl;
	int dry;
};

static int
api_route_checks(PGconn *c, struct http_reply *rep, const struct route_args *a)
{
	PGresult *fail = NULL;
	char *drained = NULL;
	const char *p[] = { a->relay };
	int rc;

	if (api_exists(c, rep, "SELECT 1 FROM providers WHERE name = $1", a->provider, 404,
	    "provider") != 0)
		return -1;
	if (strcmp(a->scope, "*") != 0 &&
	    api_exists(c, rep, "SELECT 1 FROM nodes WHERE name = $1", a->scope, 400, "scope") != 0)
		return -1;
	if (a->relay == NULL)
		return 0;
	rc = db_one(c, "SELECT drained FROM relays WHERE name = $1", 1, p, &drained, &fail);
	if (rc < 0) {
		api_db_error(rep, c, fail, "relay");
		PQclear(fail);
		return -1;
	}
	if (rc == 0)
		api_error(rep, 400, "relay: no such relay \"%s\"", a->relay);
	else if (drained[0] == 't')
		api_error(rep, 409, "relay: \"%s\" is drained; undrain it first", a->relay);
	free(drained);
	return rc == 1 && rep->status == 0 ? 0 : -1;
}

static char *
api_route_doc(PGconn *c, const char *provider, const char *scope, PGresult **fail)
{
	const char *p[] = { provider, scope };
	char *doc = NULL;

	if (db_one(c, "SELECT doc FROM route_json WHERE provider = $1 AND scope = $2", 2, p, &doc,
	    fail) < 0)
		return NULL;
	return doc;
}

/* Runs the statement of a route change and records it; 0 or -1 (ch->error). */
static int
api_route_apply(struct change *ch, const struct route_args *a, const char *before,
    char **after)
{
	char ttl[32], *object = xasprintf("%s/%s", a->provider, a->scope);
	const char *p[] = { a->provider, a->scope, a->relay, a->reason, ch->actor,
		a->ttl > 0 ? ttl : NULL };
	PGresult *fail = NULL;
	int rc;

	snprintf(ttl, sizeof(ttl), "%lld", a->ttl);
	if (a->relay != NULL)
		rc = db_one(ch->conn,
		    "INSERT INTO routes (provider, scope, relay, origin, reason, actor, expires_at)"
		    " VALUES ($1, $2, $3, 'manual', $4, $5, now() + $6::bigint * interval '1 second')"
		    " ON CONFLICT (provider, scope) DO UPDATE SET relay = EXCLUDED.relay,"
		    " origin = 'manual', reason = EXCLUDED.reason, actor = EXCLUDED.actor,"
		    " created_at = now(), expires_at = EXCLUDED.expires_at RETURNING 1",
		    6, p, NULL, &fail);
	else
		rc = db_one(ch->conn, "DELETE FROM routes WHERE provider = $1 AND scope = $2"
		    " RETURNING 1", 2, p, NULL, &fail);
	if (rc >= 0 && a->relay != NULL)
		*after = api_route_doc(ch->conn, a->provider, a->scope, &fail);
	if (fail != NULL) {
		ch->error = fail;
		free(object);
		return -1;
	}
	json_t *b = api_parse(before);
	const char *relay = a->relay ? a->relay : json_string_value(json_object_get(b, "relay"));
	struct change_row row = { a->relay ? "route.set" : "route.delete", "route", object,
		a->provider, strcmp(a->scope, "*") ? a->scope : NULL, relay, before, *after };
	rc = change_record(ch, &row);
	json_decref(b);
	free(object);
	return rc;
}

/* The whole write: checks, change, dry-run diff or commit, reply. */
static void
api_route_write(struct app *app, struct http_request *req, struct http_reply *rep,
    const struct route_args *a)
{
	PGconn *c = db_acquire(app->pool);
	struct change ch = { c, req->token.name, a->reason, req->request_id, 0, NULL, 0 };
	struct snapshot *s0 = NULL, *s1 = NULL;
	struct strbuf err = STRBUF_INIT;
	char *before = NULL, *after = NULL;
	PGresult *fail = NULL;

	if (change_begin(&ch) != 0) {
		api_db_error(rep, c, ch.error, "route");
		goto out;
	}
	if (api_route_checks(c, rep, a) != 0)
		goto rollback;
	before = api_route_doc(c, a->provider, a->scope, &fail);
	if (fail != NULL) {
		api_db_error(rep, c, fail, "route");
		goto rollback;
	}
	if (a->relay == NULL && before == NULL) {
		api_error(rep, 404, "route: no route for provider \"%s\" with scope \"%s\"",
		    a->provider, a->scope);
		goto rollback;
	}
	if (a->dry && (s0 = snapshot_load(c, &err)) == NULL)
		goto dberr;
	if (api_route_apply(&ch, a, before, &after) != 0) {
		api_db_error(rep, c, ch.error, "route");
		goto rollback;
	}
	if (a->dry) {
		if ((s1 = snapshot_load(c, &err)) == NULL)
			goto dberr;
		api_json(rep, 200, json_pack("{s:b, s:o}", "dry_run", 1, "changes",
		    snapshot_diff_json(s0, s1)));
		goto rollback;
	}
	if (change_end(&ch, 1) != 0) {
		api_db_error(rep, c, ch.error, "route");
		goto out;
	}
	if (a->relay != NULL)
		api_json(rep, 200, json_pack("{s:I, s:o}", "version", (json_int_t)ch.version,
		    "route", api_parse(after)));
	else
		api_json(rep, 200, json_pack("{s:I, s:o}", "version", (json_int_t)ch.version,
		    "deleted", api_parse(before)));
	goto out;
dberr:
	api_db_error(rep, c, NULL, "route");
rollback:
	change_end(&ch, 0);
out:
	PQclear(fail);
	change_clear(&ch);
	snapshot_free(s0);
	snapshot_free(s1);
	strbuf_clear(&err);
	free(before);
	free(after);
	db_release(app->pool, c);
}

static const char *const route_fields[] = { "scope", "relay", "reason", "ttl", NULL };

enum api_result
api_route_put(struct app *app, struct http_request *req, struct http_reply *rep)
{
	struct route_args a = { .provider = req->segs[2], .scope = "*", .dry = api_dry_run(req) };
	json_t *body;

	if (api_name(a.provider, "provider", rep) != 0 ||
	    (body = api_body(req, rep, route_fields)) == NULL)
		return API_DONE;
	if (api_string(body, "scope", 0, &a.scope, rep) == 0 &&
	    (strcmp(a.scope, "*") == 0 || api_name(a.scope, "scope", rep) == 0) &&
	    api_string(body, "relay", 1, &a.relay, rep) == 0 &&
	    api_name(a.relay, "relay", rep) == 0 &&
	    api_string(body, "reason", 0, &a.reason, rep) == 0 &&
	    api_reason(a.reason, 1, "reason", rep) == 0 &&
	    api_int(body, "ttl", 0, 60, 14 * 86400, &a.ttl, rep) == 0)
		api_route_write(app, req, rep, &a);
	json_decref(body);
	return API_DONE;
}

enum api_result
api_route_delete(struct app *app, struct http_request *req, struct http_reply *rep)
{
	struct route_args a = { .provider = req->segs[2], .dry = api_dry_run(req) };
	const char *scope = http_query(req, "scope");

	a.scope = scope ? scope : "*";
	a.reason = http_query(req, "reason");
	if (api_name(a.provider, "provider", rep) != 0 ||
	    (strcmp(a.scope, "*") != 0 && api_name(a.scope, "scope", rep) != 0) ||
	    api_reason(a.reason, 1, "reason", rep) != 0)
		return API_DONE;
	api_route_write(app, req, rep, &a);
	return API_DONE;
}
