/*
 * leader.h: one controller of several on a database does the periodic
 * work and sends the notifications.
 *
 * Every controller runs a leader thread with a connection of its own. It
 * asks for a session-level advisory lock (pg_try_advisory_lock(7470, 1):
 * the two-key form, apart from the one-key locks of migrate and of the
 * history chain) every half second; the one that holds it is the
 * leader and, once a second on that connection:
 *   - expires routes whose TTL passed (housekeep_expire),
 *   - finds nodes that have not applied the current version for
 *     [notify] stale_after and queues a trigger for each newly stale node,
 *     and a resolve for each node that caught up (or was removed), with
 *     the notify_open table as the record of what is open,
 *   - forgets sent notifications older than seven days,
 * and its sender (notify.h) posts the queued messages. The lock is held
 * as long as the session lives: PostgreSQL releases it when the leader's
 * process dies or its connection drops, and the next controller to ask
 * takes over. A leader whose query on that connection fails (connection
 * lost, server restarted) stops leading at once, reconnects with backoff
 * and asks again like the others. The connection's application_name is
 * "postrouted leader HOST LISTEN", so the leader is visible in
 * pg_stat_activity joined with pg_locks.
 *
 * Expiry and the stale pass are also safe if two controllers ran them at
 * once (a route is deleted once under the routing_version lock; a node's
 * notify_open row is inserted or deleted once), so a leader that has not
 * yet noticed its loss cannot make a second copy of either.
 */
#ifndef POSTROUTE_LEADER_H
#define POSTROUTE_LEADER_H

#include "app.h"

struct leader;

/* name identifies this controller in logs and pg_stat_activity. */
struct leader *leader_start(struct app *app, const char *name);
/* Stops the thread; the lock goes with the connection. */
void leader_stop(struct leader *l);
/* 1 while this controller holds the lock. */
int leader_held(const struct leader *l);
/* Increases each time this controller becomes the leader. */
unsigned long leader_term(const struct leader *l);

/* One stale-node pass on c (inside its own transaction): queues a trigger
 * for each node newly stale, a resolve for each that is not any more.
 * Returns the number of messages queued, or -1. */
int leader_stale_pass(PGconn *c, const struct settings *s);

#endif
