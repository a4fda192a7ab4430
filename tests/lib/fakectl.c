/*
 * fakectl.c: the stand-in controller (see fakectl.h).
 *
 * One thread per connection keeps the long-poll simple: a waiting request
 * polls the current version every 10 ms until its deadline or the stop.
 */
#include "fakectl.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

struct fakectl {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	char *token;
	char *url;
	int port;
	long long version;
	char *body;
	int status;
	int stopping;
	json_t *reports;
	size_t feed_requests;
	size_t held;                 /* feed requests waiting for a change right now */
};

struct fc_conn {
	struct strbuf body;
};

static enum MHD_Result
fc_reply(struct MHD_Connection *c, int status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
fc_feed(struct fakectl *f, struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait");
	long long after = a ? atoll(a) : -1;
	int wait_ms = w ? atoi(w) * 1000 : 0;

	pthread_mutex_lock(&f->mu);
	f->feed_requests++;
	pthread_mutex_unlock(&f->mu);
	int held = 0;
	for (int t = 0;; t += 10) {
		pthread_mutex_lock(&f->mu);
		if (f->body != NULL && (a == NULL || f->version > after)) {
			char *body = xstrdup(f->body);
			f->held -= (size_t)held;
			pthread_mutex_unlock(&f->mu);
			enum MHD_Result r = fc_reply(c, 200, body);
			free(body);
			return r;
		}
		int stop = f->stopping || f->status != 0 || t >= wait_ms;
		if (stop || !held)
			f->held += stop ? -(size_t)held : 1;
		held = !stop;
		pthread_mutex_unlock(&f->mu);
		if (stop)
			break;
		usleep(10000);
	}
	return fc_reply(c, 304, "");
}

static enum MHD_Result
fc_report(struct fakectl *f, struct MHD_Connection *c, struct fc_conn *cc)
{
	json_error_t e;
	json_t *j = json_loads(strbuf_str(&cc->body), 0, &e);

	if (j == NULL)
		return fc_reply(c, 400, "{\"error\": \"body: not JSON\"}");
	pthread_mutex_lock(&f->mu);
	json_array_append_new(f->reports, j);
	pthread_mutex_unlock(&f->mu);
	return fc_reply(c, 200, "{}");
}

static int
fc_authorized(struct fakectl *f, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char *want = xasprintf("Bearer %s", f->token);
	int ok = h != NULL && strcmp(h, want) == 0;

	free(want);
	return ok;
}

static enum MHD_Result
fc_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct fakectl *f = cls;
	struct fc_conn *cc = *con_cls;
	size_t n = strlen(url);
	int status;

	(void)version;
	if (cc == NULL) {
		*con_cls = xcalloc(1, sizeof(struct fc_conn));
		return MHD_YES;
	}
	if (*upload_size > 0) {
		strbuf_appendn(&cc->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&f->mu);
	status = f->status;
	pthread_mutex_unlock(&f->mu);
	if (status != 0)
		return fc_reply(c, status, "{\"error\": \"database: unreachable\"}");
	if (!fc_authorized(f, c))
		return fc_reply(c, 401, "{\"error\": \"token: unknown\"}");
	if (strncmp(url, "/v1/nodes/", 10) == 0 && n > 20 && strcmp(url + n - 10, "/transport") == 0 &&
	    strcmp(method, "GET") == 0)
		return fc_feed(f, c);
	if (strncmp(url, "/v1/nodes/", 10) == 0 && n > 17 && strcmp(url + n - 7, "/report") == 0 &&
	    strcmp(method, "POST") == 0)
		return fc_report(f, c, cc);
	return fc_reply(c, 404, "{\"error\": \"path: not found\"}");
}

static void
fc_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct fc_conn *cc = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (cc != NULL) {
		strbuf_clear(&cc->body);
		free(cc);
	}
	*con_cls = NULL;
}

struct fakectl *
fakectl_start(const char *token, int port)
{
	struct fakectl *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in sa = { .sin_family = AF_INET };

	pthread_mutex_init(&f->mu, NULL);
	f->token = xstrdup(token);
	f->reports = json_array();
	f->port = port ? port : tl_free_port();
	f->url = xasprintf("http://127.0.0.1:%d", f->port);
	sa.sin_port = htons((uint16_t)f->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 100 && f->d == NULL; i++) {
		f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
		    0, NULL, NULL, fc_handler, f, MHD_OPTION_SOCK_ADDR, &sa,
		    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		    MHD_OPTION_NOTIFY_COMPLETED, fc_completed, f, MHD_OPTION_END);
		if (f->d == NULL)
			usleep(50000);
	}
	if (f->d == NULL)
		fail_msg("fakectl: cannot listen on 127.0.0.1:%d", f->port);
	return f;
}

