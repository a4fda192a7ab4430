/*
 * connguard.c: per-connection request deadlines and the sweeper thread.
 */
#include "connguard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "longpoll.h"
#include "metrics.h"
#include "xalloc.h"

#define CONNGUARD_SWEEP_MS 250
#define CONNGUARD_LOG_EVERY 10.0   /* seconds between two summaries of drops */

struct guarded {
	int fd;
	double deadline;             /* 0: no request being received */
	int dropped;
	struct guarded *prev, *next;
};

struct connguard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stop;
	double timeout;              /* seconds */
	struct guarded head;         /* circular list sentinel */
	unsigned long dropped, unlogged;
	double logged_at;
};

static struct guarded *
connguard_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Shuts down the connections past their deadline. Lock held. */
static void
connguard_sweep_locked(struct connguard *g, double now)
{
	unsigned long n = 0;

	for (struct guarded *c = g->head.next; c != &g->head; c = c->next) {
		if (c->deadline == 0 || c->deadline > now)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->deadline = 0;
		c->dropped = 1;
		n++;
	}
	g->dropped += n;
	g->unlogged += n;
	metrics_count_deadline_drops(n);
	if (g->unlogged > 0 && now - g->logged_at >= CONNGUARD_LOG_EVERY) {
		log_info("http: closed %lu connection(s) that did not send a whole request within"
		    " [server] request_timeout (%.0fs)", g->unlogged, g->timeout);
		g->unlogged = 0;
		g->logged_at = now;
	}
}

static void *
connguard_main(void *arg)
{
	struct connguard *g = arg;
	struct timespec ts;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += CONNGUARD_SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		if (!g->stop)
			connguard_sweep_locked(g, longpoll_now());
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct connguard *
connguard_new(long long timeout_ms)
{
	struct connguard *g = xcalloc(1, sizeof(*g));
	pthread_condattr_t ca;

	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->timeout = (double)timeout_ms / 1000.0;
	g->head.next = g->head.prev = &g->head;
	g->logged_at = longpoll_now() - CONNGUARD_LOG_EVERY;
	if (pthread_create(&g->thread, NULL, connguard_main, g) != 0)
		log_fatalx("http: cannot start the request deadline thread");
	return g;
}

void
connguard_free(struct connguard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	while (g->head.next != &g->head) {   /* only if the daemon is still up */
		struct guarded *c = g->head.next;
		g->head.next = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void
connguard_notify(struct connguard *g, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct guarded *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		c = xcalloc(1, sizeof(*c));
		c->fd = ci ? ci->connect_fd : -1;
		pthread_mutex_lock(&g->lock);
		c->deadline = c->fd >= 0 ? longpoll_now() + g->timeout : 0;
		c->next = &g->head;
		c->prev = g->head.prev;
		g->head.prev->next = c;
		g->head.prev = c;
		pthread_mutex_unlock(&g->lock);
		*socket_context = c;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && (c = *socket_context) != NULL) {
		pthread_mutex_lock(&g->lock);
		c->prev->next = c->next;
		c->next->prev = c->prev;
		pthread_mutex_unlock(&g->lock);
		free(c);
		*socket_context = NULL;
	}
}

/* Only a connection the sweeper has shut down is refused here: a request
 * that came in whole is served even if it did so between the deadline and
 * the next sweep, so that a kept-alive connection reused at the end of its
 * idle time is not refused after its request was read. */
int
connguard_received(struct connguard *g, struct MHD_Connection *conn)
{
	struct guarded *c = connguard_of(conn);
	int rc = 0;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&g->lock);
	if (c->dropped)
		rc = -1;
	else
		c->deadline = 0;
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int
connguard_dropped_conn(struct connguard *g, struct MHD_Connection *conn)
{
	struct guarded *c = connguard_of(conn);
	int dropped;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&g->lock);
	dropped = c->dropped;
	pthread_mutex_unlock(&g->lock);
	return dropped;
}

void
connguard_rearm(struct connguard *g, struct MHD_Connection *conn)
{
	struct guarded *c = connguard_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	if (!c->dropped && c->fd >= 0)
		c->deadline = longpoll_now() + g->timeout;
	pthread_mutex_unlock(&g->lock);
}

unsigned long
connguard_dropped(struct connguard *g)
{
	unsigned long n;

	pthread_mutex_lock(&g->lock);
	n = g->dropped;
	pthread_mutex_unlock(&g->lock);
	return n;
}
