/*
 * listener.h: the threads that keep postrouted in step with the database.
 *
 * One owns a connection that LISTENs on postroute_version. On a
 * notification it loads a snapshot and publishes it to the feed, which
 * wakes the waiting requests. It also resumes feeds whose deadline passed
 * (every 100 ms). The other, on pool connections, records which nodes
 * polled their feed and checks the version (every second), so none of
 * that delays a wake-up. Expiry and stale nodes are done once for all
 * controllers, by the leader (leader.h).
 *
 * A lost connection is noticed (PQconsumeInput fails, or the socket
 * closes; TCP keepalives for a server that vanished without closing it),
 * re-established with exponential backoff up to 5 s, or at once when the
 * request pool connected meanwhile (the database, or a standby promoted in
 * its place, answers again), and treated as "something may have changed":
 * notifications sent while nobody listened are lost, so the snapshot is
 * re-read and the waiters whose version differs from it are woken. The
 * housekeeper also reads the version through the pool every second: one
 * that stays unpublished for a second is published from there and the
 * LISTEN connection made again (notifications are not arriving).
 */
#ifndef POSTROUTE_LISTENER_H
#define POSTROUTE_LISTENER_H

#include "app.h"

struct listener;

struct listener *listener_start(struct app *app);
/* Asks the thread to finish and joins it. */
void listener_stop(struct listener *l);

/* One expiry pass on c: reverts routes whose expires_at passed. Returns the
 * number expired or -1. Run by the leader (leader.h) and the tests. */
int listener_expire(PGconn *c);

#endif
