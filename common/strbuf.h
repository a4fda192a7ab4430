/*
 * strbuf.h: a growable, always NUL-terminated string buffer.
 *
 * Used for every rendered text (transport files, HTTP bodies, messages).
 * The buffer owns its memory; strbuf_detach hands it to the caller.
 * A zeroed struct strbuf (STRBUF_INIT) is a valid empty buffer.
 * strbuf_reset empties it and keeps its memory; strbuf_clear frees its
 * memory and leaves an empty buffer, ready for use again.
 *
 * Naming across the tree: NAME_free(p) frees an object and returns NULL;
 * NAME_clear(s) frees what a struct the caller holds owns. "release"
 * means only releasing held mail (holdq, senderhold, the applier), giving
 * a connection back to its pool (db_release) and dropping a reference
 * (longpoll_release).
 */
#ifndef POSTROUTE_STRBUF_H
#define POSTROUTE_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_append(struct strbuf *sb, const char *s);
void strbuf_appendn(struct strbuf *sb, const char *s, size_t n);
void strbuf_appendc(struct strbuf *sb, char c);
void strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
const char *strbuf_str(const struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb);
/* The opposite: sb (emptied first) takes over buf, a malloc'ed block of
 * cap octets holding a NUL-terminated text of len octets. */
void strbuf_attach(struct strbuf *sb, char *buf, size_t len, size_t cap);
void strbuf_clear(struct strbuf *sb);

#endif
