/*
 * log.c: leveled logging to stderr.
 *
 * Owns only the program name and the current level. Each line is written
 * with one fprintf call so lines from several threads do not interleave.
 * Control characters in the formatted text (a newline in a reporter's
 * field, an escape sequence) are written escaped (\n, \r, \t, \xHH), so
 * no field can split a line or forge the next one.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *log_prog = "postroute";
static enum log_level log_min = LOG_LEVEL_INFO;

void
log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	log_prog = slash ? slash + 1 : progname;
}

void
log_set_level(enum log_level level)
{
	log_min = level;
}

int
log_level_parse(const char *name, enum log_level *out)
{
	static const char *names[] = { "debug", "info", "warn", "error" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

size_t
log_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		char esc[5];
		size_t n = 0;
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[n++] = '\\';
			esc[n++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			esc[n++] = '\\', esc[n++] = 'x';
			esc[n++] = hex[*p >> 4], esc[n++] = hex[*p & 15];
		} else {
			esc[n++] = (char)*p;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	static const char *tags[] = { "debug", "info", "warning", "error" };
	char text[2048], safe[4096];

	if (level < log_min)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	log_escape(text, safe, sizeof(safe));
	fprintf(stderr, "%s[%ld]: %s: %s%s%s\n", log_prog, (long)getpid(),
	    tags[level], safe, suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_BODY(level, suffix)                 \
	va_list ap;                             \
	va_start(ap, fmt);                      \
	log_emit(level, fmt, ap, suffix);       \
	va_end(ap)

void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, NULL); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, NULL); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, NULL); }
void log_errorx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_ERROR, NULL); }

void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_LEVEL_WARN, err);
}

void
log_fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_LEVEL_ERROR, err);
	exit(1);
}

void
log_fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, NULL);
	exit(1);
}
