/*
 * outbox.h: on-call messages written into the database (notify_outbox).
 *
 * A message is queued in the transaction of the change it is about (the
 * event's, the expiry's, the stale-node pass's), so it exists exactly when
 * the change committed, once, whichever controller made it; the leader's
 * sender (notify.h) posts it. Nothing is posted from here.
 *
 * A message with an incident is one step of an incident's life: a
 * trigger (a block opens, a node goes stale) or the resolve that ends it
 * (the block clears, the node catches up); the incident is PagerDuty's
 * dedup_key, shared by the two. Such a message is queued whenever the
 * change happens: the change itself happens once. A message without an
 * incident (a refused report, a failed apply, a surge) is dropped when a
 * message with the same key was queued within the last ten minutes
 * (notify_recent), by any controller; PagerDuty gets it as an alert of its
 * own (dedup_key KEY#ID, so a second copy of that row folds into it).
 */
#ifndef POSTROUTE_OUTBOX_H
#define POSTROUTE_OUTBOX_H

#include <libpq-fe.h>

#include "strbuf.h"

struct notice {
	const char *key;        /* "block/mx01/google": deduplication */
	const char *text;       /* what on-call reads */
	const char *incident;   /* PagerDuty dedup_key of a trigger/resolve pair, or NULL */
	int resolve;            /* 1: ends incident */
	const char *severity;   /* critical, error, warning, info; NULL: warning */
	const char *source;     /* the node concerned; NULL: "postroute" */
};

/* Queues n on c (inside the caller's transaction when there is one) and
 * logs its text. Returns 1 when queued, 0 when dropped as a repeat, -1
 * on a database error (message in err). */
int outbox_put(PGconn *c, const struct notice *n, struct strbuf *err);

#endif
