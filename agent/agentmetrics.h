/*
 * agentmetrics.h: the agent's own counters, gauges and histograms, and
 * their Prometheus text.
 *
 * NAME
 *	agentmetrics - what the sync loop, the log watcher and the outbox did
 *
 * DESCRIPTION
 *	Process-wide state, safe from any thread: the sync loop records each
 *	apply (its steps' durations, the result, the applied version), the
 *	log watcher each line read and each delivery result it classified,
 *	and the outbox is read at render time (eventq_stats). The series are
 *	listed in docs/api.md ("Agent metrics"); [agent] metrics_listen
 *	serves them (agentmetrics_serve).
 *
 *	Deliveries are counted per (provider, status, class) in a table of at
 *	most AGENTMETRICS_MAX_DELIVERY_SERIES entries, so the label set stays
 *	bounded whatever the log holds; beyond it they count under provider
 *	"_overflow".
 *
 * OWNERSHIP
 *	Static storage; the outbox handed to agentmetrics_set_eventq is
 *	borrowed until it is set back to NULL.
 */
#ifndef POSTROUTE_AGENTMETRICS_H
#define POSTROUTE_AGENTMETRICS_H

#include <time.h>

#include "eventq.h"
#include "strbuf.h"

#define AGENTMETRICS_MAX_DELIVERY_SERIES 256

/* One apply that ended: status "applied" or "failed", the version now
 * applied (-1: none yet), and n step durations in milliseconds (a
 * negative one: the step did not run). */
void agentmetrics_apply(const char *status, long long applied, const char *const *steps,
    const long *dur_ms, int n);
/* The version applied when the agent starts (state file), or -1. */
void agentmetrics_set_applied(long long version);
/* One log line read; ts: its own timestamp (0: none). */
void agentmetrics_line(time_t ts);
/* One delivery result the log watcher classified. */
void agentmetrics_delivery(const char *provider, const char *status, const char *cls);
/* One event handed to the outbox. */
void agentmetrics_event_queued(void);
void agentmetrics_set_eventq(struct eventq *q);
void agentmetrics_render(struct strbuf *out);
/* Forgets everything (tests). */
void agentmetrics_reset(void);

#endif
