/*
 * metrics.c: the process's counters, rendered on demand.
 *
 * Owns static storage only. Request counters are kept per endpoint and per
 * status code among the codes the API answers with; anything else is
 * counted under "other". Request durations are one histogram per endpoint
 * (no code label: the buckets times the codes would be too many series).
 * Policy decisions are counted per (action, reason) from fixed lists, so
 * the label set is bounded whatever the events say.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <string.h>

static const int metrics_codes[] = { 200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
	413, 415, 429, 500, 503 };
#define NCODES ((int)(sizeof(metrics_codes) / sizeof(metrics_codes[0])))

/* Upper bounds in seconds; a feed request waits up to 300 s. */
static const double metrics_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10, 30, 60, 120, 300 };
#define NBUCKETS ((int)(sizeof(metrics_buckets) / sizeof(metrics_buckets[0])))

static const char *const metrics_actions[] = { "flip", "refused", "hold" };
#define NACTIONS ((int)(sizeof(metrics_actions) / sizeof(metrics_actions[0])))
static const char *const metrics_reasons[] = { "server_block", "relay_block", "surge",
	"route_exists", "unknown_provider", "no_healthy_relay", "nothing_to_move",
	"manual_route", "max_flips_per_hour", "max_auto_routes_per_hour",
	"max_relay_share_percent", "relay_block_reporters", "other" };
#define NREASONS ((int)(sizeof(metrics_reasons) / sizeof(metrics_reasons[0])))

struct metrics_hist {
	atomic_ulong bucket[NBUCKETS];   /* not cumulative; summed when rendered */
	atomic_ulong count;
	atomic_ullong sum_us;
};

static const char *const *metrics_labels;
static int metrics_nlabels;
static atomic_ulong metrics_requests[METRICS_MAX_ENDPOINTS][NCODES + 1];
static struct metrics_hist metrics_durations[METRICS_MAX_ENDPOINTS];
static atomic_ulong metrics_policy[NACTIONS][NREASONS];
static atomic_ulong metrics_history_failures;
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
metrics_observe_request(int endpoint, int code, double seconds)
{
	struct metrics_hist *h;
	int i;

	if (endpoint < 0 || endpoint >= metrics_nlabels)
		return;
	for (i = 0; i < NCODES && metrics_codes[i] != code; i++)
		;
	atomic_fetch_add(&metrics_requests[endpoint][i], 1);
	h = &metrics_durations[endpoint];
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < NBUCKETS && seconds > metrics_buckets[i]; i++)
		;
	if (i < NBUCKETS)
		atomic_fetch_add(&h->bucket[i], 1);
	atomic_fetch_add(&h->count, 1);
	atomic_fetch_add(&h->sum_us, (unsigned long long)(seconds * 1e6));
}

static int
metrics_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

void
metrics_count_policy(const char *action, const char *reason)
{
	int a = metrics_index(metrics_actions, NACTIONS, action);
	int r = metrics_index(metrics_reasons, NREASONS, reason);

	if (a < 0)
		return;
	atomic_fetch_add(&metrics_policy[a][r < 0 ? NREASONS - 1 : r], 1);
}

void metrics_count_history_failure(void) { atomic_fetch_add(&metrics_history_failures, 1); }
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

static void
metrics_render_requests(struct strbuf *out)
{
	strbuf_append(out,
	    "# HELP postroute_http_requests_total HTTP requests by endpoint and status code.\n"
	    "# TYPE postroute_http_requests_total counter\n");
	for (int e = 0; e < metrics_nlabels; e++) {
		for (int i = 0; i <= NCODES; i++) {
			unsigned long v = atomic_load(&metrics_requests[e][i]);
			if (v == 0)
				continue;
			if (i < NCODES)
				strbuf_appendf(out, "postroute_http_requests_total{endpoint=\"%s\",code=\"%d\"} %lu\n",
				    metrics_labels[e], metrics_codes[i], v);
			else
				strbuf_appendf(out, "postroute_http_requests_total{endpoint=\"%s\",code=\"other\"} %lu\n",
				    metrics_labels[e], v);
		}
	}
}

