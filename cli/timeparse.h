/*
 * timeparse.h: the times a person types, as RFC 3339 UTC for the API.
 *
 * Accepted: "now"; a relative age ("30s", "30m", "2h", "7d", "2w", with an
 * optional leading '-'), meaning that long before now; ISO 8601 / RFC 3339
 * absolute times "2026-11-27", "2026-11-27T18:04", "2026-11-27 18:04:05",
 * "2026-11-27T18:04:05.123456Z", "...+01:00", "...+0100". A time without a
 * zone is UTC. Fractions keep microseconds.
 *
 * Nothing is allocated; bad input returns -1 and a static reason.
 */
#ifndef POSTROUTE_CLI_TIMEPARSE_H
#define POSTROUTE_CLI_TIMEPARSE_H

#include <stddef.h>

struct tp_time {
	long long sec;      /* seconds since the epoch, UTC */
	int usec;           /* 0-999999 */
};

#define TIMEPARSE_BUFLEN 96

/* Any accepted form; now_sec is the clock for relative and "now". */
int timeparse_parse(const char *s, long long now_sec, struct tp_time *out,
    const char **why);

/* An absolute ISO 8601 / RFC 3339 time only (as the API writes them). */
int timeparse_absolute(const char *s, struct tp_time *out, const char **why);

/* "2026-11-27T18:04:05Z", or with ".123456" when usec is not 0. */
void timeparse_format(const struct tp_time *t, char buf[TIMEPARSE_BUFLEN]);

/* t plus us microseconds (may be negative). */
void timeparse_add_us(struct tp_time *t, long long us);

/* <0, 0, >0 like strcmp. */
int timeparse_cmp(const struct tp_time *a, const struct tp_time *b);

#endif
