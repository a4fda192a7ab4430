/*
 * duration.h: parse and format durations such as "500ms", "30s", "2h", "7d".
 *
 * A bare number means seconds. Used by the config loader and the CLI.
 */
#ifndef POSTROUTE_DURATION_H
#define POSTROUTE_DURATION_H

/* Parses s into milliseconds; returns 0, or -1 on a malformed value. */
int duration_parse_ms(const char *s, long long *ms);

#endif
