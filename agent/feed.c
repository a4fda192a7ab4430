/*
 * feed.c: feed long-poll and report over common/httpc (see feed.h).
 */
#include "feed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "strarr.h"
#include "xalloc.h"

void
feed_client_init(struct feed_client *fc)
{
	fc->http = httpc_new();
	fc->cur = 0;
}

void
feed_client_from_config(struct feed_client *fc, const struct agent_config *cfg,
    int (*abort_cb)(void *), void *abort_arg)
{
	memset(fc, 0, sizeof(*fc));
	fc->urls = cfg->urls;
	fc->nurls = cfg->nurls;
	fc->node = cfg->node;
	fc->token = cfg->token;
	fc->tls = &cfg->tls;
	fc->connect_timeout_ms = (long)cfg->connect_timeout_ms;
	fc->request_timeout_ms = (long)cfg->request_timeout_ms;
	fc->abort_cb = abort_cb;
	fc->abort_arg = abort_arg;
	feed_client_init(fc);
}

void
feed_client_release(struct feed_client *fc)
{
	fc->http = httpc_free(fc->http);
}

void
feed_release(struct feed *f)
{
	render_entries_free(f->entries, f->n);
	f->entries = NULL;
	f->n = 0;
	for (size_t i = 0; i < f->nproviders; i++) {
		struct feed_provider *p = &f->providers[i];
		free(p->name);
		strarr_free(p->domains, p->ndomains);
		strarr_free(p->mx_patterns, p->nmx);
	}
	free(f->providers);
	f->providers = NULL;
	f->nproviders = 0;
	strarr_free(f->holds, f->nholds);
	f->holds = NULL;
	f->nholds = 0;
	for (size_t i = 0; i < f->nrules; i++) {
		struct feed_rule *r = &f->rules[i];
		free(r->name), free(r->pattern), free(r->cls), free(r->reroutable), free(r->provider);
	}
	free(f->rules);
	f->rules = NULL;
	f->nrules = 0;
	f->has_rules = 0;
	free(f->warning);
	f->warning = NULL;
}

/* A string member, or NULL; -1 when present with another type. */
static int
feed_str(json_t *obj, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrndup(json_string_value(v), json_string_length(v));
	if (strlen(*out) != json_string_length(v)) {   /* embedded NUL */
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int
feed_entry(json_t *e, size_t i, struct render_entry *out, struct strbuf *err)
{
	static const char *names[] = { "domain", "nexthop", "provider" };
	char **slots[] = { &out->domain, &out->nexthop, &out->provider };

	if (!json_is_object(e)) {
		strbuf_appendf(err, "entries[%zu]: is not an object", i);
		return -1;
	}
	for (int k = 0; k < 3; k++) {
		if (feed_str(e, names[k], slots[k]) != 0) {
			strbuf_appendf(err, "entries[%zu].%s: is not a string", i, names[k]);
			return -1;
		}
	}
	if (out->domain == NULL || out->nexthop == NULL) {
		strbuf_appendf(err, "entries[%zu].%s: is missing", i,
		    out->domain == NULL ? "domain" : "nexthop");
		return -1;
	}
	return 0;
}

/* An optional array of strings at obj.key into *out (*n set as filled). */
static int
feed_strv(json_t *obj, const char *key, char ***out, size_t *n, const char *what,
    struct strbuf *err)
{
	json_t *a = json_object_get(obj, key);

	*out = NULL;
	*n = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a)) {
		strbuf_appendf(err, "%s%s: is not an array", what, key);
		return -1;
	}
	*out = xcalloc(json_array_size(a) + 1, sizeof(**out));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			strbuf_appendf(err, "%s%s[%zu]: is not a string", what, key, i);
			return -1;
		}
		(*out)[(*n)++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int
feed_provider(json_t *e, size_t i, struct feed_provider *out, struct strbuf *err)
{
	char what[48];

	snprintf(what, sizeof(what), "providers[%zu].", i);
	if (!json_is_object(e)) {
		strbuf_appendf(err, "providers[%zu]: is not an object", i);
		return -1;
	}
	if (feed_str(e, "name", &out->name) != 0 || out->name == NULL) {
		strbuf_appendf(err, "providers[%zu].name: is not a string", i);
		return -1;
	}
	if (feed_strv(e, "domains", &out->domains, &out->ndomains, what, err) != 0 ||
	    feed_strv(e, "mx_patterns", &out->mx_patterns, &out->nmx, what, err) != 0)
		return -1;
	return 0;
}

/* The optional "rules" member: an array of objects; a field of the wrong
 * type is left NULL (the rule is skipped later, with a report). */
static int
feed_rules(json_t *root, struct feed *out, struct strbuf *err)
{
	json_t *a = json_object_get(root, "rules");

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a)) {
		strbuf_append(err, "rules: is not an array");
		return -1;
	}
	out->has_rules = 1;
	out->rules = xcalloc(json_array_size(a) + 1, sizeof(*out->rules));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct feed_rule *r = &out->rules[out->nrules++];
		if (!json_is_object(e))
			continue;
		feed_str(e, "name", &r->name);
		feed_str(e, "pattern", &r->pattern);
		feed_str(e, "class", &r->cls);
		feed_str(e, "reroutable", &r->reroutable);
		feed_str(e, "provider", &r->provider);
	}
	return 0;
}

