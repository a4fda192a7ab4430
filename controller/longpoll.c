/*
 * longpoll.c: waiters and the current snapshot, under one mutex.
 *
 * Suspend and resume are both called with the lock held, so a change
 * published between the handler's version check and its suspension cannot
 * be missed. Lock order: the long-poll lock, then libmicrohttpd's own.
 */
#include "longpoll.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "monotime.h"
#include "xalloc.h"

#define LONGPOLL_OWNER_BUCKETS 256

/* How many waiters one owner has; exists while that is above 0. */
struct longpoll_owner {
	struct longpoll_owner *next;
	long n;
	char name[64];
};

struct longpoll {
	pthread_mutex_t lock;
	struct snapshot *current;
	struct longpoll_waiter head;     /* circular list sentinel */
	long nwaiting;
	int shutting_down;
	struct longpoll_owner *owners[LONGPOLL_OWNER_BUCKETS];
};

double
longpoll_now(void)
{
	return monotime_s();
}

struct longpoll *
longpoll_new(void)
{
	struct longpoll *lp = xcalloc(1, sizeof(*lp));

	pthread_mutex_init(&lp->lock, NULL);
	lp->head.next = lp->head.prev = &lp->head;
	return lp;
}

void
longpoll_free(struct longpoll *lp)
{
	if (lp == NULL)
		return;
	snapshot_free(lp->current);
	for (int i = 0; i < LONGPOLL_OWNER_BUCKETS; i++) {
		for (struct longpoll_owner *o = lp->owners[i], *next; o; o = next) {
			next = o->next;
			free(o);
		}
	}
	pthread_mutex_destroy(&lp->lock);
	free(lp);
}

struct snapshot *
longpoll_current(struct longpoll *lp)
{
	struct snapshot *s;

	pthread_mutex_lock(&lp->lock);
	s = lp->current;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&lp->lock);
	return s;
}

void
longpoll_release(struct longpoll *lp, struct snapshot *s)
{
	int last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&lp->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&lp->lock);
	if (last)
		snapshot_free(s);
}

/* The owner's entry (its bucket's link to it), or where it would go. Lock held. */
static struct longpoll_owner **
longpoll_owner_slot(struct longpoll *lp, const char *name)
{
	unsigned h = 5381;
	struct longpoll_owner **p;

	for (const char *c = name; *c; c++)
		h = h * 33 + (unsigned char)*c;
	for (p = &lp->owners[h % LONGPOLL_OWNER_BUCKETS]; *p; p = &(*p)->next)
		if (strcmp((*p)->name, name) == 0)
			break;
	return p;
}

/* Counts one more (delta 1) or one fewer (-1) waiter of name. Lock held. */
static void
longpoll_owner_add(struct longpoll *lp, const char *name, long delta)
{
	struct longpoll_owner **p = longpoll_owner_slot(lp, name), *o = *p;

	if (o == NULL) {
		if (delta <= 0)
			return;
		o = *p = xcalloc(1, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", name);
	}
	o->n += delta;
	if (o->n <= 0) {
		*p = o->next;
		free(o);
	}
}

/* Unlinks w from the waiting list. Lock held. */
static void
longpoll_unlink_locked(struct longpoll *lp, struct longpoll_waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = NULL;
	lp->nwaiting--;
	longpoll_owner_add(lp, w->owner, -1);
}

/* Unlinks w and resumes its connection in state st. Lock held. */
static void
longpoll_resume_locked(struct longpoll *lp, struct longpoll_waiter *w, enum longpoll_state st)
{
	longpoll_unlink_locked(lp, w);
	w->state = st;
	MHD_resume_connection(w->conn);
}

unsigned long
longpoll_publish(struct longpoll *lp, struct snapshot *s)
{
	struct snapshot *old;
	unsigned long woken = 0;

	pthread_mutex_lock(&lp->lock);
	old = lp->current;
	lp->current = s;
	for (struct longpoll_waiter *w = lp->head.next, *next; w != &lp->head; w = next) {
		next = w->next;
		if (s->version != w->after) {   /* newer, or back below a restored database */
			longpoll_resume_locked(lp, w, LONGPOLL_CHANGED);
			woken++;
		}
	}
	metrics_set_waiting(lp->nwaiting);
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&lp->lock);
	snapshot_free(old);
	metrics_count_wakeups(woken);
	metrics_set_version(s->version);
	return woken;
}

int
longpoll_wait(struct longpoll *lp, struct longpoll_waiter *w, struct MHD_Connection *conn,
    long long after, double deadline, const char *owner, long max_per_owner)
{
	struct longpoll_owner *o;
	int rc = 1;

	pthread_mutex_lock(&lp->lock);
	o = *longpoll_owner_slot(lp, owner);
	if (lp->shutting_down) {
		rc = -1;
	} else if (lp->current != NULL && lp->current->version != after) {
		rc = 0;
	} else if (o != NULL && o->n >= max_per_owner) {
		rc = -2;
	} else {
		snprintf(w->owner, sizeof(w->owner), "%s", owner);
		longpoll_owner_add(lp, w->owner, 1);
		w->conn = conn;
		w->after = after;
		w->deadline = deadline;
		w->state = LONGPOLL_WAITING;
		w->next = &lp->head;
		w->prev = lp->head.prev;
		lp->head.prev->next = w;
		lp->head.prev = w;
		lp->nwaiting++;
		MHD_suspend_connection(conn);
		metrics_set_waiting(lp->nwaiting);
	}
	pthread_mutex_unlock(&lp->lock);
	return rc;
}

void
longpoll_tick(struct longpoll *lp, double now)
{
	pthread_mutex_lock(&lp->lock);
	for (struct longpoll_waiter *w = lp->head.next, *next; w != &lp->head; w = next) {
		next = w->next;
		if (w->deadline <= now)
			longpoll_resume_locked(lp, w, LONGPOLL_TIMEOUT);
	}
	metrics_set_waiting(lp->nwaiting);
	pthread_mutex_unlock(&lp->lock);
}

void
longpoll_shutdown(struct longpoll *lp)
{
	pthread_mutex_lock(&lp->lock);
	lp->shutting_down = 1;
	while (lp->head.next != &lp->head)
		longpoll_resume_locked(lp, lp->head.next, LONGPOLL_SHUTDOWN);
	metrics_set_waiting(0);
	pthread_mutex_unlock(&lp->lock);
}

void
longpoll_forget(struct longpoll *lp, struct longpoll_waiter *w)
{
	pthread_mutex_lock(&lp->lock);
	if (w->state == LONGPOLL_WAITING && w->next != NULL)
		longpoll_unlink_locked(lp, w);
	pthread_mutex_unlock(&lp->lock);
}
