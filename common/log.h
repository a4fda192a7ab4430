/*
 * log.h: the one logging API of every postroute program.
 *
 * Lines go to stderr (journald takes them) as "prog[pid]: level: text".
 * log_warn appends strerror(errno); log_warnx does not. log_fatal and
 * log_fatalx never return: use them for programmer errors and start-up
 * failures only, never for bad external input.
 */
#ifndef POSTROUTE_LOG_H
#define POSTROUTE_LOG_H

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
noreturn void log_fatal(const char *fmt, ...) LOG_FMT(1, 2);
noreturn void log_fatalx(const char *fmt, ...) LOG_FMT(1, 2);

#endif
