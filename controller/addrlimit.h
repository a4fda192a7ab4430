/*
 * addrlimit.h: a per-client-address budget of failures (401 answers).
 *
 * Each address (an IPv4 address, or the /64 of an IPv6 one) has a token
 * bucket of per_minute failures that refills evenly over a minute. While
 * the bucket is empty the address is "blocked": the caller answers 429
 * with Retry-After without looking anything up. The table is a fixed
 * array (ADDRLIMIT_SLOTS entries, set-associative): memory does not grow
 * with the number of addresses; under a spray of addresses the
 * least-recently-failed entry of a set is reused. Thread-safe (one mutex).
 */
#ifndef POSTROUTE_ADDRLIMIT_H
#define POSTROUTE_ADDRLIMIT_H

#include <sys/socket.h>

struct addrlimit;

/* per_minute 0: never blocks. */
struct addrlimit *addrlimit_new(long long per_minute);
void addrlimit_free(struct addrlimit *l);

/* Seconds until addr may fail again (>= 1) while its budget is spent,
 * else 0. now is CLOCK_MONOTONIC seconds. NULL addr: never blocked. */
int addrlimit_blocked(struct addrlimit *l, const struct sockaddr *addr, double now);

/* Spends one failure of addr's budget. */
void addrlimit_fail(struct addrlimit *l, const struct sockaddr *addr, double now);

#endif
