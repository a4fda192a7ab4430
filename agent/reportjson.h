/*
 * reportjson.h: "scan --report --json" and "scan --unknown --json".
 *
 * NAME
 *	reportjson - a report view (report.h) as one JSON document
 *
 * DESCRIPTION
 *	The same content as reporttext.h, cut to the same top entries:
 *
 *	  {"top":N,
 *	   "summary":{"first":T|null,"last":T|null,"lines":N,"malformed":N,
 *	              "deliveries":N,"sent":N,"deferred":N,"bounced":N},
 *	   "providers":[{"provider":S,"sent":N,"deferred":N,"bounced":N,
 *	                 "failing_share":0.556|null,
 *	                 "classes":[{"class":S,"deferred":N,"bounced":N}]}],
 *	   "providers_more":N,
 *	   "blocks":[{"node":S,"provider":S,"class":S,"start":T,"end":T|null,
 *	              "open":true|false,"count":N}],
 *	   "blocks_more":N,"blocks_dropped":N,
 *	   "surges":[{"node":S,"sender":S,"sender_kind":"sasl"|"envelope"|"node",
 *	              "reasons":[S],"first":T,"last":T,"events":N,"rate":N}],
 *	   "surges_more":N,"surges_dropped":N,
 *	   "unknown":{"deliveries":N,"distinct":N,"evicted":N,"more":N,
 *	              "replies":[{"reply":S,"count":N,"error":N,
 *	                          "providers":[S],"more_providers":B,"example":S}]}}
 *
 *	T is UTC, "2026-11-27T08:41:20Z"; "failing_share" is (deferred +
 *	bounced) / (sent + deferred + bounced), null without deliveries;
 *	"*_more" counts the entries past top; "error" is how much "count"
 *	may be too high (report.h, MEMORY). With unknown_only, the document
 *	is {"top":N,"deliveries":N,"unknown":{...}}.
 *
 * OWNERSHIP
 *	Appends the document, indented, with a final newline, to the
 *	caller's strbuf; keeps nothing.
 */
#ifndef POSTROUTE_REPORTJSON_H
#define POSTROUTE_REPORTJSON_H

#include <stddef.h>

#include "report.h"
#include "strbuf.h"

void reportjson_render(const struct report_view *v, size_t top, int unknown_only,
    struct strbuf *out);

#endif
