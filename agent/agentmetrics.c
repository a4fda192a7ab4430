/*
 * agentmetrics.c: the agent's metrics state and its text (see
 * agentmetrics.h).
 *
 * Owns static storage only: atomics for the counters the log thread bumps
 * on every line, one mutex for the rest (histograms, the delivery table,
 * the outbox pointer).
 */
#include "agentmetrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "promtext.h"
#include "xalloc.h"

#define AM_MAX_STEPS 16

/* Upper bounds in seconds: a step takes from under a millisecond (state)
 * to the command timeout (postmap, reload, requeue). */
static const double am_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10, 30, 60 };
#define AM_NBUCKETS ((int)(sizeof(am_buckets) / sizeof(am_buckets[0])))

struct am_hist {
	const char *step;                   /* static, from the sync loop */
	unsigned long bucket[AM_NBUCKETS];  /* not cumulative */
	unsigned long count;
	double sum;
};

struct am_delivery {
	char *provider, *status, *cls;
	unsigned long n;
};

static pthread_mutex_t am_mu = PTHREAD_MUTEX_INITIALIZER;
static struct am_hist am_steps[AM_MAX_STEPS];           /* under am_mu */
static int am_nsteps;
static struct am_delivery am_deliveries[AGENTMETRICS_MAX_DELIVERY_SERIES + 1];
static int am_ndeliveries;
static struct eventq *am_eventq;
static unsigned long am_applies[2];                     /* applied, failed */
static long long am_applied = -1;
static int am_last_failed;
static double am_last_apply_at;

static atomic_ullong am_lines, am_events_queued;
static _Atomic long long am_last_line_ts;
static _Atomic double am_last_lag;

static double
am_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The histogram of step, created on first use. Locked. */
static struct am_hist *
am_step(const char *step)
{
	for (int i = 0; i < am_nsteps; i++)
		if (strcmp(am_steps[i].step, step) == 0)
			return &am_steps[i];
	if (am_nsteps == AM_MAX_STEPS)
		return NULL;
	am_steps[am_nsteps].step = step;
	return &am_steps[am_nsteps++];
}

void
agentmetrics_apply(const char *status, long long applied, const char *const *steps,
    const long *dur_ms, int n)
{
	int failed = strcmp(status, "applied") != 0;

	pthread_mutex_lock(&am_mu);
	for (int i = 0; dur_ms != NULL && i < n; i++) {
		struct am_hist *h;
		double s = (double)dur_ms[i] / 1000.0;
		int b;
		if (dur_ms[i] < 0 || (h = am_step(steps[i])) == NULL)
			continue;
		for (b = 0; b < AM_NBUCKETS && s > am_buckets[b]; b++)
			;
		if (b < AM_NBUCKETS)
			h->bucket[b]++;
		h->count++;
		h->sum += s;
	}
	am_applies[failed]++;
	am_last_failed = failed;
	am_applied = applied;
	am_last_apply_at = am_now();
	pthread_mutex_unlock(&am_mu);
}

void
agentmetrics_set_applied(long long version)
{
	pthread_mutex_lock(&am_mu);
	am_applied = version;
	pthread_mutex_unlock(&am_mu);
}

void
agentmetrics_line(time_t ts)
{
	atomic_fetch_add_explicit(&am_lines, 1, memory_order_relaxed);
	if (ts <= 0)
		return;
	atomic_store_explicit(&am_last_line_ts, (long long)ts, memory_order_relaxed);
	atomic_store_explicit(&am_last_lag, am_now() - (double)ts, memory_order_relaxed);
}

