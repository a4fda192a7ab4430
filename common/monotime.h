/*
 * monotime.h: the one clock for durations, deadlines and timeouts.
 *
 * NAME
 *	monotime - milliseconds or seconds of CLOCK_MONOTONIC
 *
 * SYNOPSIS
 *	long long t0 = monotime_ms();
 *	...
 *	log_info("took %lld ms", monotime_ms() - t0);
 *
 * DESCRIPTION
 *	monotime_ms and monotime_s read CLOCK_MONOTONIC: the time since an
 *	unspecified start, which the system's wall clock (date, NTP steps)
 *	does not move. Differences are durations; a value plus a timeout is
 *	a deadline. Neither means anything as a date: use time(2) for
 *	timestamps that are stored or shown.
 *
 *	monotime_ms truncates to whole milliseconds; monotime_s keeps the
 *	nanoseconds as a fraction.
 *
 * DIAGNOSTICS
 *	None: CLOCK_MONOTONIC cannot fail on the systems we run on.
 *
 * SECURITY
 *	Thread-safe and async-signal-safe (clock_gettime only).
 */
#ifndef POSTROUTE_MONOTIME_H
#define POSTROUTE_MONOTIME_H

long long monotime_ms(void);
double monotime_s(void);

#endif
