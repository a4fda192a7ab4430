/*
 * api.c: the endpoint table, authentication, and the handlers' helpers.
 */
#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlimit.h"
#include "api_handlers.h"
#include "log.h"
#include "metrics.h"
#include "validate.h"
#include "xalloc.h"

#define R(role) (1u << (role))
#define READERS (R(ROLE_ADMIN) | R(ROLE_OPERATOR) | R(ROLE_VIEWER))
#define WRITERS (R(ROLE_ADMIN) | R(ROLE_OPERATOR))
#define PUBLIC 0u
/* No token needed; one that is sent is checked against the roles, and the
 * handler then gives more (GET /metrics: the routing state). */
#define TOKEN_OPTIONAL (1u << 30)

struct endpoint {
	const char *method;
	const char *pattern;       /* "{}" matches one object name */
	unsigned roles;            /* PUBLIC: no token needed */
	int node_seg;              /* agent tokens: path segment that must be their node, or -1 */
	api_handler *fn;
	const void *const *arg;    /* handed to the handler as req->route_arg */
};

static const struct endpoint endpoints[] = {
	{ "GET", "/healthz", PUBLIC, -1, api_healthz, NULL },
	{ "GET", "/readyz", PUBLIC, -1, api_readyz, NULL },
	{ "GET", "/metrics", TOKEN_OPTIONAL | READERS, -1, api_metrics, NULL },
	/* the on-call page holds no data: its script calls the API with a token */
	{ "GET", "/", PUBLIC, -1, api_ui_root, NULL },
	{ "GET", "/ui", PUBLIC, -1, api_ui_page, NULL },
	{ "GET", "/v1/nodes/{}/transport", READERS | R(ROLE_AGENT), 2, api_feed, NULL },
	{ "POST", "/v1/nodes/{}/report", R(ROLE_ADMIN) | R(ROLE_AGENT), 2, api_report, NULL },
	{ "GET", "/v1/routes", READERS, -1, api_routes_list, NULL },
	{ "PUT", "/v1/routes/{}", WRITERS, -1, api_route_put, NULL },
	{ "DELETE", "/v1/routes/{}", WRITERS, -1, api_route_delete, NULL },
	{ "GET", "/v1/relays", READERS, -1, api_object_list, &api_kind_relay },
	{ "GET", "/v1/relays/{}", READERS, -1, api_object_get, &api_kind_relay },
	{ "PUT", "/v1/relays/{}", WRITERS, -1, api_object_put, &api_kind_relay },
	{ "DELETE", "/v1/relays/{}", WRITERS, -1, api_object_delete, &api_kind_relay },
	{ "GET", "/v1/providers", READERS, -1, api_object_list, &api_kind_provider },
	{ "GET", "/v1/providers/{}", READERS, -1, api_object_get, &api_kind_provider },
	{ "PUT", "/v1/providers/{}", WRITERS, -1, api_object_put, &api_kind_provider },
	{ "DELETE", "/v1/providers/{}", WRITERS, -1, api_object_delete, &api_kind_provider },
	{ "GET", "/v1/nodes", READERS, -1, api_object_list, &api_kind_node },
	{ "GET", "/v1/nodes/{}", READERS, -1, api_object_get, &api_kind_node },
	{ "PUT", "/v1/nodes/{}", WRITERS, -1, api_object_put, &api_kind_node },
	{ "DELETE", "/v1/nodes/{}", WRITERS, -1, api_object_delete, &api_kind_node },
	{ "GET", "/v1/rules", READERS, -1, api_object_list, &api_kind_rule },
	{ "GET", "/v1/rules/{}", READERS, -1, api_object_get, &api_kind_rule },
	{ "PUT", "/v1/rules/{}", WRITERS, -1, api_object_put, &api_kind_rule },
	{ "DELETE", "/v1/rules/{}", WRITERS, -1, api_object_delete, &api_kind_rule },
	{ "GET", "/v1/holds", READERS, -1, api_holds_list, NULL },
	{ "PUT", "/v1/holds/{}", WRITERS, -1, api_hold_put, NULL },
	{ "DELETE", "/v1/holds/{}", WRITERS, -1, api_hold_delete, NULL },
	{ "GET", "/v1/history", READERS, -1, api_history, NULL },
	{ "GET", "/v1/history/chain", READERS, -1, api_history_chain, NULL },
	{ "GET", "/v1/status", READERS, -1, api_status, NULL },
	{ "POST", "/v1/events", R(ROLE_ADMIN) | R(ROLE_DETECTOR) | R(ROLE_AGENT), -1, api_events, NULL },
	{ "GET", "/v1/blocks", READERS | R(ROLE_DETECTOR), -1, api_blocks, NULL },
	{ "GET", "/v1/settings", READERS, -1, api_settings_list, NULL },
	{ "PUT", "/v1/settings/{}", R(ROLE_ADMIN), -1, api_setting_put, NULL },
};
#define NENDPOINTS ((int)(sizeof(endpoints) / sizeof(endpoints[0])))
_Static_assert(NENDPOINTS + 1 <= METRICS_MAX_ENDPOINTS,
    "every endpoint and \"other\" need their own request counters (metrics.h)");

