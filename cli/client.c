/*
 * client.c: JSON over common/httpc for the CLI.
 *
 * SECURITY: the token goes only to the configured URL (httpc follows no
 * redirects) and never into a message.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "xalloc.h"

struct client {
	struct httpc *http;
	char *url;         /* without a trailing '/' */
	char *token;
	struct httpc_tls tls;
};

struct client *
client_new(const char *url, const char *token, struct httpc_tls *tls)
{
	struct client *c = xcalloc(1, sizeof(*c));
	size_t len = strlen(url);

	while (len > 0 && url[len - 1] == '/')
		len--;
	c->url = xstrndup(url, len);
	c->token = token ? xstrdup(token) : NULL;
	if (tls != NULL)
		httpc_tls_move(&c->tls, tls);
	c->http = httpc_new();
	return c;
}

struct client *
client_free(struct client *c)
{
	if (c == NULL)
		return NULL;
	httpc_free(c->http);
	free(c->url);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	httpc_tls_free(&c->tls);
	free(c);
	return NULL;
}

void
client_escape(struct strbuf *path, const char *s)
{
	httpc_escape(path, s);
}

/* The API's {"error": "..."} or a stand-in naming the status. */
static void
client_error(long status, const char *body, struct strbuf *err)
{
	json_error_t je;
	json_t *j = json_loads(body, 0, &je);
	const char *msg = json_string_value(json_object_get(j, "error"));

	if (msg != NULL && *msg != '\0')
		strbuf_appendf(err, "%s (HTTP %ld)", msg, status);
	else if (status == 401)
		strbuf_appendf(err, "not authorised: the token was refused (HTTP 401)");
	else if (status == 403)
		strbuf_appendf(err, "forbidden: the token's role may not do this (HTTP 403)");
	else
		strbuf_appendf(err, "the controller answered HTTP %ld", status);
	json_decref(j);
}

static int
client_exit_for(long status)
{
	if (status >= 200 && status < 300)
		return CLIENT_OK;
	if (status == 401 || status == 403 || status == 503)
		return CLIENT_UNREACHABLE;
	return CLIENT_FAILED;
}

int
client_call(struct client *c, const char *method, const char *path,
    const json_t *body, json_t **out, long *status, struct strbuf *err)
{
	struct httpc_response resp = { 0, STRBUF_INIT };
	char *url = xasprintf("%s%s", c->url, path);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct httpc_request req = { .method = method, .url = url, .token = c->token,
	    .body = text, .tls = &c->tls, .connect_timeout_ms = 5000,
	    .timeout_ms = 30000 };
	int rc;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	if (httpc_do(c->http, &req, &resp, err) != 0) {
		rc = CLIENT_UNREACHABLE;
		goto done;
	}
	if (status)
		*status = resp.status;
	rc = client_exit_for(resp.status);
	if (rc != CLIENT_OK) {
		client_error(resp.status, strbuf_str(&resp.body), err);
		goto done;
	}
	if (out && resp.body.len > 0) {
		json_error_t je;
		*out = json_loads(strbuf_str(&resp.body), 0, &je);
		if (*out == NULL) {
			strbuf_appendf(err, "%s %s: the answer is not JSON: %s", method, path, je.text);
			rc = CLIENT_FAILED;
		}
	}
done:
	strbuf_clear(&resp.body);
	free(text);
	free(url);
	return rc;
}
