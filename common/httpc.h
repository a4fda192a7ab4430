/*
 * httpc.h: the HTTP client of the agent, the CLI and the controller's
 * on-call notifications (notify_http.h), over libcurl.
 *
 * One struct httpc per thread; it keeps connections alive between calls.
 * Requests carry "Authorization: Bearer TOKEN" and JSON bodies. A transport
 * failure (connect, TLS, timeout, oversized answer) returns -1 with a
 * message in err; any HTTP status, 4xx and 5xx included, returns 0 and the
 * caller reads resp->status. Response bodies are capped (HTTPC_MAX_BODY).
 * A URL whose host is loopback is never sent through a proxy (http_proxy,
 * all_proxy): the exemption from TLS for loopback (httpc_url_cleartext_remote)
 * holds only while the request stays on this host.
 *
 * SECURITY: an error names the request "METHOD URL", unless it has a
 * label: a URL that holds a secret (a Slack webhook's) is labelled, so
 * that it appears in no log line and no database row.
 */
#ifndef POSTROUTE_HTTPC_H
#define POSTROUTE_HTTPC_H

#include "httpc_tls.h"
#include "strbuf.h"

#define HTTPC_MAX_BODY (64L * 1024 * 1024)

struct httpc;

struct httpc_request {
	const char *method;        /* "GET", "PUT", "POST", "DELETE" */
	const char *url;
	const char *token;         /* bearer token or NULL */
	const char *body;          /* JSON text or NULL */
	const struct httpc_tls *tls;   /* CA and client certificate, or NULL */
	long connect_timeout_ms;
	long timeout_ms;           /* whole request */
	/* Optional: polled about once a second while the request runs; a
	 * non-zero return aborts it (-1, "aborted"). For signal flags. */
	int (*abort_cb)(void *arg);
	void *abort_arg;
	/* Optional: errors read "label: reason" instead of "METHOD URL:
	 * reason", without the hints about the controller's TLS. */
	const char *label;
};

struct httpc_response {
	long status;
	struct strbuf body;
};

void httpc_global_init(void);
/* At exit, once every struct httpc is freed. */
void httpc_global_cleanup(void);
struct httpc *httpc_new(void);
struct httpc *httpc_free(struct httpc *h);
int httpc_do(struct httpc *h, const struct httpc_request *req,
    struct httpc_response *resp, struct strbuf *err);

/*
 * 1 when url is http:// (cleartext) to a host that is not loopback
 * (netaddr.h): the token and the routes would cross a network unprotected.
 * 0 for https://, for http:// to loopback, and for a URL that does not
 * parse (the caller's own checks report that).
 */
int httpc_url_cleartext_remote(const char *url);

/* Percent-encodes s for a URL path segment or query value. */
void httpc_escape(struct strbuf *out, const char *s);

#endif
