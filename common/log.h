/*
 * log.h: the one logging API of every postroute program.
 *
 * Lines go to stderr (journald takes them) as "prog[pid]: level: text".
 * log_warn appends strerror(errno); log_warnx does not. log_fatal and
 * log_fatalx never return: use them for programmer errors and start-up
 * failures only, never for bad external input. log_errorx logs at error
 * level and returns: something an operator must act on.
 *
 * A line is always one line: control characters in the text are escaped
 * (log_escape), whatever a formatted field contains.
 */
#ifndef POSTROUTE_LOG_H
#define POSTROUTE_LOG_H

#include <stddef.h>
#include <stdnoreturn.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_init(const char *progname);
void log_set_level(enum log_level level);
int log_level_parse(const char *name, enum log_level *out);

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
void log_warn(const char *fmt, ...) LOG_FMT(1, 2);
void log_warnx(const char *fmt, ...) LOG_FMT(1, 2);
void log_errorx(const char *fmt, ...) LOG_FMT(1, 2);

/* Copies in to out (size bytes, NUL-terminated, truncated at a whole
 * escape) with \n, \r, \t as two characters and every other control
 * character (below 0x20, and 0x7f) as \xHH. Returns the length written. */
size_t log_escape(const char *in, char *out, size_t size);
noreturn void log_fatal(const char *fmt, ...) LOG_FMT(1, 2);
noreturn void log_fatalx(const char *fmt, ...) LOG_FMT(1, 2);

#endif
