/*
 * housekeep.h: postrouted's periodic work off the request path.
 *
 * Every controller runs a housekeeping thread that, once a second, on
 * pool connections:
 *   - records which nodes polled their feed on this controller since the
 *     last pass (presence.h: nodes.last_feed_at, in one statement);
 *   - checks the database's routing version: one above the published
 *     snapshot twice in a row (the first time its notification may be on
 *     its way) means notifications are not arriving, e.g. the LISTEN
 *     connection hangs on a server that vanished without closing it while
 *     the pool moved to a promoted standby. The snapshot is then read and
 *     published from here, and the listener told to LISTEN again
 *     (listener_relisten).
 * None of that runs on the listener's thread (listener.h), so a slow
 * database delays no wake-up.
 *
 * housekeep_expire is the expiry pass, run once for all controllers by
 * the leader (leader.h).
 */
#ifndef POSTROUTE_HOUSEKEEP_H
#define POSTROUTE_HOUSEKEEP_H

#include "app.h"
#include "listener.h"

struct housekeep;

/* Starts the thread; l (borrowed) is told when notifications stall. */
struct housekeep *housekeep_start(struct app *app, struct listener *l);
/* Asks the thread to finish and joins it; before listener_stop. */
void housekeep_stop(struct housekeep *h);

/* One expiry pass on c: reverts routes whose expires_at passed, with
 * their history rows. Returns the number expired or -1. */
int housekeep_expire(PGconn *c);

#endif
