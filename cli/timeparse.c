/*
 * timeparse.c: relative ages and ISO 8601 / RFC 3339 times.
 *
 * Fields are read digit by digit with their widths fixed, so "2026-1-5" or
 * trailing text is refused rather than guessed at. Calendar checks are
 * explicit (month lengths, leap years) because timegm would silently
 * normalise 2026-02-31 into March.
 */
#include "timeparse.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Reads exactly n digits at *p; returns -1 when they are not there. */
static int
tp_digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

/* After a field read (prev >= 0) and sep: the next two digits; else -1. */
static int
tp_next(const char **p, int prev, char sep)
{
	if (prev < 0 || **p != sep)
		return -1;
	++*p;
	return tp_digits(p, 2);
}

static int
tp_month_days(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int
tp_date(const char **p, struct tm *tm, const char **why)
{
	int y = tp_digits(p, 4), mo = tp_next(p, y, '-'), d = tp_next(p, mo, '-');

	if (y < 0 || mo < 0 || d < 0) {
		*why = "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)";
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > tp_month_days(y, mo)) {
		*why = "has a date that does not exist";
		return -1;
	}
	tm->tm_year = y - 1900, tm->tm_mon = mo - 1, tm->tm_mday = d;
	return 0;
}

/* "HH:MM[:SS[.frac]]" */
static int
tp_clock(const char **p, struct tm *tm, int *usec, const char **why)
{
	int h = tp_digits(p, 2), mi = tp_next(p, h, ':'), s = 0;

	if (mi >= 0 && **p == ':') {
		++*p;
		s = tp_digits(p, 2);
		if (s >= 0 && (**p == '.' || **p == ',')) {
			int n = 0, scale = 100000;
			for (++*p; isdigit((unsigned char)**p); ++*p, n++) {
				*usec += (**p - '0') * scale;
				scale /= 10;
			}
			if (n == 0)
				s = -1;
		}
	}
	if (h < 0 || mi < 0 || s < 0) {
		*why = "has a malformed time of day (use HH:MM or HH:MM:SS)";
		return -1;
	}
	if (h > 23 || mi > 59 || s > 60) {
		*why = "has a time of day out of range";
		return -1;
	}
	tm->tm_hour = h, tm->tm_min = mi, tm->tm_sec = s;
	return 0;
}

/* "Z", "+HH:MM", "-HHMM", "+HH", or nothing (UTC); offset in seconds east. */
static int
tp_zone(const char **p, long *offset, const char **why)
{
	int sign, h, m = 0;

	*offset = 0;
	if (**p == '\0')
		return 0;
	if ((**p == 'Z' || **p == 'z') && (*p)[1] == '\0') {
		++*p;
		return 0;
	}
	if (**p != '+' && **p != '-') {
		*why = "has trailing text after the time";
		return -1;
	}
	sign = **p == '-' ? -1 : 1;
	++*p;
	h = tp_digits(p, 2);
	if (h >= 0 && **p == ':')
		++*p;
	if (h >= 0 && **p != '\0')
		m = tp_digits(p, 2);
	if (h < 0 || m < 0 || **p != '\0' || h > 23 || m > 59) {
		*why = "has a malformed zone offset (use Z or +01:00)";
		return -1;
	}
	*offset = sign * (h * 3600L + m * 60L);
	return 0;
}

int
timeparse_absolute(const char *s, struct tp_time *out, const char **why)
{
	struct tm tm = { 0 };
	const char *p = s;
	long offset = 0;
	int usec = 0;

	if (tp_date(&p, &tm, why) != 0)
		return -1;
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if (tp_clock(&p, &tm, &usec, why) != 0 || tp_zone(&p, &offset, why) != 0)
			return -1;
	} else if (*p != '\0') {
		*why = "has trailing text after the date";
		return -1;
	}
	out->sec = (long long)timegm(&tm) - offset;
	out->usec = usec;
	return 0;
}

static int
tp_relative(const char *s, long long now_sec, struct tp_time *out, const char **why)
{
	static const struct { char unit; long long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	const char *p = s + (*s == '-');
	const char *digits = p;
	long long v = 0;

	for (; isdigit((unsigned char)*p); p++) {
		if (v > (LLONG_MAX / 10 - 9) / 604800) {
			*why = "is too far in the past";
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (p > digits && p[0] == units[i].unit && p[1] == '\0') {
			out->sec = now_sec - v * units[i].secs;
			out->usec = 0;
			return 0;
		}
	}
	*why = "is not a time (use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)";
	return -1;
}

int
timeparse_parse(const char *s, long long now_sec, struct tp_time *out, const char **why)
{
	size_t len = strlen(s);

	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (strcmp(s, "now") == 0) {
		out->sec = now_sec, out->usec = 0;
		return 0;
	}
	/* a relative age is digits and one unit letter; a date has a '-' at 4 */
	if (len < 5 || s[4] != '-' || s[0] == '-')
		return tp_relative(s, now_sec, out, why);
	return timeparse_absolute(s, out, why);
}

void
timeparse_format(const struct tp_time *t, char buf[TIMEPARSE_BUFLEN])
{
	time_t secs = (time_t)t->sec;
	struct tm tm;

	gmtime_r(&secs, &tm);
	if (t->usec != 0)
		snprintf(buf, TIMEPARSE_BUFLEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, t->usec);
	else
		snprintf(buf, TIMEPARSE_BUFLEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
}

int
timeparse_cmp(const struct tp_time *a, const struct tp_time *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->usec != b->usec)
		return a->usec < b->usec ? -1 : 1;
	return 0;
}

void
timeparse_add_us(struct tp_time *t, long long us)
{
	long long total = (long long)t->usec + us;
	long long carry = total / 1000000;

	total %= 1000000;
	if (total < 0) {
		total += 1000000;
		carry--;
	}
	t->sec += carry;
	t->usec = (int)total;
}
