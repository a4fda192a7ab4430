/*
 * xalloc.h: allocation that cannot fail silently.
 *
 * Every function aborts the process with a message when memory is
 * exhausted, so callers never test for NULL. The caller owns what it gets.
 */
#ifndef POSTROUTE_XALLOC_H
#define POSTROUTE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* xstrdup with ASCII A-Z folded to a-z. */
char *xstrdup_lower(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