static const char *endpoint_labels[NENDPOINTS + 1];

void
api_metrics_init(void)
{
	for (int i = 0; i < NENDPOINTS; i++)
		endpoint_labels[i] = xasprintf("%s %s", endpoints[i].method, endpoints[i].pattern);
	endpoint_labels[NENDPOINTS] = "unmatched";
	metrics_init(endpoint_labels, NENDPOINTS + 1);
}

/* Whether the request's path has the pattern's shape. */
static int
api_match(const char *pattern, const struct http_request *req)
{
	char buf[128];
	char *save = NULL;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", pattern);
	for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save), i++) {
		if (i >= req->nsegs)
			return 0;
		if (strcmp(t, "{}") != 0 && strcmp(t, req->segs[i]) != 0)
			return 0;
	}
	return i == req->nsegs;
}

static const char *
api_bearer(const struct http_request *req)
{
	const char *h = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

/* 0 when the token may call e; else answers 401/403/429/503 and returns
 * -1. An address that has spent its [server] auth_failures_per_minute
 * gets 429 without a lookup. */
static int
api_authorize(struct app *app, struct http_request *req, const struct endpoint *e,
    struct http_reply *rep)
{
	const char *secret = api_bearer(req);
	const struct sockaddr *addr = http_client_addr(req);
	double now = longpoll_now();
	int found, wait;

	if (e->roles == PUBLIC || ((e->roles & TOKEN_OPTIONAL) && api_bearer(req) == NULL))
		return 0;
	if ((wait = addrlimit_blocked(app->authfail, addr, now)) > 0) {
		api_error(rep, 429, "Authorization: too many refused tokens from this address;"
		    " retry in %d s", wait);
		rep->retry_after = wait;
		return -1;
	}
	if (secret == NULL || strlen(secret) > 200) {
		addrlimit_fail(app->authfail, addr, now);
		api_error(rep, 401, "Authorization: a bearer token is required");
		return -1;
	}
	found = token_authenticate(app->pool, secret, app->settings->token_cache_ms, &req->token);
	if (found < 0) {
		api_error(rep, 503, "database unavailable");
		rep->retry_after = 1;
		return -1;
	}
	if (found == 0) {
		addrlimit_fail(app->authfail, addr, now);
		api_error(rep, 401, "Authorization: unknown or revoked token");
		return -1;
	}
	if (!(e->roles & R(req->token.role))) {
		api_error(rep, 403, "token \"%s\" (role %s) may not %s %s", req->token.name,
		    token_role_name(req->token.role), e->method, e->pattern);
		return -1;
	}
	if (req->token.role == ROLE_AGENT && e->node_seg >= 0 &&
	    strcmp(req->token.node, req->segs[e->node_seg]) != 0) {
		api_error(rep, 403, "token \"%s\" is bound to node %s", req->token.name, req->token.node);
		return -1;
	}
	return 0;
}

int
api_admit(struct app *app, struct http_request *req, struct http_reply *rep)
{
	const struct endpoint *e = NULL;
	int path_known = 0;

	for (int i = 0; i < NENDPOINTS; i++) {
		if (!api_match(endpoints[i].pattern, req))
			continue;
		if (!path_known)
			rep->allow[0] = '\0';
		path_known = 1;
		size_t n = strlen(rep->allow);
		snprintf(rep->allow + n, sizeof(rep->allow) - n, "%s%s", n ? ", " : "",
		    endpoints[i].method);
		if (strcmp(endpoints[i].method, req->method) == 0) {
			e = &endpoints[i];
			req->endpoint = i;
			req->route_arg = e->arg ? *e->arg : NULL;
		}
	}
	if (e == NULL) {
		req->endpoint = NENDPOINTS;
		if (path_known) {
			api_error(rep, 405, "method %s not allowed on %s", req->method, req->path);
		} else {
			rep->allow[0] = '\0';
			api_error(rep, 404, "no such path");
		}
		return -1;
	}
	rep->allow[0] = '\0';
	return api_authorize(app, req, e, rep);
}

enum http_result
api_dispatch(struct app *app, struct http_request *req, struct http_reply *rep)
{
	enum api_result r;

	/* A resumed feed request has been authorised already. */
	if (req->waiter.state != LONGPOLL_IDLE) {
		r = api_feed(app, req, rep);
	} else if (req->endpoint < 0 || req->endpoint >= NENDPOINTS) {
		api_error(rep, 500, "request: not admitted");
		r = API_DONE;
	} else {
		r = endpoints[req->endpoint].fn(app, req, rep);
	}
	return r == API_SUSPENDED ? HTTP_SUSPENDED : HTTP_ANSWERED;
}

const struct http_router api_router = { api_admit, api_dispatch };

void
api_error(struct http_reply *rep, int status, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	http_error(rep, status, "%s", text);
}

void
api_too_many(struct http_reply *rep, long retry_s, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rep->retry_after = retry_s > 0 ? retry_s : 1;
	api_json(rep, 429, json_pack("{s:s, s:I}", "error", text, "retry_after", (json_int_t)rep->retry_after));
}

void
api_json(struct http_reply *rep, int status, json_t *o)
{
	free(rep->body);
	rep->status = status;
	rep->body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (rep->body == NULL)
		log_fatalx("api: cannot serialise a reply");
}

void
api_db_error(struct http_reply *rep, PGconn *c, PGresult *r, const char *what)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c);

	switch (db_class(c, r)) {
	case DB_DOWN:
		api_error(rep, 503, "database unavailable");
		rep->retry_after = 1;
		break;
	case DB_READONLY:
		/* a string without target_session_attrs=read-write reached a standby */
		log_warnx("%s: %.*s", what, (int)strcspn(m, "\n"), m);
		api_error(rep, 503, "%s: the database server is read-only (a standby?); writes wait"
		    " for a primary", what);
		rep->retry_after = 1;
		break;
	case DB_CONFLICT:
		api_error(rep, 409, "%s: conflicting change, try again", what);
		break;
	default:
		log_warnx("%s: %.*s", what, (int)strcspn(m, "\n"), m);
		api_error(rep, 500, "%s: internal error", what);
		break;
	}
}