void
fakectl_stop(struct fakectl *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = 1;
	pthread_mutex_unlock(&f->mu);
	MHD_stop_daemon(f->d);
	json_decref(f->reports);
	pthread_mutex_destroy(&f->mu);
	free(f->token), free(f->url), free(f->body);
	free(f);
}

int
fakectl_port(const struct fakectl *f)
{
	return f->port;
}

const char *
fakectl_url(const struct fakectl *f)
{
	return f->url;
}

void
fakectl_set_feed(struct fakectl *f, long long version, const char *body)
{
	pthread_mutex_lock(&f->mu);
	free(f->body);
	f->body = xstrdup(body);
	f->version = version;
	pthread_mutex_unlock(&f->mu);
}

void
fakectl_set_status(struct fakectl *f, int status)
{
	pthread_mutex_lock(&f->mu);
	f->status = status;
	pthread_mutex_unlock(&f->mu);
}

json_t *
fakectl_reports(struct fakectl *f)
{
	pthread_mutex_lock(&f->mu);
	json_t *copy = json_deep_copy(f->reports);
	pthread_mutex_unlock(&f->mu);
	return copy;
}

size_t
fakectl_report_count(struct fakectl *f)
{
	pthread_mutex_lock(&f->mu);
	size_t n = json_array_size(f->reports);
	pthread_mutex_unlock(&f->mu);
	return n;
}

size_t
fakectl_held(struct fakectl *f)
{
	pthread_mutex_lock(&f->mu);
	size_t n = f->held;
	pthread_mutex_unlock(&f->mu);
	return n;
}

size_t
fakectl_feed_requests(struct fakectl *f)
{
	pthread_mutex_lock(&f->mu);
	size_t n = f->feed_requests;
	pthread_mutex_unlock(&f->mu);
	return n;
}

struct fc_wait {
	struct fakectl *f;
	size_t n;
};

static int
fc_has_reports(void *arg)
{
	struct fc_wait *w = arg;

	return fakectl_report_count(w->f) >= w->n;
}

int
fakectl_wait_reports(struct fakectl *f, size_t n, int timeout_ms)
{
	struct fc_wait w = { f, n };

	return tl_wait_for(fc_has_reports, &w, timeout_ms);
}

static int
fc_has_feed_requests(void *arg)
{
	struct fc_wait *w = arg;

	return fakectl_feed_requests(w->f) >= w->n;
}

int
fakectl_wait_feed_requests(struct fakectl *f, size_t n, int timeout_ms)
{
	struct fc_wait w = { f, n };

	return tl_wait_for(fc_has_feed_requests, &w, timeout_ms);
}

static int
fc_has_held(void *arg)
{
	struct fc_wait *w = arg;

	return fakectl_held(w->f) >= w->n;
}

int
fakectl_wait_held(struct fakectl *f, size_t n, int timeout_ms)
{
	struct fc_wait w = { f, n };

	return tl_wait_for(fc_has_held, &w, timeout_ms);
}

json_t *
fakectl_last_report(struct fakectl *f)
{
	json_t *all = fakectl_reports(f);
	size_t n = json_array_size(all);

	if (n == 0)
		fail_msg("no report");
	json_t *r = json_incref(json_array_get(all, n - 1));
	json_decref(all);
	return r;
}

void
fakectl_expect_report(struct fakectl *f, long long version, const char *status, const char *step,
    const char *error_part)
{
	json_t *r = fakectl_last_report(f);
	const char *st = json_string_value(json_object_get(r, "status"));
	const char *sp = json_string_value(json_object_get(r, "step"));
	const char *er = json_string_value(json_object_get(r, "error"));

	if (json_integer_value(json_object_get(r, "version")) != version || st == NULL ||
	    strcmp(st, status) != 0 || (step && (sp == NULL || strcmp(sp, step) != 0)) ||
	    (error_part && (er == NULL || strstr(er, error_part) == NULL))) {
		char *s = json_dumps(r, 0);
		fail_msg("report %s; wanted version %lld %s step %s error ~ %s", s, version, status,
		    step ? step : "-", error_part ? error_part : "-");
	}
	json_decref(r);
}
