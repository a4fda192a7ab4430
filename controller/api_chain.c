/*
 * api_chain.c: GET /v1/history/chain, the history's hash chain page by page.
 *
 * Each row's stored hash and the hash recomputed now from the row as stored
 * and the stored hash of the row before it (history_chain_rows() of
 * schema/0004_history_chain.sql). The client compares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"

#define CHAIN_PAGE_MAX 10000

/* An absent v is def; else a decimal integer in min..max, or a 400. */
static int
chain_number(const char *v, const char *field, long long min, long long max, long long def,
    long long *out, struct http_reply *rep)
{
	char *end = NULL;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	*out = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || strlen(v) > 18 || *out < min || *out > max) {
		api_error(rep, 400, "%s: must be an integer between %lld and %lld", field, min, max);
		return -1;
	}
	return 0;
}

enum api_result
api_history_chain(struct app *app, struct http_request *req, struct http_reply *rep)
{
	long long after, limit;
	char a[24], l[24];

	if (chain_number(http_query(req, "after"), "after", 0, 999999999999999999LL, 0, &after,
	    rep) != 0 ||
	    chain_number(http_query(req, "limit"), "limit", 1, CHAIN_PAGE_MAX, 1000, &limit, rep) != 0)
		return API_DONE;
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(l, sizeof(l), "%lld", limit);
	const char *p[] = { a, l };
	return api_read_doc(app, rep, "history chain",
	    "SELECT jsonb_build_object("
	    " 'chain', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'at', rfc3339(r.at),"
	    "  'action', r.action, 'hash', r.stored, 'computed', r.computed) ORDER BY r.id)"
	    "  FROM history_chain_rows($1::bigint, $2::int) r), '[]'))", 2, p);
}
