/*
 * evidence.h: how much of an event is kept as evidence.
 *
 * An event's body is stored as its evidence: in history (block.open,
 * block.clear, policy.*, volume.surge rows) and, for its samples, in the
 * open block (refreshed by each new report of the same block, replaced,
 * never appended to). The lists of an event, "samples" (log lines) and
 * "queue_ids", are the only parts whose size the reporter chooses
 * freely; every other field is a bounded name or number. So:
 *
 *   - each list must be an array of at most EVIDENCE_MAX_ITEMS strings
 *     (more, or anything else, is refused: 400 naming the field);
 *   - each string is stored cut to EVIDENCE_MAX_ITEM_OCTETS octets, at a
 *     UTF-8 character boundary, and the stored evidence then carries
 *     "truncated": true.
 *
 * One event's evidence is thus at most about 2 * 20 * 512 octets plus a
 * few hundred, and a block's samples at most 20 * 512 octets however
 * often it is refreshed (schema/0007 repeats that bound as a CHECK).
 */
#ifndef POSTROUTE_EVIDENCE_H
#define POSTROUTE_EVIDENCE_H

#include <jansson.h>

#define EVIDENCE_MAX_ITEMS 20
#define EVIDENCE_MAX_ITEM_OCTETS 512

/* NULL when body's list `field` (absent, null, or an array of at most
 * EVIDENCE_MAX_ITEMS strings) is acceptable, else the reason. */
const char *evidence_check_list(json_t *body, const char *field);

/* The evidence to store for body, as compact JSON text (caller frees):
 * body with every string of "samples" and "queue_ids" cut to
 * EVIDENCE_MAX_ITEM_OCTETS octets, and "truncated": true when one was. */
char *evidence_text(json_t *body);

#endif
