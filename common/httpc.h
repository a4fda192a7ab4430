/*
 * httpc.h: the HTTP client of the agent and the CLI, over libcurl.
 *
 * One struct httpc per thread; it keeps connections alive between calls.
 * Requests carry "Authorization: Bearer TOKEN" and JSON bodies. A transport
 * failure (connect, TLS, timeout, oversized answer) returns -1 with a
 * message in err; any HTTP status, 4xx and 5xx included, returns 0 and the
 * caller reads resp->status. Response bodies are capped (HTTPC_MAX_BODY).
 */
#ifndef POSTROUTE_HTTPC_H
#define POSTROUTE_HTTPC_H

#include "strbuf.h"

#define HTTPC_MAX_BODY (64L * 1024 * 1024)

struct httpc;

struct httpc_request {
	const char *method;        /* "GET", "PUT", "POST", "DELETE" */
	const char *url;
	const char *token;         /* bearer token or NULL */
	const char *body;          /* JSON text or NULL */
	const char *ca_file;       /* CA bundle for https, or NULL for the system's */
	long connect_timeout_ms;
	long timeout_ms;           /* whole request */
	/* Optional: polled about once a second while the request runs; a
	 * non-zero return aborts it (-1, "aborted"). For signal flags. */
	int (*abort_cb)(void *arg);
	void *abort_arg;
};

struct httpc_response {
	long status;
	struct strbuf body;
};

void httpc_global_init(void);
struct httpc *httpc_new(void);
struct httpc *httpc_free(struct httpc *h);
int httpc_do(struct httpc *h, const struct httpc_request *req,
    struct httpc_response *resp, struct strbuf *err);

/* Percent-encodes s for a URL path segment or query value. */
void httpc_escape(struct strbuf *out, const char *s);

#endif
