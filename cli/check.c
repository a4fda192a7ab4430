/*
 * check.c: local checks of names, reasons, durations, times and numbers.
 */
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "validate.h"

int
check_name(const struct cli *cli, const char *what, const char *value)
{
	const char *why = validate_name(value);

	if (why == NULL)
		return 0;
	verb_error(cli, "%s \"%.100s\": %s (names are lower-case letters, digits, '.', '_', '-')",
	    what, value, why);
	return -1;
}

int
check_text(const struct cli *cli, const char *what, const char *value, size_t max)
{
	const char *p;

	for (p = value; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0') {
		verb_error(cli, "%s is empty", what);
		return -1;
	}
	for (p = value; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			verb_error(cli, "%s contains a control character", what);
			return -1;
		}
	}
	if (strlen(value) > max) {
		verb_error(cli, "%s is longer than %zu bytes", what, max);
		return -1;
	}
	return 0;
}

int
check_reason(const struct cli *cli, const char *what, const char *value, int required)
{
	const char *p;

	if (value == NULL) {
		if (required)
			verb_error(cli, "%s is required: say why (it goes into the history)", what);
		return required ? -1 : 0;
	}
	for (p = value; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0') {
		verb_error(cli, "%s is empty: say why (it goes into the history)", what);
		return -1;
	}
	return check_text(cli, what, value, 1000);
}

int
check_duration(const struct cli *cli, const char *what, const char *value,
    long long min_s, long long max_s, long long *secs)
{
	long long ms;

	if (duration_parse_ms(value, &ms) != 0 || ms % 1000 != 0) {
		verb_error(cli, "%s \"%.100s\" is not a duration (e.g. 90s, 30m, 2h, 7d)", what,
		    value);
		return -1;
	}
	if (ms / 1000 < min_s || ms / 1000 > max_s) {
		verb_error(cli, "%s %s is out of range (%llds to %llds)", what, value, min_s, max_s);
		return -1;
	}
	*secs = ms / 1000;
	return 0;
}

int
check_time(const struct cli *cli, const char *what, const char *value,
    struct tp_time *t, char buf[TIMEPARSE_BUFLEN])
{
	const char *why;

	if (timeparse_parse(value, cli->now, t, &why) != 0) {
		verb_error(cli, "%s \"%.100s\" %s", what, value, why);
		return -1;
	}
	timeparse_format(t, buf);
	return 0;
}

int
check_int(const struct cli *cli, const char *what, const char *value, long long min,
    long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (*value == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		verb_error(cli, "%s \"%.100s\" is not a number from %lld to %lld", what, value,
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}
