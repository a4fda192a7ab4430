/*
 * feed.h: the newest snapshot and the feed requests waiting for a newer one.
 *
 * A waiting request does not hold a thread: its libmicrohttpd connection is
 * suspended and parked here with a deadline. The listener thread publishes
 * each new snapshot (feed_publish), which resumes every waiter it
 * satisfies, and calls feed_tick to resume those whose deadline passed.
 *
 * Lifecycle of a waiter, moved only by this module under its lock:
 *   FEED_IDLE -> FEED_WAITING (feed_wait suspends the connection)
 *   FEED_WAITING -> FEED_CHANGED | FEED_TIMEOUT | FEED_SHUTDOWN (resumed)
 * The request handler, called again by libmicrohttpd after the resume,
 * reads the state and answers. The waiter lives in the request's context,
 * which outlives the suspension.
 */
#ifndef POSTROUTE_FEED_H
#define POSTROUTE_FEED_H

#include <microhttpd.h>

#include "snapshot.h"

enum feed_state { FEED_IDLE, FEED_WAITING, FEED_CHANGED, FEED_TIMEOUT, FEED_SHUTDOWN };

struct feed_waiter {
	enum feed_state state;
	struct MHD_Connection *conn;
	long long after;
	double deadline;             /* CLOCK_MONOTONIC seconds */
	struct feed_waiter *prev, *next;
};

struct feed;

struct feed *feed_new(void);
void feed_free(struct feed *f);

/* The newest snapshot with a reference the caller releases, or NULL
 * before the first load. */
struct snapshot *feed_current(struct feed *f);
void feed_release(struct feed *f, struct snapshot *s);

/* Installs s as the newest (taking the caller's reference) and resumes
 * the waiters it satisfies. Returns how many were woken. */
unsigned long feed_publish(struct feed *f, struct snapshot *s);

/* Parks w until a version above after or the deadline. Returns 1 when
 * suspended, 0 when a newer version is already there (answer now), -1
 * when shutting down. */
int feed_wait(struct feed *f, struct feed_waiter *w, struct MHD_Connection *conn,
    long long after, double deadline);

/* Resumes waiters whose deadline passed. */
void feed_tick(struct feed *f, double now);

/* Resumes every waiter and refuses new ones. */
void feed_shutdown(struct feed *f);

/* Removes w if it is still parked (connection closed under it). */
void feed_forget(struct feed *f, struct feed_waiter *w);

double feed_now(void);

#endif
