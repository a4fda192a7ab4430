/*
 * check.h: the user's input checked before anything is sent.
 *
 * The controller validates everything again; these checks exist so that a
 * typo gets a precise message and exit status 2 without a round trip, and
 * so that nothing malformed reaches a URL. Each returns 0, or -1 after
 * printing "postroute: VERB: WHAT: reason" to stderr.
 */
#ifndef POSTROUTE_CLI_CHECK_H
#define POSTROUTE_CLI_CHECK_H

#include "timeparse.h"
#include "verb.h"

/* An object name (provider, relay, node): validate_name's grammar. */
int check_name(const struct cli *cli, const char *what, const char *value);
/* Free text: not blank, no control characters, at most max bytes. */
int check_text(const struct cli *cli, const char *what, const char *value, size_t max);
/* A reason: present, not blank, no control characters, at most 1000 bytes. */
int check_reason(const struct cli *cli, const char *what, const char *value, int required);
/* A duration such as "2h" into whole seconds within [min_s, max_s]. */
int check_duration(const struct cli *cli, const char *what, const char *value,
    long long min_s, long long max_s, long long *secs);
/* A time (timeparse_parse) into RFC 3339 UTC in buf. */
int check_time(const struct cli *cli, const char *what, const char *value,
    struct tp_time *t, char buf[TIMEPARSE_BUFLEN]);
/* A decimal integer within [min, max]. */
int check_int(const struct cli *cli, const char *what, const char *value, long long min,
    long long max, long long *out);

#endif
