/*
 * ctlclient.c: controller requests with URL failover over common/httpc
 * (see ctlclient.h).
 */
#include "ctlclient.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
ctlclient_init(struct ctlclient *cc, const struct agent_config *cfg,
    int (*abort_cb)(void *), void *abort_arg)
{
	memset(cc, 0, sizeof(*cc));
	cc->urls = cfg->urls;
	cc->nurls = cfg->nurls;
	cc->node = cfg->node;
	cc->token = cfg->token;
	cc->tls = &cfg->tls;
	cc->connect_timeout_ms = (long)cfg->connect_timeout_ms;
	cc->request_timeout_ms = (long)cfg->request_timeout_ms;
	cc->abort_cb = abort_cb;
	cc->abort_arg = abort_arg;
	cc->http = httpc_new();
}

void
ctlclient_clear(struct ctlclient *cc)
{
	cc->http = httpc_free(cc->http);
}

const char *
ctlclient_url(const struct ctlclient *cc)
{
	return cc->nurls > 0 ? cc->urls[cc->cur] : "";
}

static char *
ctlclient_full_url(const struct ctlclient *cc, size_t i, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = cc->urls[i];
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	strbuf_appendn(&sb, base, n);
	strbuf_append(&sb, path);
	return strbuf_detach(&sb);
}

char *
ctlclient_node_path(const struct ctlclient *cc, const char *tail)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_append(&sb, "/v1/nodes/");
	httpc_escape(&sb, cc->node);
	strbuf_append(&sb, tail);
	return strbuf_detach(&sb);
}

/* One request to URL i; returns 1 when the answer is final (any status
 * other than 5xx), 0 to try the next URL. */
static int
ctlclient_try(struct ctlclient *cc, size_t i, const char *method, const char *path,
    const char *body, long timeout_ms, struct httpc_response *resp, struct strbuf *err)
{
	char *url = ctlclient_full_url(cc, i, path);
	struct httpc_request req = { .method = method, .url = url, .token = cc->token,
	    .body = body, .tls = cc->tls, .connect_timeout_ms = cc->connect_timeout_ms,
	    .timeout_ms = timeout_ms, .abort_cb = cc->abort_cb, .abort_arg = cc->abort_arg };
	struct strbuf e = STRBUF_INIT;
	int final = 0;

	if (httpc_do(cc->http, &req, resp, &e) != 0) {
		strbuf_appendf(err, "%s%s", err->len ? "; " : "", strbuf_str(&e));
	} else if (resp->status >= 500) {
		strbuf_appendf(err, "%s%s %s: HTTP %ld", err->len ? "; " : "", method, url,
		    resp->status);
	} else {
		final = 1;
	}
	strbuf_clear(&e);
	free(url);
	return final;
}

int
ctlclient_call(struct ctlclient *cc, const char *method, const char *path,
    const char *body, long timeout_ms, struct httpc_response *resp, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;

	for (size_t k = 0; k < cc->nurls; k++) {
		size_t i = (cc->cur + k) % cc->nurls;
		if (ctlclient_try(cc, i, method, path, body, timeout_ms, resp, &e)) {
			cc->cur = i;
			strbuf_clear(&e);
			return 0;
		}
		if (cc->abort_cb != NULL && cc->abort_cb(cc->abort_arg))
			break;
	}
	strbuf_append(err, strbuf_str(&e));
	strbuf_clear(&e);
	return -1;
}

void
ctlclient_http_error(const struct httpc_response *resp, const char *what, struct strbuf *err)
{
	json_t *j = json_loads(strbuf_str(&resp->body), 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "error"));

	strbuf_appendf(err, "%s: HTTP %ld%s%.300s", what, resp->status, msg ? ": " : "",
	    msg ? msg : "");
	json_decref(j);
}

static char *
ctlclient_report_json(const struct ctlclient_report *r)
{
	json_t *o = json_pack("{s:I, s:s}", "version", (json_int_t)r->version,
	    "status", r->status);
	json_t *d = json_object();
	char *s;

	json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
	if (r->step != NULL)
		json_object_set_new(o, "step", json_string(r->step));
	for (size_t i = 0; r->dur_names != NULL && r->dur_names[i] != NULL; i++) {
		if (r->dur_ms[i] >= 0)
			json_object_set_new(d, r->dur_names[i], json_integer(r->dur_ms[i]));
	}
	json_object_set_new(o, "durations_ms", d);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int
ctlclient_report(struct ctlclient *cc, const struct ctlclient_report *r, struct strbuf *err)
{
	struct httpc_response resp = { 0, STRBUF_INIT };
	char *body = ctlclient_report_json(r), *path = ctlclient_node_path(cc, "/report");
	int rc = -1;

	if (ctlclient_call(cc, "POST", path, body, cc->request_timeout_ms, &resp, err) == 0) {
		if (resp.status == 200)
			rc = 0;
		else
			ctlclient_http_error(&resp, "report", err);
	}
	free(body);
	free(path);
	strbuf_clear(&resp.body);
	return rc;
}
