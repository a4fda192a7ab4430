/*
 * connguard.c: per-connection request deadlines and the sweeper thread.
 */
#include "connguard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "longpoll.h"
#include "metrics.h"
#include "netaddr.h"
#include "xalloc.h"

#define CONNGUARD_SWEEP_MS 250
#define CONNGUARD_LOG_EVERY 10.0   /* seconds between two summaries of drops */
#define CONNGUARD_PREFIX_BUCKETS 1024

/* The open connections of one IPv6 /64; exists while n > 0. */
struct prefix_count {
	unsigned char net[8];
	unsigned long n;
	struct prefix_count *next;
};

struct guarded {
	int fd;
	double deadline;             /* 0: no request being received */
	int dropped;
	struct prefix_count *prefix; /* counted in it (IPv6 clients only) */
	struct guarded *prev, *next;
};

struct connguard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stop;
	double timeout;              /* seconds */
	struct guarded head;         /* circular list sentinel */
	unsigned long unlogged;       /* dropped, not logged yet */
	double logged_at;
	unsigned long per_prefix;    /* connections per IPv6 /64; 0: no cap */
	unsigned long prefix_unlogged;  /* closed over the cap, not logged yet */
	struct prefix_count *prefixes[CONNGUARD_PREFIX_BUCKETS];
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
	g->unlogged += n;
	metrics_count_deadline_drops(n);
	if ((g->unlogged > 0 || g->prefix_unlogged > 0) && now - g->logged_at >= CONNGUARD_LOG_EVERY) {
		if (g->unlogged > 0)
			log_info("http: closed %lu connection(s) that did not send a whole request within"
			    " [server] request_timeout (%.0fs)", g->unlogged, g->timeout);
		if (g->prefix_unlogged > 0)
			log_info("http: closed %lu connection(s) on accept: their IPv6 /64 had [server]"
			    " max_connections_per_ip (%lu) open", g->prefix_unlogged, g->per_prefix);
		g->unlogged = g->prefix_unlogged = 0;
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
connguard_new(long long timeout_ms, long long per_prefix)
{
	struct connguard *g = xcalloc(1, sizeof(*g));
	pthread_condattr_t ca;

	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->timeout = (double)timeout_ms / 1000.0;
	g->per_prefix = per_prefix > 0 ? (unsigned long)per_prefix : 0;
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
	for (int i = 0; i < CONNGUARD_PREFIX_BUCKETS; i++) {
		for (struct prefix_count *p = g->prefixes[i], *next; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/*
 * libmicrohttpd's per-address cap (MHD_OPTION_PER_IP_CONNECTION_LIMIT)
 * counts each IPv6 address apart, and one client (one host, one cloud
 * instance) routinely has a whole /64 of them. The same cap is applied
 * here to each /64, as addrlimit.h does for refused tokens.
 */

/* The /64 of an IPv6 client (not an IPv4-mapped one); 0 when it has one. */
static int
connguard_prefix_of(struct MHD_Connection *conn, unsigned char net[8])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	unsigned char key[16];

	if (ci == NULL || netaddr_client_key(ci->client_addr, key) != AF_INET6)
		return -1;
	memcpy(net, key, 8);
	return 0;
}

/* Counts c in its /64, or returns -1 when the /64 is at the cap. Lock held. */
static int
connguard_prefix_add(struct connguard *g, struct guarded *c, const unsigned char net[8])
{
	uint32_t h = 2166136261u;
	struct prefix_count **pp, *p;

	for (int i = 0; i < 8; i++)
		h = (h ^ net[i]) * 16777619u;
	for (pp = &g->prefixes[h % CONNGUARD_PREFIX_BUCKETS]; *pp != NULL; pp = &(*pp)->next)
		if (memcmp((*pp)->net, net, 8) == 0)
			break;
	if ((p = *pp) != NULL && p->n >= g->per_prefix)
		return -1;
	if (p == NULL) {
		p = *pp = xcalloc(1, sizeof(*p));
		memcpy(p->net, net, 8);
	}
	p->n++;
	c->prefix = p;
	return 0;
}

/* Uncounts c from its /64. Lock held. */
static void
connguard_prefix_remove(struct connguard *g, struct guarded *c)
{
	struct prefix_count *p = c->prefix, **pp;
	uint32_t h = 2166136261u;

	if (p == NULL)
		return;
	c->prefix = NULL;
	if (--p->n > 0)
		return;
	for (int i = 0; i < 8; i++)
		h = (h ^ p->net[i]) * 16777619u;
	for (pp = &g->prefixes[h % CONNGUARD_PREFIX_BUCKETS]; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	free(p);
}

void
connguard_notify(struct connguard *g, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct guarded *c;
	unsigned char net[8];

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		int v6 = g->per_prefix > 0 && connguard_prefix_of(conn, net) == 0;
		c = xcalloc(1, sizeof(*c));
		c->fd = ci ? ci->connect_fd : -1;
		pthread_mutex_lock(&g->lock);
		c->deadline = c->fd >= 0 ? longpoll_now() + g->timeout : 0;
		if (v6 && connguard_prefix_add(g, c, net) != 0 && c->fd >= 0) {
			/* over the cap: closed at once, as libmicrohttpd does per address */
			shutdown(c->fd, SHUT_RDWR);
			c->deadline = 0;
			c->dropped = 1;
			g->prefix_unlogged++;
		}
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
		connguard_prefix_remove(g, c);
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
