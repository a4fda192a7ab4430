/*
 * addrlimit.c: token buckets of failures per client address, in a fixed
 * set-associative table under one mutex.
 */
#include "addrlimit.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "netaddr.h"
#include "xalloc.h"

#define ADDRLIMIT_SETS 1024
#define ADDRLIMIT_WAYS 4

struct addrlimit_entry {
	unsigned char key[16];     /* IPv4-mapped, or an IPv6 /64 */
	int used;
	double tokens;             /* failures left, refilled over a minute */
	double last;               /* when tokens was computed */
};

struct addrlimit {
	pthread_mutex_t lock;
	double cap;                /* per minute; 0 off */
	uint32_t seed;
	struct addrlimit_entry e[ADDRLIMIT_SETS][ADDRLIMIT_WAYS];
};

struct addrlimit *
addrlimit_new(long long per_minute)
{
	struct addrlimit *l = xcalloc(1, sizeof(*l));

	pthread_mutex_init(&l->lock, NULL);
	l->cap = (double)per_minute;
	if (getrandom(&l->seed, sizeof(l->seed), GRND_NONBLOCK) != sizeof(l->seed))
		l->seed = 2166136261u;
	return l;
}

void
addrlimit_free(struct addrlimit *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static struct addrlimit_entry *
addrlimit_set(struct addrlimit *l, const unsigned char key[16])
{
	uint32_t h = l->seed;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return l->e[h % ADDRLIMIT_SETS];
}

static void
addrlimit_refill(const struct addrlimit *l, struct addrlimit_entry *e, double now)
{
	if (now > e->last)
		e->tokens = fmin(l->cap, e->tokens + (now - e->last) * l->cap / 60.0);
	e->last = now;
}

static struct addrlimit_entry *
addrlimit_find(struct addrlimit *l, const unsigned char key[16])
{
	struct addrlimit_entry *set = addrlimit_set(l, key);

	for (int w = 0; w < ADDRLIMIT_WAYS; w++)
		if (set[w].used && memcmp(set[w].key, key, 16) == 0)
			return &set[w];
	return NULL;
}

int
addrlimit_blocked(struct addrlimit *l, const struct sockaddr *addr, double now)
{
	unsigned char key[16];
	struct addrlimit_entry *e;
	int wait = 0;

	if (l->cap <= 0 || netaddr_client_key(addr, key) < 0)
		return 0;
	pthread_mutex_lock(&l->lock);
	if ((e = addrlimit_find(l, key)) != NULL) {
		addrlimit_refill(l, e, now);
		if (e->tokens < 1.0)
			wait = (int)ceil((1.0 - e->tokens) * 60.0 / l->cap);
	}
	pthread_mutex_unlock(&l->lock);
	return wait > 0 ? wait : 0;
}

void
addrlimit_fail(struct addrlimit *l, const struct sockaddr *addr, double now)
{
	unsigned char key[16];
	struct addrlimit_entry *e, *set;

	if (l->cap <= 0 || netaddr_client_key(addr, key) < 0)
		return;
	pthread_mutex_lock(&l->lock);
	if ((e = addrlimit_find(l, key)) == NULL) {
		set = addrlimit_set(l, key);
		e = &set[0];
		for (int w = 0; w < ADDRLIMIT_WAYS; w++) {
			if (!set[w].used) {
				e = &set[w];
				break;
			}
			if (set[w].last < e->last)
				e = &set[w];    /* reuse the least recently failed */
		}
		memcpy(e->key, key, 16);
		e->used = 1;
		e->tokens = l->cap;
		e->last = now;
	}
	addrlimit_refill(l, e, now);
	e->tokens = fmax(0.0, e->tokens - 1.0);
	pthread_mutex_unlock(&l->lock);
}