void
agentmetrics_delivery(const char *provider, const char *status, const char *cls)
{
	struct am_delivery *d = NULL;

	pthread_mutex_lock(&am_mu);
	for (int i = 0; i < am_ndeliveries && d == NULL; i++)
		if (strcmp(am_deliveries[i].provider, provider) == 0 &&
		    strcmp(am_deliveries[i].status, status) == 0 && strcmp(am_deliveries[i].cls, cls) == 0)
			d = &am_deliveries[i];
	if (d == NULL && am_ndeliveries < AGENTMETRICS_MAX_DELIVERY_SERIES) {
		d = &am_deliveries[am_ndeliveries++];
		d->provider = xstrdup(provider), d->status = xstrdup(status), d->cls = xstrdup(cls);
	} else if (d == NULL) {
		d = &am_deliveries[AGENTMETRICS_MAX_DELIVERY_SERIES];
		if (d->provider == NULL) {
			d->provider = xstrdup("_overflow");
			d->status = xstrdup("_overflow");
			d->cls = xstrdup("_overflow");
		}
	}
	d->n++;
	pthread_mutex_unlock(&am_mu);
}

void
agentmetrics_event_queued(void)
{
	atomic_fetch_add_explicit(&am_events_queued, 1, memory_order_relaxed);
}

void
agentmetrics_set_eventq(struct eventq *q)
{
	pthread_mutex_lock(&am_mu);
	am_eventq = q;
	pthread_mutex_unlock(&am_mu);
}

void
agentmetrics_reset(void)
{
	pthread_mutex_lock(&am_mu);
	for (int i = 0; i <= AGENTMETRICS_MAX_DELIVERY_SERIES; i++) {
		free(am_deliveries[i].provider), free(am_deliveries[i].status), free(am_deliveries[i].cls);
		memset(&am_deliveries[i], 0, sizeof(am_deliveries[i]));
	}
	memset(am_steps, 0, sizeof(am_steps));
	am_nsteps = am_ndeliveries = 0;
	am_applies[0] = am_applies[1] = 0;
	am_applied = -1, am_last_failed = 0, am_last_apply_at = 0;
	am_eventq = NULL;
	pthread_mutex_unlock(&am_mu);
	atomic_store(&am_lines, 0), atomic_store(&am_events_queued, 0);
	atomic_store(&am_last_line_ts, 0), atomic_store(&am_last_lag, 0);
}

/* ---- text ---- */

/* Locked. */
static void
am_render_steps(struct strbuf *out)
{
	const char *n = "postroute_agent_sync_step_duration_seconds";

	promtext_head(out, n, "histogram", "Duration of each step of an apply (render, postmap, reload,"
	    " requeue...; total: the whole apply).");
	for (int i = 0; i < am_nsteps; i++) {
		const struct am_hist *h = &am_steps[i];
		unsigned long cum = 0;
		for (int b = 0; b < AM_NBUCKETS; b++) {
			cum += h->bucket[b];
			strbuf_appendf(out, "%s_bucket{step=\"%s\",le=\"%g\"} %lu\n", n, h->step,
			    am_buckets[b], cum);
		}
		strbuf_appendf(out, "%s_bucket{step=\"%s\",le=\"+Inf\"} %lu\n", n, h->step, h->count);
		strbuf_appendf(out, "%s_sum{step=\"%s\"} %.6f\n%s_count{step=\"%s\"} %lu\n", n, h->step,
		    h->sum, n, h->step, h->count);
	}
}

/* Locked. */
static void
am_render_sync(struct strbuf *out)
{
	am_render_steps(out);
	promtext_head(out, "postroute_agent_applies_total", "counter",
	    "Applies of a routing version (or restores of the installed map), by result.");
	strbuf_appendf(out, "postroute_agent_applies_total{result=\"applied\"} %lu\n"
	    "postroute_agent_applies_total{result=\"failed\"} %lu\n", am_applies[0], am_applies[1]);
	promtext_head(out, "postroute_agent_applied_version", "gauge",
	    "Routing version installed on this host (-1: none yet).");
	strbuf_appendf(out, "postroute_agent_applied_version %lld\n", am_applied);
	promtext_head(out, "postroute_agent_last_apply_failed", "gauge", "1 when the last apply failed.");
	strbuf_appendf(out, "postroute_agent_last_apply_failed %d\n", am_last_failed);
	promtext_head(out, "postroute_agent_last_apply_timestamp_seconds", "gauge",
	    "Unix time the last apply ended (0: none since start).");
	strbuf_appendf(out, "postroute_agent_last_apply_timestamp_seconds %.3f\n", am_last_apply_at);
}

