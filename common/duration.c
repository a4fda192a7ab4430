/*
 * duration.c: "<number><unit>" with units ms, s, m, h, d.
 */
#include "duration.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int
duration_parse_ms(const char *s, long long *ms)
{
	static const struct { const char *unit; long long mult; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (v > LLONG_MAX / units[i].mult)
			return -1;
		*ms = v * units[i].mult;
		return 0;
	}
	return -1;
}
