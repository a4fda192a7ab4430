/*
 * presence.h: which nodes asked for their feed lately.
 *
 * Feed requests note their node here (no database write on the request
 * path); the listener thread takes the set once a second and records
 * nodes.last_feed_at for all of them in one statement.
 */
#ifndef POSTROUTE_PRESENCE_H
#define POSTROUTE_PRESENCE_H

#include "strbuf.h"

struct presence;

struct presence *presence_new(void);
void presence_free(struct presence *p);
void presence_note(struct presence *p, const char *node);
/* Empties the set into out as a PostgreSQL array literal ("{a,b}");
 * returns the number of nodes (0: out untouched). */
int presence_take(struct presence *p, struct strbuf *out);

#endif
