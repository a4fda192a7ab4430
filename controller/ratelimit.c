/*
 * ratelimit.c: per-key sliding-window limits (see ratelimit.h).
 *
 * Owns its table: a hash of keys with chaining, each entry owning its key
 * copy and its ring of accepted times.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"
#include "xalloc.h"

struct rl_entry {
	struct rl_entry *next;    /* hash chain */
	char *key;
	double *times;            /* ring of accepted times, oldest at first */
	unsigned first, count, cap;   /* cap grows by doubling up to limit */
	double last_seen;
};

struct ratelimit {
	pthread_mutex_t mu;
	unsigned limit;
	double window;
	size_t max_keys, nkeys, nbuckets;
	struct rl_entry **buckets;
};

static size_t
rl_hash(const char *key, size_t nbuckets)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h % nbuckets);
}

struct ratelimit *
ratelimit_new(unsigned limit, double window_s, size_t max_keys)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->mu, NULL);
	rl->limit = limit ? limit : 1;
	rl->window = window_s > 0 ? window_s : 1;
	rl->max_keys = max_keys ? max_keys : 1;
	rl->nbuckets = rl->max_keys < 64 ? 64 : rl->max_keys;
	rl->buckets = xcalloc(rl->nbuckets, sizeof(*rl->buckets));
	return rl;
}

static void
rl_entry_free(struct rl_entry *e)
{
	free(e->key);
	free(e->times);
	free(e);
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	for (size_t i = 0; i < rl->nbuckets; i++) {
		for (struct rl_entry *e = rl->buckets[i], *n; e != NULL; e = n) {
			n = e->next;
			rl_entry_free(e);
		}
	}
	free(rl->buckets);
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

/* Forgets the accepted times that left the window ending at now. */
static void
rl_expire(const struct ratelimit *rl, struct rl_entry *e, double now)
{
	while (e->count > 0 && e->times[e->first] <= now - rl->window) {
		e->first = (e->first + 1) % e->cap;
		e->count--;
	}
}

/* Removes victim from its chain and frees it. */
static void
rl_unlink(struct ratelimit *rl, struct rl_entry *victim)
{
	struct rl_entry **pp = &rl->buckets[rl_hash(victim->key, rl->nbuckets)];

	while (*pp != victim)
		pp = &(*pp)->next;
	*pp = victim->next;
	rl_entry_free(victim);
	rl->nkeys--;
}

/* Makes room for one key: forgets every key whose window is empty, or
 * else the one seen least recently. */
static void
rl_evict(struct ratelimit *rl, double now)
{
	struct rl_entry *oldest = NULL;

	for (size_t i = 0; i < rl->nbuckets; i++) {
		for (struct rl_entry **pp = &rl->buckets[i]; *pp != NULL;) {
			struct rl_entry *e = *pp;
			rl_expire(rl, e, now);
			if (e->count > 0) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			rl_entry_free(e);
			rl->nkeys--;
		}
	}
	if (rl->nkeys < rl->max_keys)
		return;
	for (size_t i = 0; i < rl->nbuckets; i++)
		for (struct rl_entry *e = rl->buckets[i]; e != NULL; e = e->next)
			if (oldest == NULL || e->last_seen < oldest->last_seen)
				oldest = e;
	if (oldest != NULL)
		rl_unlink(rl, oldest);
}

static struct rl_entry *
rl_find(struct ratelimit *rl, const char *key, double now)
{
	size_t b = rl_hash(key, rl->nbuckets);
	struct rl_entry *e;

	for (e = rl->buckets[b]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (rl->nkeys >= rl->max_keys)
		rl_evict(rl, now);
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->cap = rl->limit < 8 ? rl->limit : 8;
	e->times = xcalloc(e->cap, sizeof(*e->times));
	e->next = rl->buckets[b];
	rl->buckets[b] = e;
	rl->nkeys++;
	return e;
}

/* Doubles a full ring (up to limit), oldest first again: a key costs
 * memory for what it sends, not for what it may send. */
static void
rl_grow(const struct ratelimit *rl, struct rl_entry *e)
{
	unsigned cap = e->cap * 2 < rl->limit ? e->cap * 2 : rl->limit;
	double *t = xcalloc(cap, sizeof(*t));

	for (unsigned i = 0; i < e->count; i++)
		t[i] = e->times[(e->first + i) % e->cap];
	free(e->times);
	e->times = t;
	e->first = 0;
	e->cap = cap;
}

int
ratelimit_take(struct ratelimit *rl, const char *key, double now, long *retry_s)
{
	struct rl_entry *e;
	int ok;

	pthread_mutex_lock(&rl->mu);
	e = rl_find(rl, key, now);
	e->last_seen = now;
	rl_expire(rl, e, now);
	ok = e->count < rl->limit;
	if (ok) {
		if (e->count == e->cap)
			rl_grow(rl, e);
		e->times[(e->first + e->count) % e->cap] = now;
		e->count++;
	} else if (retry_s != NULL) {
		double wait = e->times[e->first] + rl->window - now;
		long whole = (long)wait;
		if ((double)whole < wait)
			whole++;           /* round up: never invite an early retry */
		*retry_s = whole < 1 ? 1 : whole;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

size_t
ratelimit_keys(struct ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->mu);
	n = rl->nkeys;
	pthread_mutex_unlock(&rl->mu);
	return n;
}

double
ratelimit_now(void)
{
	return monotime_s();
}
