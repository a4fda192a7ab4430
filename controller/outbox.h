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
 * dedup_key, shared by the two. A trigger is dropped when a trigger with
 * the same key was queued within the last ten minutes (notify_recent), by
 * any controller: a block reported again and refused again is told once.
 * A resolve is always queued, and ends that window for its incident's
 * trigger (keyed by the incident), so a block that opens again after its
 * clear is told again. A trigger without an incident (a refused report, a
 * failed apply, a surge) is an alert of its own in PagerDuty (dedup_key
 * KEY#ID, so a second copy of that row folds into it).
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
