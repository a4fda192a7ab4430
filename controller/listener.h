/*
 * listener.h: the thread that keeps postrouted's snapshot in step with the
 * database's routing version, by LISTEN/NOTIFY.
 *
 * It owns a connection that LISTENs on postroute_version. On a
 * notification it loads a snapshot (snapshot.h) and publishes it to the
 * long-polls (longpoll_publish), which wakes the waiting feed requests.
 * It also resumes the long-polls whose deadline passed (every 100 ms).
 * Nothing else runs on this thread, so no other work delays a wake-up:
 * presence and the version check are the housekeeping thread's
 * (housekeep.h), expiry and stale nodes the leader's (leader.h).
 *
 * A lost connection is noticed (PQconsumeInput fails, or the socket
 * closes; TCP keepalives for a server that vanished without closing it),
 * re-established with exponential backoff up to 5 s, or at once when the
 * request pool connected meanwhile (the database, or a standby promoted in
 * its place, answers again), and treated as "something may have changed":
 * notifications sent while nobody listened are lost, so the snapshot is
 * re-read and the waiters whose version differs from it are woken.
 * listener_relisten drops a connection that looks alive but carries no
 * notifications (the housekeeping thread's net), so that it is made again.
 */
#ifndef POSTROUTE_LISTENER_H
#define POSTROUTE_LISTENER_H

#include "app.h"

struct listener;

/* Connects (or keeps trying, in the thread), loads the first snapshot and
 * starts the thread. */
struct listener *listener_start(struct app *app);
/* Asks the thread to drop its connection and LISTEN on a new one. Thread-safe. */
void listener_relisten(struct listener *l);
/* Asks the thread to finish and joins it. */
void listener_stop(struct listener *l);

#endif
