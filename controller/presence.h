/*
 * presence.h: which nodes asked for their feed lately.
 *
 * Feed requests note their node here (no database write on the request
 * path); the housekeeping thread takes the set once a second and records
 * nodes.last_feed_at for all of them in one statement. Every call is
 * thread-safe; noting a name already in the set costs one hash probe.
 */
#ifndef POSTROUTE_PRESENCE_H
#define POSTROUTE_PRESENCE_H

#include "strbuf.h"

/* At most this many distinct names between two takes, each at most
 * PRESENCE_NAME_MAX octets (node names have 63 at most); an empty name, or
 * one beyond either bound, is not noted (a node left out is noted again on
 * its next request after the take). */
#define PRESENCE_MAX      (1 << 20)
#define PRESENCE_NAME_MAX 255

struct presence;

struct presence *presence_new(void);
void presence_free(struct presence *p);
void presence_note(struct presence *p, const char *node);
/* Empties the set into out as a PostgreSQL array literal ("{a,b}", in no
 * particular order); returns the number of nodes (0: out untouched). */
int presence_take(struct presence *p, struct strbuf *out);

#endif
