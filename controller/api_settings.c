/*
 * api_settings.c: GET /v1/settings and PUT /v1/settings/{section.key}.
 *
 * The shared settings (sharedset.h) as the database holds them; an admin
 * changes one for every controller at once, with a setting.set history
 * row (actor: the token's name). Bad names and values are 400 and change
 * nothing.
 */
#include <stdlib.h>

#include "api_handlers.h"
#include "sharedset.h"

#define SETTING_DOC "jsonb_build_object('name', section || '.' || key, 'value', value," \
	" 'updated_at', rfc3339(updated_at), 'updated_by', updated_by)"

enum api_result
api_settings_list(struct app *app, struct http_request *req, struct http_reply *rep)
{
	(void)req;
	return api_read_doc(app, rep, "settings", "SELECT jsonb_build_object('settings',"
	    " coalesce(jsonb_agg(" SETTING_DOC " ORDER BY section, key), '[]')) FROM shared_settings",
	    0, NULL);
}

static const char *const setting_fields[] = { "value", NULL };

enum api_result
api_setting_put(struct app *app, struct http_request *req, struct http_reply *rep)
{
	json_t *body = api_body(req, rep, setting_fields);
	struct strbuf err = STRBUF_INIT;
	const char *value = NULL, *name = req->segs[2];
	PGconn *c;
	int rc;

	if (body == NULL)
		return API_DONE;
	if (api_string(body, "value", 1, &value, rep) != 0) {
		json_decref(body);
		return API_DONE;
	}
	c = db_acquire(app->pool);
	rc = sharedset_set(c, name, value, req->token.name, req->request_id, &err);
	if (rc > 0) {
		api_error(rep, 400, "%s", strbuf_str(&err));
	} else if (rc < 0) {
		api_error(rep, PQstatus(c) == CONNECTION_OK ? 500 : 503, "setting: %s", strbuf_str(&err));
	} else {
		const char *p[] = { name };
		api_reply_doc(c, rep, "setting", "SELECT " SETTING_DOC " FROM shared_settings"
		    " WHERE section || '.' || key = $1", 1, p);
	}
	db_release(app->pool, c);
	strbuf_clear(&err);
	json_decref(body);
	return API_DONE;
}
