/*
 * http.h: postrouted's HTTP server on libmicrohttpd.
 *
 * One epoll-driven daemon with a small pool of threads; long-polls are
 * suspended connections (longpoll.h), so waiting agents cost no thread.
 * This module owns the per-request context (struct http_request),
 * accumulates bodies up to HTTP_MAX_BODY, enforces the content type, and
 * turns a struct http_reply into a response. What a path means is the
 * router's job (struct http_router, given to http_start: api.h's
 * api_admit and api_dispatch), so this module knows no endpoint.
 *
 * SECURITY: a request is routed and its token checked as soon as its
 * headers are in (the router's admit), and a refusal is answered then, before any
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

enum http_result { HTTP_ANSWERED, HTTP_SUSPENDED };

/* What a path means. Both are called on libmicrohttpd's threads. */
struct http_router {
	/* From the request line and headers alone, before any body is read:
	 * 0 when the request may go on, else -1 with the answer in rep. */
	int (*admit)(struct app *app, struct http_request *req, struct http_reply *rep);
	/* With the whole body: HTTP_ANSWERED with the answer in rep, or
	 * HTTP_SUSPENDED after parking the connection (longpoll_wait); the
	 * request comes back here when it is resumed. */
	enum http_result (*dispatch)(struct app *app, struct http_request *req,
	    struct http_reply *rep);
};

struct http_server;

/* Listens on [server] listen; router is borrowed. NULL with err. */
struct http_server *http_start(struct app *app, const struct http_router *router,
    struct strbuf *err);
/* Stops the daemon (every long-poll must have been resumed) and frees srv. */
void http_stop(struct http_server *srv);

/* Answers status with {"error": the formatted text}. */
void http_error(struct http_reply *rep, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *http_query(const struct http_request *req, const char *key);
const char *http_header(const struct http_request *req, const char *key);
/* The client's address (NULL if libmicrohttpd does not know it). */
const struct sockaddr *http_client_addr(const struct http_request *req);

#endif
