/*
 * http.h: postrouted's HTTP server on libmicrohttpd.
 *
 * One epoll-driven daemon with a small pool of threads; long-polls are
 * suspended connections (feed.h), so waiting agents cost no thread. This
 * module owns the per-request context (struct http_request), accumulates
 * bodies up to HTTP_MAX_BODY, enforces the content type, and turns a
 * struct http_reply into a response. What a path means is api.c's job.
 *
 * SECURITY: a request is routed and its token checked as soon as its
 * headers are in (api_admit), and a refusal is answered then, before any
 * body is read (libmicrohttpd closes such a connection after the answer);
 * a Content-Length above 64 KiB is refused with 413 at that point too, and
 * a larger chunked body is discarded as it comes and refused with 413.
 * Each connection has [server] request_timeout to send a whole request
 * (connguard.h); one client address may hold [server]
 * max_connections_per_ip connections (more are closed on accept); every response is JSON or plain text built by the server, but the
 * on-call page (api_ui.c), which is embedded at build time. A URL
 * with an encoded NUL (%00) is refused with 400: libmicrohttpd hands the
 * decoded path and query values over as C strings, so "a%00b" would
 * otherwise arrive as "a", a different and possibly valid name. With
 * mutual TLS (tls.h), a request whose client certificate does not verify
 * is answered 403 and its body is not kept.
 */
#ifndef POSTROUTE_HTTP_H
#define POSTROUTE_HTTP_H

#include <microhttpd.h>

#include "app.h"
#include "longpoll.h"
#include "strbuf.h"
#include "token.h"

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_SEGS 8

struct http_request {
	struct MHD_Connection *conn;
	char method[8];
	char *path;                    /* owned copy of the URL path */
	char *segs[HTTP_MAX_SEGS];     /* point into segbuf */
	int nsegs;
	char *segbuf;
	struct strbuf body;
	int body_too_large;
	int nul_in_url;                /* the raw URL holds %00 */
	const char *tls_refused;       /* why the client certificate is refused, or NULL */
	int endpoint;                  /* metrics label index, -1 unknown */
	double started;                /* longpoll_now() at arrival, for its duration */
	const void *route_arg;         /* the endpoint's argument, for shared handlers */
	char request_id[48];
	struct token_info token;
	struct longpoll_waiter waiter;
	struct app *app;
};

struct http_reply {
	int status;
	char *body;                    /* owned; NULL = empty */
	const char *content_type;      /* default application/json */
	char allow[64];                /* Allow header for 405 */
	long retry_after;              /* > 0: Retry-After header, in seconds (429, 503) */
	const char *const *headers;    /* NULL, or more headers: name, value, ..., NULL */
};

struct MHD_Daemon *http_start(struct app *app, struct strbuf *err);
void http_stop(struct MHD_Daemon *d);

const char *http_query(const struct http_request *req, const char *key);
const char *http_header(const struct http_request *req, const char *key);
/* The client's address (NULL if libmicrohttpd does not know it). */
const struct sockaddr *http_client_addr(const struct http_request *req);

#endif