/* The optional "providers", "holds" and "rules" members. */
static int
feed_extras(json_t *root, struct feed *out, struct strbuf *err)
{
	if (feed_rules(root, out, err) != 0)
		return -1;
	json_t *prov = json_object_get(root, "providers");

	if (prov != NULL && !json_is_null(prov)) {
		if (!json_is_array(prov)) {
			strbuf_append(err, "providers: is not an array");
			return -1;
		}
		out->providers = xcalloc(json_array_size(prov) + 1, sizeof(*out->providers));
		for (size_t i = 0; i < json_array_size(prov); i++) {
			out->nproviders = i + 1;
			if (feed_provider(json_array_get(prov, i), i, &out->providers[i], err) != 0)
				return -1;
		}
	}
	return feed_strv(root, "holds", &out->holds, &out->nholds, "", err);
}

static int
feed_header(json_t *root, const char *node, struct feed *out, struct strbuf *err)
{
	json_t *n = json_object_get(root, "node"), *v = json_object_get(root, "version");

	if (!json_is_string(n) || strcmp(json_string_value(n), node) != 0) {
		strbuf_appendf(err, "node: is not \"%s\"", node);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		strbuf_append(err, "version: is not a non-negative integer");
		return -1;
	}
	out->version = json_integer_value(v);
	return 0;
}

int
feed_parse(const char *body, const char *node, struct feed *out, struct strbuf *err)
{
	json_error_t je;
	json_t *root = json_loads(body, JSON_REJECT_DUPLICATES, &je), *ents;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->version = -1;
	if (root == NULL || !json_is_object(root)) {
		strbuf_appendf(err, "feed: not a JSON object: %s", root ? "wrong type" : je.text);
		json_decref(root);
		return -1;
	}
	if (feed_header(root, node, out, err) != 0)
		goto bad;
	ents = json_object_get(root, "entries");
	if (!json_is_array(ents)) {
		strbuf_append(err, "entries: is not an array");
		goto bad;
	}
	out->entries = xcalloc(json_array_size(ents) + 1, sizeof(*out->entries));
	for (i = 0; i < json_array_size(ents); i++) {
		out->n = i + 1;
		if (feed_entry(json_array_get(ents, i), i, &out->entries[i], err) != 0)
			goto bad;
	}
	out->n = i;
	if (feed_extras(root, out, err) != 0)
		goto bad;
	json_decref(root);
	return 0;
bad:
	feed_release(out);
	json_decref(root);
	return -1;   /* out->version stays when the header parsed */
}

static char *
feed_url(const struct feed_client *fc, size_t i, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = fc->urls[i];
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	strbuf_appendn(&sb, base, n);
	strbuf_append(&sb, path);
	return strbuf_detach(&sb);
}

