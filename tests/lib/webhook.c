/*
 * webhook.c: the receiver; owns the stored bodies.
 */
#include "webhook.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <microhttpd.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

struct webhook {
	struct MHD_Daemon *d;
	char url[64];
	pthread_mutex_t lock;
	char *bodies[256];
	int n;
	int fail_next;
};

static enum MHD_Result
webhook_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *data, size_t *size, void **ctx)
{
	struct webhook *w = cls;
	struct strbuf *sb = *ctx;
	struct MHD_Response *r;
	int status = 200;

	(void)url, (void)method, (void)version;
	if (sb == NULL) {
		*ctx = xcalloc(1, sizeof(struct strbuf));
		return MHD_YES;
	}
	if (*size > 0) {
		strbuf_appendn(sb, data, *size);
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&w->lock);
	if (w->fail_next > 0) {
		w->fail_next--;
		status = 500;
	} else if (w->n < 256) {
		w->bodies[w->n++] = strbuf_detach(sb);
	}
	pthread_mutex_unlock(&w->lock);
	r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
webhook_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
	(void)cls, (void)c, (void)t;
	if (*ctx != NULL) {
		strbuf_clear(*ctx);
		free(*ctx);
	}
}

struct webhook *
webhook_start(void)
{
	struct webhook *w = xcalloc(1, sizeof(*w));
	int port = tl_free_port();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&w->lock, NULL);
	w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, webhook_access, w,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, webhook_done, w,
	    MHD_OPTION_END);
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%d/hook", port);
	return w;
}

void
webhook_stop(struct webhook *w)
{
	if (w == NULL)
		return;
	MHD_stop_daemon(w->d);
	for (int i = 0; i < w->n; i++)
		free(w->bodies[i]);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

const char *
webhook_url(const struct webhook *w)
{
	return w->url;
}

void
webhook_fail_next(struct webhook *w, int n)
{
	pthread_mutex_lock(&w->lock);
	w->fail_next = n;
	pthread_mutex_unlock(&w->lock);
}

int
webhook_count(struct webhook *w)
{
	pthread_mutex_lock(&w->lock);
	int n = w->n;
	pthread_mutex_unlock(&w->lock);
	return n;
}

char *
webhook_body(struct webhook *w, int i)
{
	char *b = NULL;

	pthread_mutex_lock(&w->lock);
	if (i < w->n)
		b = xstrdup(w->bodies[i]);
	pthread_mutex_unlock(&w->lock);
	return b;
}

struct webhook_seen {
	struct webhook *w;
	int n;
	const char *needle, *also;
	int found;
};

static int
webhook_has(void *arg)
{
	struct webhook_seen *s = arg;

	return webhook_count(s->w) >= s->n;
}

int
webhook_wait(struct webhook *w, int n, int timeout_ms)
{
	struct webhook_seen s = { w, n, NULL, NULL, -1 };

	return tl_wait_for(webhook_has, &s, timeout_ms);
}

int
webhook_find(struct webhook *w, const char *needle, const char *also)
{
	for (int i = 0; i < webhook_count(w); i++) {
		char *b = webhook_body(w, i);
		int hit = b != NULL && strstr(b, needle) != NULL && (also == NULL || strstr(b, also) != NULL);
		free(b);
		if (hit)
			return i;
	}
	return -1;
}

static int
webhook_has_text(void *arg)
{
	struct webhook_seen *s = arg;

	return (s->found = webhook_find(s->w, s->needle, s->also)) >= 0;
}

int
webhook_await(struct webhook *w, const char *needle, const char *also, int timeout_ms)
{
	struct webhook_seen s = { w, 0, needle, also, -1 };

	if (!tl_wait_for(webhook_has_text, &s, timeout_ms))
		fail_msg("no webhook message containing \"%s\"%s%s (%d received)", needle,
		    also ? " and " : "", also ? also : "", webhook_count(w));
	return s.found;
}
