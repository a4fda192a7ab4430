/*
 * metrics.h: this controller's own counters, gauges and histograms for
 * GET /metrics (Prometheus text format).
 *
 * Lock-free atomics, safe from any thread. Endpoint labels (the route
 * class, "GET /v1/nodes/{}/transport", never the raw path) are registered
 * once at start (metrics_init) and referred to by index afterwards. What
 * every controller must report alike (nodes, routes, blocks) is read from
 * the database at scrape time instead: metricsdb.h.
 */
#ifndef POSTROUTE_METRICS_H
#define POSTROUTE_METRICS_H

#include "strbuf.h"

#define METRICS_MAX_ENDPOINTS 64

void metrics_init(const char *const *endpoint_labels, int n);
/* One answered request: its endpoint, HTTP status code and the seconds
 * from its arrival to its answer (a feed's wait included). */
void metrics_observe_request(int endpoint, int code, double seconds);
void metrics_count_db_error(void);
void metrics_count_db_reconnect(void);
void metrics_count_listen_reconnect(void);
void metrics_count_wakeups(unsigned long n);
/* Connections closed for missing [server] request_timeout. */
void metrics_count_deadline_drops(unsigned long n);
/* One POST /v1/events refused by [server] events_per_minute. */
void metrics_count_events_rate_limited(void);
/* One request's token: answered by the lookup cache (1) or the database (0). */
void metrics_count_token_lookup(int cached);
/* One committed policy decision: action "flip", "refused" or "hold", and
 * its reason (policy.h); a name outside the known set counts as "other". */
void metrics_count_policy(const char *action, const char *reason);
/* One history row that could not be written (its INSERT or the COMMIT of
 * its change failed). */
void metrics_count_history_failure(void);
void metrics_set_waiting(long n);
void metrics_set_version(long long v);
void metrics_set_db_up(int up);
void metrics_render(struct strbuf *out);

#endif
