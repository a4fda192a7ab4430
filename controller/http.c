/*
 * http.c: libmicrohttpd glue.
 *
 * Owns the daemon and struct http_server; each request's context from
 * its headers until libmicrohttpd reports it completed.
 */
#include "http.h"

#include <jansson.h>
#include <netdb.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "tls.h"
#include "xalloc.h"

/* Per-connection memory pool of libmicrohttpd (request line and headers,
 * response headers; bodies are separate buffers). Its default is 32 KiB,
 * which libmicrohttpd zeroes on every keep-alive request, so each idle or
 * waiting connection costs all of it: 160 MB of RSS at 5,000 waiting
 * feeds. Our requests have a few hundred bytes of headers. */
#define HTTP_CONN_MEMORY (8 * 1024)

struct http_server {
	struct MHD_Daemon *daemon;
	struct app *app;
	const struct http_router *router;
};

static atomic_ulong http_seq;

/* The request context of a URL holding %00 until http_access makes one. */
static char http_nul_url;

void
http_error(struct http_reply *rep, int status, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s}", "error", text);
	free(rep->body);
	rep->status = status;
	rep->body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (rep->body == NULL)
		log_fatalx("http: cannot serialise an error");
}

const char *
http_query(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *
http_header(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key);
}

const struct sockaddr *
http_client_addr(const struct http_request *req)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

