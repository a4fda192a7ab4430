/*
 * metrics.h: counters and gauges for GET /metrics (Prometheus text format).
 *
 * Lock-free atomics, safe from any thread. Endpoint labels are registered
 * once at start (metrics_init) and referred to by index afterwards.
 */
#ifndef POSTROUTE_METRICS_H
#define POSTROUTE_METRICS_H

#include "strbuf.h"

#define METRICS_MAX_ENDPOINTS 32

void metrics_init(const char *const *endpoint_labels, int n);
void metrics_count_request(int endpoint, int status);
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
void metrics_set_waiting(long n);
void metrics_set_version(long long v);
void metrics_set_db_up(int up);
void metrics_render(struct strbuf *out);

#endif
