/*
 * api_probe.c: /healthz, /readyz and /metrics (no token needed; with a
 * reader's token, /metrics adds the routing state: metricsdb.h).
 */
#include <stdlib.h>

#include "api_handlers.h"
#include "metrics.h"
#include "metricsdb.h"
#include "xalloc.h"

static void
api_text(struct http_reply *rep, int status, char *text)
{
	rep->status = status;
	rep->body = text;
	rep->content_type = "text/plain; charset=utf-8";
}

enum api_result
api_healthz(struct app *app, struct http_request *req, struct http_reply *rep)
{
	(void)app, (void)req;
	api_text(rep, 200, xstrdup("ok\n"));
	return API_DONE;
}

enum api_result
api_readyz(struct app *app, struct http_request *req, struct http_reply *rep)
{
	PGconn *c = db_acquire(app->pool);
	int ok = db_exec(c, "SELECT 1", 0, NULL) == 0;
	int ro = ok && db_read_only(c) == 1;

	(void)req;
	db_release(app->pool, c);
	if (ok && app->stopping)
		api_text(rep, 503, xstrdup("stopping\n"));
	else if (ro)   /* writes would fail: not ready */
		api_text(rep, 503, xstrdup("database read-only (a standby)\n"));
	else
		api_text(rep, ok ? 200 : 503, xstrdup(ok ? "ready\n" : "database unavailable\n"));
	return API_DONE;
}

enum api_result
api_metrics(struct app *app, struct http_request *req, struct http_reply *rep)
{
	struct strbuf sb = STRBUF_INIT;

	metrics_render(&sb);
	if (req->token.name[0] != '\0') {   /* a reader's token: the routing state too */
		PGconn *c = db_acquire(app->pool);
		metricsdb_render(c, &sb);
		db_release(app->pool, c);
	}
	api_text(rep, 200, strbuf_detach(&sb));
	rep->content_type = "text/plain; version=0.0.4";
	return API_DONE;
}
