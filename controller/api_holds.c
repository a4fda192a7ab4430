/*
 * api_holds.c: GET /v1/holds, PUT and DELETE /v1/holds/{sender}.
 *
 * The sender is the URL-decoded path segment, checked with
 * validate_sender before anything is read or written: whitespace, line
 * breaks, control characters, '#', ',' and the like could otherwise add
 * a line or a list to the agents' access(5) map, so they are a 400 naming
 * the field. Writes go through senderhold.h inside one change. Holding a
 * sender that is held already is a 200 with "created": false and changes
 * nothing (no history row, no new version); releasing one that is not
 * held is a 404.
 */
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "change.h"
#include "senderhold.h"
#include "validate.h"

enum api_result
api_holds_list(struct app *app, struct http_request *req, struct http_reply *rep)
{
	(void)req;
	return api_read_doc(app, rep, "holds",
	    "SELECT jsonb_build_object('version', (SELECT version FROM routing_version),"
	    " 'holds', coalesce((SELECT jsonb_agg(doc ORDER BY sender COLLATE \"C\") FROM hold_json), '[]'))",
	    0, NULL);
}

/* The path's sender, or NULL after answering 400. */
static const char *
api_hold_sender(struct http_request *req, struct http_reply *rep)
{
	const char *sender = req->segs[2];
	const char *why = validate_sender(sender);

	if (why == NULL)
		return sender;
	api_error(rep, 400, "sender: %s", why);
	return NULL;
}

/* The routing version as it stands in ch's transaction; -1 on error. */
static long long
api_hold_version(struct change *ch)
{
	PGresult *fail = NULL;
	char *v = NULL;
	long long n = -1;

	if (db_one(ch->conn, "SELECT version FROM routing_version", 0, NULL, &v, &fail) == 1)
		n = atoll(v);
	if (fail != NULL) {
		PQclear(ch->error);
		ch->error = fail;
	}
	free(v);
	return n;
}

/* Hold or release inside one change; answers. */
static void
api_hold_write(struct app *app, struct http_request *req, struct http_reply *rep,
    const char *sender, const char *reason, int hold)
{
	PGconn *c = db_acquire(app->pool);
	struct change ch = { c, req->token.name, reason, req->request_id, 0, NULL, 0 };
	char *doc = NULL;
	int rc;

	if (change_begin(&ch) != 0) {
		api_db_error(rep, c, ch.error, "hold");
		goto out;
	}
	rc = hold ? senderhold_add(&ch, sender, "manual", reason, &doc)
	    : senderhold_release(&ch, sender, &doc);
	if (rc == 0 && hold)
		ch.version = api_hold_version(&ch);
	if (rc < 0 || ch.version < 0 || change_end(&ch, rc == 1) != 0) {
		api_db_error(rep, c, ch.error, "hold");
		if (PQtransactionStatus(c) != PQTRANS_IDLE)
			change_end(&ch, 0);
	} else if (rc == 0 && !hold) {
		api_error(rep, 404, "sender: \"%s\" is not held", sender);
	} else if (hold) {
		api_json(rep, 200, json_pack("{s:I, s:o, s:b}", "version", (json_int_t)ch.version,
		    "hold", api_parse(doc), "created", rc == 1));
	} else {
		api_json(rep, 200, json_pack("{s:I, s:o}", "version", (json_int_t)ch.version,
		    "released", api_parse(doc)));
	}
out:
	change_clear(&ch);
	free(doc);
	db_release(app->pool, c);
}

static const char *const hold_fields[] = { "reason", NULL };

enum api_result
api_hold_put(struct app *app, struct http_request *req, struct http_reply *rep)
{
	const char *sender = api_hold_sender(req, rep), *reason = NULL;
	json_t *body;

	if (sender == NULL || (body = api_body(req, rep, hold_fields)) == NULL)
		return API_DONE;
	if (api_string(body, "reason", 0, &reason, rep) == 0 &&
	    api_reason(reason, 0, "reason", rep) == 0)
		api_hold_write(app, req, rep, sender, reason, 1);
	json_decref(body);
	return API_DONE;
}

enum api_result
api_hold_delete(struct app *app, struct http_request *req, struct http_reply *rep)
{
	const char *sender = api_hold_sender(req, rep);
	const char *reason = http_query(req, "reason");

	if (sender == NULL || api_reason(reason, 0, "reason", rep) != 0)
		return API_DONE;
	api_hold_write(app, req, rep, sender, reason, 0);
	return API_DONE;
}
