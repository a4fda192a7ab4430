/*
 * metrics.c: the process's counters, rendered on demand.
 *
 * Owns static storage only. Request counters are kept per endpoint and per
 * status code among the codes the API answers with; anything else is
 * counted under "other".
 */
#include "metrics.h"

#include <stdatomic.h>

static const int metrics_codes[] = { 200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
	413, 415, 429, 500, 503 };
#define NCODES ((int)(sizeof(metrics_codes) / sizeof(metrics_codes[0])))

static const char *const *metrics_labels;
static int metrics_nlabels;
static atomic_ulong metrics_requests[METRICS_MAX_ENDPOINTS][NCODES + 1];
static atomic_ulong metrics_db_errors, metrics_db_reconnects, metrics_listen_reconnects;
static atomic_ulong metrics_wakeups, metrics_deadline_drops;
static atomic_ulong metrics_events_rate_limited;
static atomic_ulong metrics_token_cache_hits, metrics_token_db_lookups;
static atomic_long metrics_waiting;
static atomic_llong metrics_version;
static atomic_int metrics_db_up;

void
metrics_init(const char *const *endpoint_labels, int n)
{
	metrics_labels = endpoint_labels;
	metrics_nlabels = n < METRICS_MAX_ENDPOINTS ? n : METRICS_MAX_ENDPOINTS;
}

void
metrics_count_request(int endpoint, int status)
{
	int i;

	if (endpoint < 0 || endpoint >= metrics_nlabels)
		return;
	for (i = 0; i < NCODES && metrics_codes[i] != status; i++)
		;
	atomic_fetch_add(&metrics_requests[endpoint][i], 1);
}

void metrics_count_db_error(void) { atomic_fetch_add(&metrics_db_errors, 1); }
void metrics_count_db_reconnect(void) { atomic_fetch_add(&metrics_db_reconnects, 1); }
void metrics_count_listen_reconnect(void) { atomic_fetch_add(&metrics_listen_reconnects, 1); }
void metrics_count_wakeups(unsigned long n) { atomic_fetch_add(&metrics_wakeups, n); }
void metrics_count_deadline_drops(unsigned long n) { atomic_fetch_add(&metrics_deadline_drops, n); }
void metrics_count_events_rate_limited(void) { atomic_fetch_add(&metrics_events_rate_limited, 1); }
void metrics_set_waiting(long n) { atomic_store(&metrics_waiting, n); }
void metrics_set_version(long long v) { atomic_store(&metrics_version, v); }
void metrics_set_db_up(int up) { atomic_store(&metrics_db_up, up); }

void
metrics_count_token_lookup(int cached)
{
	atomic_fetch_add(cached ? &metrics_token_cache_hits : &metrics_token_db_lookups, 1);
}

void
metrics_render(struct strbuf *out)
{
	strbuf_append(out,
	    "# HELP postroute_http_requests_total HTTP requests by endpoint and status.\n"
	    "# TYPE postroute_http_requests_total counter\n");
	for (int e = 0; e < metrics_nlabels; e++) {
		for (int i = 0; i <= NCODES; i++) {
			unsigned long v = atomic_load(&metrics_requests[e][i]);
			if (v == 0)
				continue;
			if (i < NCODES)
				strbuf_appendf(out, "postroute_http_requests_total{endpoint=\"%s\",status=\"%d\"} %lu\n",
				    metrics_labels[e], metrics_codes[i], v);
			else
				strbuf_appendf(out, "postroute_http_requests_total{endpoint=\"%s\",status=\"other\"} %lu\n",
				    metrics_labels[e], v);
		}
	}
	strbuf_appendf(out,
	    "# HELP postroute_feed_waiting Feed requests waiting for a change.\n"
	    "# TYPE postroute_feed_waiting gauge\npostroute_feed_waiting %ld\n"
	    "# HELP postroute_feed_wakeups_total Waiting feed requests woken by a change.\n"
	    "# TYPE postroute_feed_wakeups_total counter\npostroute_feed_wakeups_total %lu\n"
	    "# HELP postroute_http_deadline_drops_total Connections closed for not sending a whole request within request_timeout.\n"
	    "# TYPE postroute_http_deadline_drops_total counter\npostroute_http_deadline_drops_total %lu\n"
	    "# HELP postroute_events_rate_limited_total Events refused (429) by [server] events_per_minute.\n"
	    "# TYPE postroute_events_rate_limited_total counter\npostroute_events_rate_limited_total %lu\n"
	    "# HELP postroute_db_errors_total Failed SQL statements.\n"
	    "# TYPE postroute_db_errors_total counter\npostroute_db_errors_total %lu\n"
	    "# HELP postroute_db_reconnects_total Database reconnections of the request pool.\n"
	    "# TYPE postroute_db_reconnects_total counter\npostroute_db_reconnects_total %lu\n"
	    "# HELP postroute_listen_reconnects_total Re-established LISTEN connections.\n"
	    "# TYPE postroute_listen_reconnects_total counter\npostroute_listen_reconnects_total %lu\n"
	    "# HELP postroute_token_cache_hits_total Requests whose token was found in the lookup cache.\n"
	    "# TYPE postroute_token_cache_hits_total counter\npostroute_token_cache_hits_total %lu\n"
	    "# HELP postroute_token_db_lookups_total Token lookups sent to the database.\n"
	    "# TYPE postroute_token_db_lookups_total counter\npostroute_token_db_lookups_total %lu\n"
	    "# HELP postroute_db_up Whether the LISTEN connection to the database is up.\n"
	    "# TYPE postroute_db_up gauge\npostroute_db_up %d\n"
	    "# HELP postroute_routing_version Current routing version.\n"
	    "# TYPE postroute_routing_version gauge\npostroute_routing_version %lld\n"
	    "# HELP postroute_build_info Build information.\n"
	    "# TYPE postroute_build_info gauge\npostroute_build_info{version=\"%s\"} 1\n",
	    atomic_load(&metrics_waiting), atomic_load(&metrics_wakeups),
	    atomic_load(&metrics_deadline_drops),
	    atomic_load(&metrics_events_rate_limited),
	    atomic_load(&metrics_db_errors), atomic_load(&metrics_db_reconnects),
	    atomic_load(&metrics_listen_reconnects), atomic_load(&metrics_token_cache_hits),
	    atomic_load(&metrics_token_db_lookups), atomic_load(&metrics_db_up),
	    atomic_load(&metrics_version), POSTROUTE_VERSION);
}