static void
http_split(struct http_request *req)
{
	char *save = NULL;

	req->segbuf = xstrdup(req->path);
	for (char *t = strtok_r(req->segbuf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (req->nsegs == HTTP_MAX_SEGS) {
			req->nsegs = HTTP_MAX_SEGS + 1;   /* too deep: matches nothing */
			return;
		}
		req->segs[req->nsegs++] = t;
	}
}

/* Accepts a caller's X-Request-Id when it is short and plain, else makes one. */
static void
http_request_id(struct http_request *req)
{
	const char *given = http_header(req, "X-Request-Id");
	size_t n = given ? strlen(given) : 0;

	if (n > 0 && n < sizeof(req->request_id) && strspn(given,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n) {
		memcpy(req->request_id, given, n + 1);
		return;
	}
	unsigned int r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = 0;
	snprintf(req->request_id, sizeof(req->request_id), "%08x-%lu", r,
	    (unsigned long)atomic_fetch_add(&http_seq, 1));
}

static struct http_request *
http_request_new(struct app *app, struct MHD_Connection *conn, const char *url,
    const char *method)
{
	struct http_request *req = xcalloc(1, sizeof(*req));

	req->app = app;
	req->conn = conn;
	req->endpoint = -1;
	req->started = longpoll_now();
	snprintf(req->method, sizeof(req->method), "%s", method);
	req->path = xstrdup(url);
	http_split(req);
	http_request_id(req);
	return req;
}

static void
http_request_free(struct http_request *req)
{
	longpoll_forget(req->app->longpoll, &req->waiter);
	strbuf_clear(&req->body);
	free(req->path);
	free(req->segbuf);
	free(req);
}

static enum MHD_Result
http_send(struct http_request *req, struct http_reply *rep)
{
	size_t len = rep->body ? strlen(rep->body) : 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, rep->body,
	    MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (r == NULL)
		log_fatalx("http: cannot create a response");
	rep->body = NULL;   /* owned by the response now */
	if (len > 0 || rep->status != 304)
		MHD_add_response_header(r, "Content-Type",
		    rep->content_type ? rep->content_type : "application/json");
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (rep->allow[0])
		MHD_add_response_header(r, "Allow", rep->allow);
	if (rep->retry_after > 0) {
		char secs[24];
		snprintf(secs, sizeof(secs), "%ld", rep->retry_after);
		MHD_add_response_header(r, "Retry-After", secs);
	}
	for (const char *const *h = rep->headers; h != NULL && h[0] != NULL && h[1] != NULL; h += 2)
		MHD_add_response_header(r, h[0], h[1]);
	ret = MHD_queue_response(req->conn, (unsigned)rep->status, r);
	MHD_destroy_response(r);
	metrics_observe_request(req->endpoint, rep->status, longpoll_now() - req->started);
	return ret;
}

static int
http_is_json(const struct http_request *req)
{
	const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Sees the raw URL before libmicrohttpd decodes it (and cuts a decoded
 * NUL short); its result is the request's first context. */
static void *
http_uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls, (void)conn;
	return strstr(uri, "%00") != NULL ? &http_nul_url : NULL;
}

/* A declared Content-Length above HTTP_MAX_BODY. */
static int
http_body_too_long(const struct http_request *req)
{
	const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl != NULL && strtoull(cl, NULL, 10) > HTTP_MAX_BODY;
}

/* The checks made from the request line and headers alone; -1 with the
 * answer in rep when the request is refused before its body is read. */
static int
http_admit(struct http_server *srv, struct http_request *req, struct http_reply *rep)
{
	if (req->tls_refused != NULL) {
		http_error(rep, 403, "%s", req->tls_refused);
		return -1;
	}
	if (req->nul_in_url) {
		http_error(rep, 400, "URL: contains %%00 (an encoded NUL character)");
		return -1;
	}
	if (srv->router->admit(srv->app, req, rep) != 0)
		return -1;
	if (http_body_too_long(req)) {
		http_error(rep, 413, "body: larger than %d bytes", HTTP_MAX_BODY);
		return -1;
	}
	return 0;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct app *app = srv->app;
	struct http_request *req = *con_cls;
	struct http_reply rep = { 0 };

	(void)version;
	if (req == NULL || *con_cls == &http_nul_url) {
		/* Headers in, no body read yet: a refusal is answered now. */
		req = http_request_new(app, conn, url, method);
		req->nul_in_url = *con_cls == &http_nul_url;
		req->tls_refused = tls_server_check_client(app->tls, conn);
		*con_cls = req;
		if (http_admit(srv, req, &rep) != 0)
			return http_send(req, &rep);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (connguard_dropped_conn(app->guard, conn))
			return MHD_NO;    /* past request_timeout: being dropped */
		if (req->body.len + *upload_data_size > HTTP_MAX_BODY)
			req->body_too_large = 1;
		else
			strbuf_appendn(&req->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (connguard_received(app->guard, conn) != 0)
		return MHD_NO;
	if (req->body_too_large) {
		http_error(&rep, 413, "body: larger than %d bytes", HTTP_MAX_BODY);
	} else if (req->body.len > 0 && !http_is_json(req)) {
		http_error(&rep, 415, "Content-Type: must be application/json");
	} else if (srv->router->dispatch(app, req, &rep) == HTTP_SUSPENDED) {
		return MHD_YES;
	}
	return http_send(req, &rep);
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;

	(void)toe;
	if (*con_cls != NULL && *con_cls != &http_nul_url)
		http_request_free(*con_cls);
	*con_cls = NULL;
	connguard_rearm(srv->app->guard, conn);   /* the next request's deadline */
}

static void
http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;

	connguard_notify(srv->app->guard, conn, socket_context, code);
}

/* libmicrohttpd's messages, at most HTTP_LOG_BURST per HTTP_LOG_WINDOW
 * seconds: a flood of connections (each refused over the per-address cap
 * is one message) must not become a flood of log lines. */
#define HTTP_LOG_BURST 20
#define HTTP_LOG_WINDOW 10.0

static pthread_mutex_t http_log_lock = PTHREAD_MUTEX_INITIALIZER;
static double http_log_window;
static unsigned long http_log_count, http_log_dropped;

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];
	double now = longpoll_now();
	unsigned long dropped = 0;
	int show;

	(void)cls;
	pthread_mutex_lock(&http_log_lock);
	if (now - http_log_window >= HTTP_LOG_WINDOW) {
		dropped = http_log_dropped;
		http_log_window = now;
		http_log_count = http_log_dropped = 0;
	}
	show = http_log_count++ < HTTP_LOG_BURST;
	if (!show)
		http_log_dropped++;
	pthread_mutex_unlock(&http_log_lock);
	if (dropped > 0)
		log_warnx("http: %lu more message(s) not logged in the last %.0f s", dropped, HTTP_LOG_WINDOW);
	if (!show)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_warnx("http: %s", text);
}

struct http_server *
http_start(struct app *app, const struct http_router *router, struct strbuf *err)
{
	struct sockaddr_storage ss = { 0 };
	const struct settings *s = app->settings;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	struct MHD_OptionItem tls_opts[TLS_MHD_OPTIONS];
	struct http_server *srv;

	if (netaddr_listen_resolve(s->listen, "[server] listen", &ss, err) != 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	flags |= tls_server_mhd_options(app->tls, tls_opts);
	srv = xcalloc(1, sizeof(*srv));
	srv->app = app;
	srv->router = router;
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, http_access, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(s->max_wait_ms / 1000 + 60),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv,
	    MHD_OPTION_URI_LOG_CALLBACK, http_uri_seen, srv,
	    /* hostile clients: per-address cap; request deadlines (connguard.h) */
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->max_connections_per_ip,
	    MHD_OPTION_NOTIFY_CONNECTION, http_connection, srv,
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_END);
	if (srv->daemon == NULL) {
		strbuf_appendf(err, "cannot listen on %s (address in use, or not permitted%s)", s->listen,
		    flags & MHD_USE_TLS ? "; or TLS could not be set up: see the line above" : "");
		free(srv);
		return NULL;
	}
	return srv;
}

void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