static void
metrics_render_durations(struct strbuf *out)
{
	strbuf_append(out,
	    "# HELP postroute_http_request_duration_seconds Time from a request's arrival to its"
	    " answer, by endpoint (a feed's long-poll wait included).\n"
	    "# TYPE postroute_http_request_duration_seconds histogram\n");
	for (int e = 0; e < metrics_nlabels; e++) {
		struct metrics_hist *h = &metrics_durations[e];
		unsigned long count = atomic_load(&h->count), cum = 0;
		if (count == 0)
			continue;
		for (int i = 0; i < NBUCKETS; i++) {
			cum += atomic_load(&h->bucket[i]);
			strbuf_appendf(out, "postroute_http_request_duration_seconds_bucket{endpoint=\"%s\","
			    "le=\"%g\"} %lu\n", metrics_labels[e], metrics_buckets[i], cum);
		}
		strbuf_appendf(out, "postroute_http_request_duration_seconds_bucket{endpoint=\"%s\","
		    "le=\"+Inf\"} %lu\n", metrics_labels[e], count);
		strbuf_appendf(out, "postroute_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
		    metrics_labels[e], (double)atomic_load(&h->sum_us) / 1e6);
		strbuf_appendf(out, "postroute_http_request_duration_seconds_count{endpoint=\"%s\"} %lu\n",
		    metrics_labels[e], count);
	}
}

/* Every (action, reason) pair that can happen is written, at 0 before the
 * first: rate() and increase() then see the first decision too. */
static void
metrics_render_policy(struct strbuf *out)
{
	static const char *const pairs[][2] = {
		{ "flip", "server_block" }, { "flip", "relay_block" }, { "hold", "surge" },
		{ "refused", "route_exists" }, { "refused", "unknown_provider" },
		{ "refused", "no_healthy_relay" }, { "refused", "nothing_to_move" },
		{ "refused", "manual_route" }, { "refused", "max_flips_per_hour" },
		{ "refused", "max_auto_routes_per_hour" }, { "refused", "max_relay_share_percent" },
		{ "refused", "relay_block_reporters" },
	};

	strbuf_append(out,
	    "# HELP postroute_policy_decisions_total Automatic failover decisions committed by this"
	    " controller, by action (flip, refused, hold) and reason.\n"
	    "# TYPE postroute_policy_decisions_total counter\n");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int a = metrics_index(metrics_actions, NACTIONS, pairs[i][0]);
		int r = metrics_index(metrics_reasons, NREASONS, pairs[i][1]);
		strbuf_appendf(out, "postroute_policy_decisions_total{action=\"%s\",reason=\"%s\"} %lu\n",
		    pairs[i][0], pairs[i][1], atomic_load(&metrics_policy[a][r]));
	}
	for (int a = 0; a < NACTIONS; a++) {
		unsigned long v = atomic_load(&metrics_policy[a][NREASONS - 1]);
		if (v > 0)
			strbuf_appendf(out, "postroute_policy_decisions_total{action=\"%s\",reason=\"other\"}"
			    " %lu\n", metrics_actions[a], v);
	}
}

void
metrics_render(struct strbuf *out)
{
	metrics_render_requests(out);
	metrics_render_durations(out);
	metrics_render_policy(out);
	strbuf_appendf(out,
	    "# HELP postroute_history_write_failures_total History rows this controller could not write"
	    " (the change was rolled back).\n"
	    "# TYPE postroute_history_write_failures_total counter\npostroute_history_write_failures_total %lu\n"
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
	    atomic_load(&metrics_history_failures),
	    atomic_load(&metrics_waiting), atomic_load(&metrics_wakeups),
	    atomic_load(&metrics_deadline_drops),
	    atomic_load(&metrics_events_rate_limited),
	    atomic_load(&metrics_db_errors), atomic_load(&metrics_db_reconnects),
	    atomic_load(&metrics_listen_reconnects), atomic_load(&metrics_token_cache_hits),
	    atomic_load(&metrics_token_db_lookups), atomic_load(&metrics_db_up),
	    atomic_load(&metrics_version), POSTROUTE_VERSION);
}