json_t *
api_body(struct http_request *req, struct http_reply *rep, const char *const *allowed)
{
	json_error_t e;
	json_t *o;
	const char *key;
	json_t *v;

	if (req->body.len == 0) {
		api_error(rep, 400, "body: a JSON object is required");
		return NULL;
	}
	o = json_loadb(req->body.buf, req->body.len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL) {
		api_error(rep, 400, "body: malformed JSON at line %d column %d: %s", e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_error(rep, 400, "body: must be a JSON object");
		return NULL;
	}
	json_object_foreach(o, key, v) {
		int ok = 0;
		for (int i = 0; allowed[i] && !ok; i++)
			ok = strcmp(allowed[i], key) == 0;
		if (!ok) {
			api_error(rep, 400, "%.64s: unknown field", key);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* 1 with *v when the field is present, 0 when absent and optional, -1
 * after answering 400 when absent and required. */
static int
api_field(json_t *o, const char *key, int required, json_t **v, struct http_reply *rep)
{
	*v = json_object_get(o, key);
	if (*v != NULL && !json_is_null(*v))
		return 1;
	if (!required)
		return 0;
	api_error(rep, 400, "%s: required", key);
	return -1;
}

int
api_string(json_t *o, const char *key, int required, const char **out, struct http_reply *rep)
{
	json_t *v;
	int rc = api_field(o, key, required, &v, rep);

	if (rc <= 0)
		return rc;
	if (!json_is_string(v)) {
		api_error(rep, 400, "%s: must be a string", key);
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		api_error(rep, 400, "%s: contains a NUL character", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
api_int(json_t *o, const char *key, int required, long long min, long long max,
    long long *out, struct http_reply *rep)
{
	json_t *v;
	int rc = api_field(o, key, required, &v, rep);

	if (rc <= 0)
		return rc;
	if (!json_is_integer(v)) {
		api_error(rep, 400, "%s: must be an integer", key);
		return -1;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		api_error(rep, 400, "%s: must be between %lld and %lld", key, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
api_bool(json_t *o, const char *key, int required, int *out, struct http_reply *rep)
{
	json_t *v;
	int rc = api_field(o, key, required, &v, rep);

	if (rc <= 0)
		return rc;
	if (!json_is_boolean(v)) {
		api_error(rep, 400, "%s: must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int
api_reason(const char *value, int required, const char *field, struct http_reply *rep)
{
	size_t n = value ? strlen(value) : 0;

	if (n == 0 && required) {
		api_error(rep, 400, "%s: required, say why", field);
		return -1;
	}
	if (n > 1000) {
		api_error(rep, 400, "%s: longer than 1000 octets", field);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)value[i];
		if (ch < 0x20 || ch == 0x7f) {
			api_error(rep, 400, "%s: contains a control character", field);
			return -1;
		}
	}
	return 0;
}

int
api_name(const char *value, const char *field, struct http_reply *rep)
{
	const char *why = validate_name(value);

	if (why == NULL)
		return 0;
	api_error(rep, 400, "%s: %s", field, why);
	return -1;
}

json_t *
api_parse(const char *text)
{
	json_error_t e;

	if (text == NULL)
		return json_null();
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	return v ? v : json_null();
}

void
api_reply_doc(PGconn *c, struct http_reply *rep, const char *what, const char *sql,
    int nparams, const char *const *params)
{
	PGresult *fail = NULL;
	char *doc = NULL;

	if (db_one(c, sql, nparams, params, &doc, &fail) < 0)
		api_db_error(rep, c, fail, what);
	else
		api_json(rep, 200, api_parse(doc));
	PQclear(fail);
	free(doc);
}
