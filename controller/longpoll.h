/*
 * longpoll.h: the newest snapshot and the feed requests waiting for a newer one.
 *
 * A waiting request does not hold a thread: its libmicrohttpd connection is
 * suspended and parked here with a deadline. The listener thread publishes
 * each new snapshot (longpoll_publish), which resumes every waiter it
 * satisfies, and calls longpoll_tick to resume those whose deadline passed.
 *
 * Lifecycle of a waiter, moved only by this module under its lock:
 *   LONGPOLL_IDLE -> LONGPOLL_WAITING (longpoll_wait suspends the connection)
 *   LONGPOLL_WAITING -> LONGPOLL_CHANGED | LONGPOLL_TIMEOUT | LONGPOLL_SHUTDOWN (resumed)
 * Waiters are counted per owner (a token), so that one token cannot park
 * more than its share of connections.
 * The request handler, called again by libmicrohttpd after the resume,
 * reads the state and answers. The waiter lives in the request's context,
 * which outlives the suspension.
 */
#ifndef POSTROUTE_LONGPOLL_H
#define POSTROUTE_LONGPOLL_H

#include <microhttpd.h>

#include "snapshot.h"

enum longpoll_state { LONGPOLL_IDLE, LONGPOLL_WAITING, LONGPOLL_CHANGED, LONGPOLL_TIMEOUT, LONGPOLL_SHUTDOWN };

struct longpoll_waiter {
	enum longpoll_state state;
	struct MHD_Connection *conn;
	long long after;
	double deadline;             /* CLOCK_MONOTONIC seconds */
	char owner[64];              /* the token's name, for the per-token cap */
	struct longpoll_waiter *prev, *next;
};

struct longpoll;

struct longpoll *longpoll_new(void);
void longpoll_free(struct longpoll *lp);

/* The newest snapshot with a reference the caller releases, or NULL
 * before the first load. */
struct snapshot *longpoll_current(struct longpoll *lp);
void longpoll_release(struct longpoll *lp, struct snapshot *s);

/* Installs s as the newest (taking the caller's reference) and resumes
 * the waiters whose version differs from it. Returns how many were woken. */
unsigned long longpoll_publish(struct longpoll *lp, struct snapshot *s);

/* Parks w, on behalf of owner (a token's name), until a version other
 * than after (above it; or below it after the database was restored) or
 * the deadline. Returns 1 when suspended, 0 when such a version is already
 * there (answer now), -1 when shutting down, -2 when owner has
 * max_per_owner requests waiting already (refuse it). */
int longpoll_wait(struct longpoll *lp, struct longpoll_waiter *w, struct MHD_Connection *conn,
    long long after, double deadline, const char *owner, long max_per_owner);

/* Resumes waiters whose deadline passed. */
void longpoll_tick(struct longpoll *lp, double now);

/* Resumes every waiter and refuses new ones. */
void longpoll_shutdown(struct longpoll *lp);

/* Removes w if it is still parked (connection closed under it). */
void longpoll_forget(struct longpoll *lp, struct longpoll_waiter *w);

double longpoll_now(void);

#endif
