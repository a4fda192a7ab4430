/*
 * replay.h: the routing table at a past time, rebuilt from history.
 *
 * Every route change is a history row (action route.set, route.delete,
 * route.expired) with the route as JSON before and after. Replaying the
 * rows at or before T in order (time, then id) gives, for each (provider,
 * scope), the route as it stood at T, or none: exactly what the feed
 * served then, since the feed renders the committed routes and an expired
 * route leaves them with its route.expired row.
 *
 * Ownership: the caller owns the returned array. Rows that are malformed
 * (no time, no provider) are errors, not skipped: an audit answer built on
 * guessed rows would be wrong.
 */
#ifndef POSTROUTE_CLI_REPLAY_H
#define POSTROUTE_CLI_REPLAY_H

#include <jansson.h>

#include "strbuf.h"
#include "timeparse.h"

/*
 * rows: history rows in any order, any actions (others are ignored).
 * Returns 0 and *routes (ROUTE objects sorted by provider, then scope with
 * '*' first), *version the highest route version at or before T (0 if
 * none); or -1 with err set.
 */
int replay_routes(const json_t *rows, const struct tp_time *at, json_t **routes,
    long long *version, struct strbuf *err);

#endif
