/*
 * holdsince.h: when each sender went on this node's hold map.
 *
 * NAME
 *	holdsince - the start of each hold, kept across restarts
 *
 * DESCRIPTION
 *	A release must let go only of the mail that postroute held, not of
 *	mail an administrator held by hand (postsuper -h) from the same
 *	sender. Postfix keeps no reason with a held message, but
 *	postqueue -j gives its arrival_time: while a sender is on the map,
 *	Postfix holds its new mail as it arrives, so the mail postroute
 *	held arrived at or after the hold began. The agent records that
 *	moment for each sender before it installs a map that adds it, and
 *	the release takes only messages that arrived since (holdq.h).
 *
 *	STATE_DIR/hold-since holds "EPOCH<TAB>sender" lines, senders in
 *	lower case, sorted, written through a temp file and a rename. A
 *	missing file is empty; a sender with no line has an unknown start
 *	(0), and its release then takes all its held mail, as before this
 *	file existed. It is read only when it is a regular file of the
 *	reader's (never through a link, never a FIFO).
 *
 *	With privilege separation both sides keep one: the unprivileged
 *	side in STATE_DIR/user, the root helper in the root-owned
 *	STATE_DIR (privsep.c), and the helper releases by its own times.
 *
 * OWNERSHIP
 *	struct holdsince owns its arrays: holdsince_clear.
 *
 * DIAGNOSTICS
 *	-1 with path and reason in err; a line that does not parse makes
 *	the load fail (an operator must look), like the state file.
 */
#ifndef POSTROUTE_HOLDSINCE_H
#define POSTROUTE_HOLDSINCE_H

#include <stddef.h>

#include "strbuf.h"

struct holdsince {
	char **sender;       /* sorted, lower case */
	long long *since;    /* epoch seconds */
	size_t n;
};

int holdsince_load(const char *dir, struct holdsince *h, struct strbuf *err);
int holdsince_save(const char *dir, const struct holdsince *h, struct strbuf *err);
void holdsince_clear(struct holdsince *h);

/* The start of sender's hold, or 0 when unknown. */
long long holdsince_get(const struct holdsince *h, const char *sender);

/*
 * Every sender of held[0..n) (sorted, lower case) keeps its start or gets
 * now; with keep_others, senders not in held stay (their release is still
 * to come), else they are dropped.
 */
void holdsince_merge(struct holdsince *h, char **held, size_t n, long long now, int keep_others);

#endif