/* Locked. */
static void
am_render_deliveries(struct strbuf *out)
{
	promtext_head(out, "postroute_agent_deliveries_total", "counter",
	    "Delivery results read from the mail log, by provider, status and class.");
	for (int i = 0; i <= AGENTMETRICS_MAX_DELIVERY_SERIES; i++) {
		const struct am_delivery *d = &am_deliveries[i];
		if (d->provider == NULL)
			continue;
		strbuf_append(out, "postroute_agent_deliveries_total{provider=\"");
		promtext_label(out, d->provider);
		strbuf_append(out, "\",status=\"");
		promtext_label(out, d->status);
		strbuf_append(out, "\",class=\"");
		promtext_label(out, d->cls);
		strbuf_appendf(out, "\"} %lu\n", d->n);
	}
}

/* Locked. */
static void
am_render_events(struct strbuf *out)
{
	struct eventq_stats st = { 0 };

	if (am_eventq != NULL)
		eventq_stats(am_eventq, &st);
	strbuf_appendf(out,
	    "# HELP postroute_agent_events_queued_total Events handed to the outbox.\n"
	    "# TYPE postroute_agent_events_queued_total counter\npostroute_agent_events_queued_total %llu\n"
	    "# HELP postroute_agent_events_waiting Events in the outbox now.\n"
	    "# TYPE postroute_agent_events_waiting gauge\npostroute_agent_events_waiting %zu\n"
	    "# HELP postroute_agent_events_sent_total Events the controller accepted.\n"
	    "# TYPE postroute_agent_events_sent_total counter\npostroute_agent_events_sent_total %zu\n"
	    "# HELP postroute_agent_events_replaced_total Waiting events replaced by a newer one of the same key.\n"
	    "# TYPE postroute_agent_events_replaced_total counter\npostroute_agent_events_replaced_total %zu\n"
	    "# HELP postroute_agent_events_dropped_total Events dropped: the outbox was full, or the controller refused them (4xx).\n"
	    "# TYPE postroute_agent_events_dropped_total counter\n"
	    "postroute_agent_events_dropped_total{reason=\"full\"} %zu\n"
	    "postroute_agent_events_dropped_total{reason=\"refused\"} %zu\n"
	    "# HELP postroute_agent_event_send_failures_total Sends that failed and will be retried.\n"
	    "# TYPE postroute_agent_event_send_failures_total counter\npostroute_agent_event_send_failures_total %zu\n",
	    atomic_load(&am_events_queued), st.queued, st.sent, st.replaced, st.dropped, st.refused,
	    st.failures);
}

void
agentmetrics_render(struct strbuf *out)
{
	pthread_mutex_lock(&am_mu);
	am_render_sync(out);
	am_render_deliveries(out);
	am_render_events(out);
	pthread_mutex_unlock(&am_mu);
	strbuf_appendf(out,
	    "# HELP postroute_agent_log_lines_total Mail log lines read.\n"
	    "# TYPE postroute_agent_log_lines_total counter\npostroute_agent_log_lines_total %llu\n"
	    "# HELP postroute_agent_log_last_line_timestamp_seconds The log's own time of the newest line read (0: none).\n"
	    "# TYPE postroute_agent_log_last_line_timestamp_seconds gauge\n"
	    "postroute_agent_log_last_line_timestamp_seconds %lld\n"
	    "# HELP postroute_agent_log_lag_seconds How far behind the log the newest line read was when it was read.\n"
	    "# TYPE postroute_agent_log_lag_seconds gauge\npostroute_agent_log_lag_seconds %.3f\n"
	    "# HELP postroute_agent_build_info Build information.\n"
	    "# TYPE postroute_agent_build_info gauge\npostroute_agent_build_info{version=\"%s\"} 1\n",
	    atomic_load(&am_lines), atomic_load(&am_last_line_ts), atomic_load(&am_last_lag),
	    POSTROUTE_VERSION);
}