/* "/v1/nodes/NODE" + tail. */
static char *
feed_node_path(const struct feed_client *fc, const char *tail)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_append(&sb, "/v1/nodes/");
	httpc_escape(&sb, fc->node);
	strbuf_append(&sb, tail);
	return strbuf_detach(&sb);
}

/* One request to URL i; returns 1 when the answer is final (any status
 * other than 5xx), 0 to try the next URL. */
static int
feed_try(struct feed_client *fc, size_t i, const char *method, const char *path,
    const char *body, long timeout_ms, struct httpc_response *resp, struct strbuf *err)
{
	char *url = feed_url(fc, i, path);
	struct httpc_request req = { .method = method, .url = url, .token = fc->token,
	    .body = body, .tls = fc->tls, .connect_timeout_ms = fc->connect_timeout_ms,
	    .timeout_ms = timeout_ms, .abort_cb = fc->abort_cb, .abort_arg = fc->abort_arg };
	struct strbuf e = STRBUF_INIT;
	int final = 0;

	if (httpc_do(fc->http, &req, resp, &e) != 0) {
		strbuf_appendf(err, "%s%s", err->len ? "; " : "", strbuf_str(&e));
	} else if (resp->status >= 500) {
		strbuf_appendf(err, "%s%s %s: HTTP %ld", err->len ? "; " : "", method, url,
		    resp->status);
	} else {
		final = 1;
	}
	strbuf_release(&e);
	free(url);
	return final;
}

int
feed_call(struct feed_client *fc, const char *method, const char *path,
    const char *body, long timeout_ms, struct httpc_response *resp, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;

	for (size_t k = 0; k < fc->nurls; k++) {
		size_t i = (fc->cur + k) % fc->nurls;
		if (feed_try(fc, i, method, path, body, timeout_ms, resp, &e)) {
			fc->cur = i;
			strbuf_release(&e);
			return 0;
		}
		if (fc->abort_cb != NULL && fc->abort_cb(fc->abort_arg))
			break;
	}
	strbuf_append(err, strbuf_str(&e));
	strbuf_release(&e);
	return -1;
}

void
feed_http_error(const struct httpc_response *resp, const char *what, struct strbuf *err)
{
	json_t *j = json_loads(strbuf_str(&resp->body), 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "error"));

	strbuf_appendf(err, "%s: HTTP %ld%s%.300s", what, resp->status, msg ? ": " : "",
	    msg ? msg : "");
	json_decref(j);
}

enum feed_result
feed_fetch(struct feed_client *fc, long long after, int wait_s, struct feed *out,
    struct strbuf *err)
{
	struct httpc_response resp = { 0, STRBUF_INIT };
	char tail[96];
	enum feed_result r = FEED_ERROR;

	if (after >= 0)
		snprintf(tail, sizeof(tail), "/transport?after=%lld&wait=%d", after, wait_s);
	else
		snprintf(tail, sizeof(tail), "/transport");
	char *path = feed_node_path(fc, tail);
	int rc = feed_call(fc, "GET", path, NULL, wait_s * 1000L + fc->request_timeout_ms,
	    &resp, err);
	free(path);
	if (rc != 0)
		goto done;
	if (resp.status == 304) {
		r = FEED_SAME;
	} else if (resp.status != 200) {
		feed_http_error(&resp, "feed", err);
	} else {
		r = feed_parse(strbuf_str(&resp.body), fc->node, out, err) == 0 ? FEED_NEW : FEED_BAD;
	}
done:
	strbuf_release(&resp.body);
	return r;
}

static char *
feed_report_json(const struct feed_report *r)
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
feed_report_send(struct feed_client *fc, const struct feed_report *r, struct strbuf *err)
{
	struct httpc_response resp = { 0, STRBUF_INIT };
	char *body = feed_report_json(r), *path = feed_node_path(fc, "/report");
	int rc = -1;

	if (feed_call(fc, "POST", path, body, fc->request_timeout_ms, &resp, err) == 0) {
		if (resp.status == 200)
			rc = 0;
		else
			feed_http_error(&resp, "report", err);
	}
	free(body);
	free(path);
	strbuf_release(&resp.body);
	return rc;
}
