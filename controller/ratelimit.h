/*
 * ratelimit.h: at most N actions per key in any window of W seconds.
 *
 * A sliding-window log: each key keeps the times of its last N accepted
 * actions in a ring. An action is accepted when fewer than N were
 * accepted in the last W seconds; otherwise it is refused and the caller
 * learns how many seconds remain until the oldest of them leaves the
 * window (for Retry-After). Refused actions are not recorded, so a
 * client that keeps hammering is served again as soon as the window
 * allows, and never later.
 *
 * Keys are any C strings (a token name, a client address). The table
 * holds at most max_keys of them: when it is full, keys whose window is
 * empty are forgotten first, then the key least recently seen. A key's
 * ring grows with what it sends (up to N), so memory is bounded by
 * max_keys * N timestamps and is far less for keys that send little.
 *
 * State is in this process's memory only: with several controllers
 * behind a load balancer, each applies the limit on its own, so the
 * fleet-wide limit is N times the number of controllers.
 *
 * Thread-safe (one mutex). Time is passed in by the caller (monotonic
 * seconds), so tests can drive it.
 */
#ifndef POSTROUTE_RATELIMIT_H
#define POSTROUTE_RATELIMIT_H

#include <stddef.h>

struct ratelimit;

/* limit >= 1 actions per window_s > 0 seconds; max_keys >= 1. */
struct ratelimit *ratelimit_new(unsigned limit, double window_s, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);

/* Accounts one action of key at now. 1: accepted. 0: refused, and
 * *retry_s (when not NULL) is the whole number of seconds, at least 1,
 * after which the next action of key will be accepted. */
int ratelimit_take(struct ratelimit *rl, const char *key, double now, long *retry_s);

/* Keys held now (for tests and metrics). */
size_t ratelimit_keys(struct ratelimit *rl);

/* Monotonic seconds (CLOCK_MONOTONIC). */
double ratelimit_now(void);

#endif
