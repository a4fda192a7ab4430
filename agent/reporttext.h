/*
 * reporttext.h: the text of "scan --report" and "scan --unknown".
 *
 * NAME
 *	reporttext - a report view (report.h) as text for a terminal
 *
 * DESCRIPTION
 *	reporttext_full renders the whole report, in this order: a summary
 *	(the log's span, lines read and skipped, deliveries sent, deferred
 *	and bounced), providers (sent, deferred, bounced, share failing),
 *	failures by provider and class, blocks (node, provider, class,
 *	start, end or "still open", count), surges (node, sender, kind,
 *	reasons, first and last event, events, highest rate) and the
 *	unknown replies (count, providers, masked reply, then one example).
 *	reporttext_unknown renders the unknown replies alone. The example line
 *	is left out when it reads as the masked reply (nothing was masked).
 *
 *	Every list shows its first top entries in the view's order (report.h:
 *	most failures, still-open and latest blocks, latest surges, most
 *	frequent replies) and says how many more there are. Times are UTC,
 *	"2026-11-27T08:41:20Z". Columns are aligned with spaces; the last
 *	column is not padded. Counts that Space-Saving may have raised (see
 *	report.h, MEMORY) are shown as "~N".
 *
 * OWNERSHIP
 *	Appends to the caller's strbuf; keeps nothing.
 */
#ifndef POSTROUTE_REPORTTEXT_H
#define POSTROUTE_REPORTTEXT_H

#include <stddef.h>

#include "report.h"
#include "strbuf.h"

void reporttext_full(const struct report_view *v, size_t top, struct strbuf *out);
void reporttext_unknown(const struct report_view *v, size_t top, struct strbuf *out);

#endif
