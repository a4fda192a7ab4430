/*
 * test_metrics.c: what Prometheus sees, scraped from a real controller
 * (postrouted on a throwaway database) and a real agent (postroute-agent
 * with [agent] metrics_listen on a private Postfix instance, following its
 * mail log):
 *
 *   mx01 (agent) delivers yahoo.test to an smtp-sink that answers 421
 *   [TSS04]: the agent reports the block, the policy sets an automatic
 *   route, and both /metrics show it (route origin auto, block rerouted,
 *   a flip counted, deliveries by provider and class, events sent);
 *   mx02 (no agent) is behind after a flip, then caught up by a report;
 *   a route to a relay whose service is not in master.cf makes mx01's
 *   apply fail (apply_failed 1 on both sides), the next flip clears it;
 *   an event for an unknown provider is a refusal and a block not
 *   rerouted; a history row the database refuses is counted; the agent's listener answers only GET /metrics, refuses a
 *   bad address at -n, and runs as [agent] user, not root.
 *
 * Last, every postroute_* name used by deploy/prometheus-alerts.yml,
 * deploy/grafana-dashboard.json and docs/api.md ("Metrics", "Agent
 * metrics") must be one that these scrapes expose.
 */
#include <ctype.h>
#include <math.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct pfx_sink *sink_block, *sink_good;
static struct pfx *mx1;
static struct agentrun *ag1;
static char *ctl_metrics, *agent_metrics;   /* URLs */
static char *viewer;                        /* a viewer token's secret */

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static long long
api_version(const char *method, const char *path, const char *body)
{
	json_t *j = tl_api_ok(ctl, method, path, ctl->admin, body);
	long long v = json_integer_value(json_object_get(j, "version"));

	json_decref(j);
	return v;
}

/* The text of GET url (fails the test unless 200); the controller's with
 * a viewer token, as a Prometheus server configured for it sends. */
static char *
scrape(const char *url)
{
	char *raw = NULL;
	long st = tl_http("GET", url, strcmp(url, ctl_metrics) == 0 ? viewer : NULL, NULL, NULL, &raw);

	if (st != 200)
		fail_msg("GET %s: %ld", url, st);
	return raw;
}

/* The value of the sample whose name and labels are exactly series, or NAN. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

static double
scrape_sample(const char *url, const char *series)
{
	char *text = scrape(url);
	double v = sample(text, series);

	free(text);
	return v;
}

struct want {
	const char *url, *series;
	double value;
	int at_least;     /* >= value rather than == */
};

static int
want_met(void *arg)
{
	const struct want *w = arg;
	double v = scrape_sample(w->url, w->series);

	return !isnan(v) && (w->at_least ? v >= w->value : v == w->value);
}

/* Waits for series at url to be (at least) value; fails naming what it was. */
static void
await_sample(const char *url, const char *series, double value, int at_least)
{
	struct want w = { url, series, value, at_least };

	if (!tl_wait_for(want_met, &w, 20000)) {
		char *text = scrape(url);
		fail_msg("%s: %s is %g, want %s%g\n%s", url, series, sample(text, series),
		    at_least ? ">= " : "", value, text);
	}
}

static void
put_relay(const char *name, const char *nexthop)
{
	char *path = xasprintf("/v1/relays/%s", name), *body = xasprintf("{\"nexthop\": \"%s\"}", nexthop);

	api("PUT", path, body);
	free(path), free(body);
}

static int
group_setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	sink_block = pfx_sink_start("127.0.2.2", "421 4.7.0 [TSS04] Messages from 127.0.0.1 "
	    "temporarily deferred due to user complaints - 4.16.55.1; see "
	    "https://postmaster.yahooinc.com/error-codes");
	sink_good = pfx_sink_start("127.0.2.3", NULL);
	put_relay("r-good", sink_good->nexthop);
	tl_providers_clear(ctl);
	api("PUT", "/v1/providers/yahoo", "{\"domains\": [\"yahoo.test\"]}");
	api("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.test\"]}");
	api("PUT", "/v1/nodes/mx02", "{\"role\": \"server\"}");
	ctl_metrics = xasprintf("%s/metrics", ctl->url);
	viewer = tl_token(ctl, "prometheus", "viewer", NULL);

	int port = tl_free_port();
	char *extra = xasprintf("poll_wait = 60s\nmetrics_listen = %d", port);
	mx1 = pfx_start("mx01", "hash", sink_block->nexthop);
	ag1 = agentrun_watching(ctl, "mx01", mx1, extra, NULL, NULL);
	agentrun_await_log(ag1, "metrics: serving", 1, 10000);
	agent_metrics = xasprintf("http://127.0.0.1:%d/metrics", port);
	free(extra);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	assert_int_equal(agentrun_stop(ag1), 0);
	agentrun_free(ag1);
	pfx_stop(mx1);
	pfx_sink_stop(sink_block), pfx_sink_stop(sink_good);
	tl_controller_finish(ctl);
	free(ctl_metrics), free(agent_metrics), free(viewer);
	return 0;
}

/* The controller's series before anything happened. */
static void
test_controller_basics(void **state)
{
	char *t;

	(void)state;
	assert_int_equal(tl_api(ctl, "GET", "/healthz", NULL, NULL, NULL), 200);
	t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_http_requests_total{endpoint=\"GET /healthz\",code=\"200\"}") >= 1);
	assert_null(strstr(t, ",status=\""));
	assert_true(sample(t, "postroute_http_request_duration_seconds_count{endpoint=\"GET /healthz\"}") >= 1);
	assert_true(sample(t, "postroute_http_request_duration_seconds_bucket{endpoint=\"GET /healthz\",le=\"+Inf\"}") >= 1);
	assert_true(strstr(t, "# TYPE postroute_http_request_duration_seconds histogram\n") != NULL);
	assert_true(sample(t, "postroute_state_up") == 1);
	assert_true(sample(t, "postroute_state_truncated") == 0);
	assert_true(sample(t, "postroute_nodes") == 2);
	assert_true(sample(t, "postroute_node_info{node=\"mx02\",role=\"server\",relay=\"\"}") == 1);
	/* mx02 never reported: no applied version, no report time, not connected */
	assert_true(isnan(sample(t, "postroute_node_applied_version{node=\"mx02\"}")));
	assert_true(isnan(sample(t, "postroute_node_last_report_timestamp_seconds{node=\"mx02\"}")));
	assert_true(sample(t, "postroute_node_connected{node=\"mx02\"}") == 0);
	assert_true(sample(t, "postroute_node_apply_failed{node=\"mx02\"}") == 0);
	/* every decision pair is there from 0 */
	assert_true(sample(t, "postroute_policy_decisions_total{action=\"flip\",reason=\"server_block\"}") == 0);
	assert_true(sample(t, "postroute_policy_decisions_total{action=\"refused\",reason=\"unknown_provider\"}") == 0);
	assert_true(sample(t, "postroute_history_write_failures_total") == 0);
	assert_true(sample(t, "postroute_blocks_open") == 0);
	free(t);
	/* without a token: the process's series only; a bad token: 401 */
	char *raw = NULL;
	assert_int_equal(tl_http("GET", ctl_metrics, NULL, NULL, NULL, &raw), 200);
	assert_non_null(strstr(raw, "postroute_routing_version "));
	assert_null(strstr(raw, "postroute_node_"));
	assert_null(strstr(raw, "postroute_state_up"));
	free(raw), raw = NULL;
	assert_int_equal(tl_http("GET", ctl_metrics, "not-a-token", NULL, NULL, &raw), 401);
	free(raw), raw = NULL;
	char *agent_tok = tl_token(ctl, "mx02-agent", "agent", "mx02");
	assert_int_equal(tl_http("GET", ctl_metrics, agent_tok, NULL, NULL, &raw), 403);
	free(raw), free(agent_tok);
	/* mx01's agent is connected and current */
	await_sample(ctl_metrics, "postroute_node_connected{node=\"mx01\"}", 1, 0);
	await_sample(ctl_metrics, "postroute_node_versions_behind{node=\"mx01\"}", 0, 0);
}

/* The agent reads the refusals, reports the block, the policy routes yahoo
 * around mx01: both sides show it. */
static void
test_block_then_auto_route(void **state)
{
	const int n = 6;
	char *t;

	(void)state;
	for (int i = 0; i < n; i++) {
		char *rcpt = xasprintf("user%d@yahoo.test", i);
		assert_int_equal(pfx_send(mx1, rcpt, "complaints"), 0);
		free(rcpt);
	}
	if (!pfx_sink_wait(sink_good, n, 30000))
		fail_msg("%d of %d messages at the healthy relay; agent log:\n%s",
		    pfx_sink_count(sink_good), n, tl_read_file(ag1->log));
	await_sample(ctl_metrics,
	    "postroute_route_info{provider=\"yahoo\",scope=\"mx01\",relay=\"r-good\",origin=\"auto\"}", 1, 0);
	await_sample(ctl_metrics, "postroute_node_versions_behind{node=\"mx01\"}", 0, 0);
	t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_policy_decisions_total{action=\"flip\",reason=\"server_block\"}") == 1);
	assert_true(sample(t, "postroute_blocks_open") == 1);
	assert_true(sample(t, "postroute_block_rerouted{node=\"mx01\",provider=\"yahoo\"}") == 1);
	double since = sample(t, "postroute_block_open_since_timestamp_seconds{node=\"mx01\","
	    "provider=\"yahoo\",class=\"reputation\"}");
	assert_true(fabs(since - (double)time(NULL)) < 600);
	assert_true(sample(t, "postroute_routes{origin=\"auto\"}") == 1);
	assert_true(!isnan(sample(t, "postroute_route_expiry_timestamp_seconds{provider=\"yahoo\",scope=\"mx01\"}")));
	assert_true(sample(t, "postroute_http_requests_total{endpoint=\"POST /v1/events\",code=\"200\"}") >= 1);
	free(t);

	/* the agent: what it read, what it sent, what it applied */
	await_sample(agent_metrics, "postroute_agent_events_sent_total", 1, 1);
	t = scrape(agent_metrics);
	assert_true(sample(t, "postroute_agent_deliveries_total{provider=\"yahoo\",status=\"deferred\","
	    "class=\"reputation\"}") >= 5);
	assert_true(sample(t, "postroute_agent_events_queued_total") >= 1);
	assert_true(sample(t, "postroute_agent_events_dropped_total{reason=\"full\"}") == 0);
	assert_true(sample(t, "postroute_agent_log_lines_total") >= n);
	double last = sample(t, "postroute_agent_log_last_line_timestamp_seconds");
	assert_true(fabs(last - (double)time(NULL)) < 600);
	assert_true(sample(t, "postroute_agent_log_lag_seconds") < 600);
	assert_true(sample(t, "postroute_agent_applies_total{result=\"applied\"}") >= 1);
	assert_true(sample(t, "postroute_agent_sync_step_duration_seconds_count{step=\"postmap\"}") >= 1);
	assert_true(sample(t, "postroute_agent_sync_step_duration_seconds_count{step=\"reload\"}") >= 1);
	assert_true(sample(t, "postroute_agent_sync_step_duration_seconds_count{step=\"total\"}") >= 1);
	assert_true(sample(t, "postroute_agent_last_apply_failed") == 0);
	free(t);
	await_sample(agent_metrics, "postroute_agent_deliveries_total{provider=\"yahoo\",status=\"sent\","
	    "class=\"sent\"}", n, 1);
}

/* A manual flip: mx01 follows, mx02 (no agent) is behind until it reports. */
static void
test_flip_behind_then_caught_up(void **state)
{
	const char *path = "/v1/nodes/mx02/report";
	char *vbuf;

	(void)state;
	long long v = api_version("PUT", "/v1/routes/google",
	    "{\"relay\": \"r-good\", \"reason\": \"metrics test\"}");
	vbuf = xasprintf("%lld", v);
	await_sample(ctl_metrics, "postroute_node_applied_version{node=\"mx01\"}", (double)v, 0);
	await_sample(ctl_metrics, "postroute_node_versions_behind{node=\"mx01\"}", 0, 0);
	await_sample(agent_metrics, "postroute_agent_applied_version", (double)v, 0);
	assert_true(scrape_sample(ctl_metrics, "postroute_node_versions_behind{node=\"mx02\"}") == (double)v);
	assert_true(scrape_sample(ctl_metrics, "postroute_route_info{provider=\"google\",scope=\"*\","
	    "relay=\"r-good\",origin=\"manual\"}") == 1);
	assert_true(scrape_sample(ctl_metrics, "postroute_node_connected{node=\"mx02\"}") == 0);

	char *body = xasprintf("{\"version\": %lld, \"status\": \"applied\"}", v);
	api("POST", path, body);
	free(body);
	char *t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_node_versions_behind{node=\"mx02\"}") == 0);
	assert_true(sample(t, "postroute_node_applied_version{node=\"mx02\"}") == (double)v);
	assert_true(sample(t, "postroute_node_connected{node=\"mx02\"}") == 1);
	double rep = sample(t, "postroute_node_last_report_timestamp_seconds{node=\"mx02\"}");
	assert_true(fabs(rep - (double)time(NULL)) < 600);
	free(t), free(vbuf);
}

/* A route through a service mx01's master.cf lacks: the apply fails on
 * the node (1 on both sides) until a route it can apply. */
static void
test_apply_failed_then_cleared(void **state)
{
	(void)state;
	double failed0 = scrape_sample(agent_metrics, "postroute_agent_applies_total{result=\"failed\"}");
	long long good;

	/* created only now: the policy would have picked it (lowest name) */
	put_relay("r-bad", "smtp_ip9:[127.0.2.9]:25");   /* no such service in master.cf */
	await_sample(ctl_metrics, "postroute_node_versions_behind{node=\"mx01\"}", 0, 0);
	good = (long long)scrape_sample(ctl_metrics, "postroute_node_applied_version{node=\"mx01\"}");

	long long v = api_version("PUT", "/v1/routes/google",
	    "{\"relay\": \"r-bad\", \"reason\": \"metrics test: a relay mx01 cannot use\"}");
	await_sample(ctl_metrics, "postroute_node_apply_failed{node=\"mx01\"}", 1, 0);
	await_sample(agent_metrics, "postroute_agent_last_apply_failed", 1, 0);
	char *t = scrape(agent_metrics);
	assert_true(sample(t, "postroute_agent_applies_total{result=\"failed\"}") >= failed0 + 1);
	assert_true(sample(t, "postroute_agent_applied_version") == (double)good);
	free(t);
	t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_node_applied_version{node=\"mx01\"}") == (double)good);
	assert_true(sample(t, "postroute_node_versions_behind{node=\"mx01\"}") == (double)(v - good));
	free(t);

	v = api_version("PUT", "/v1/routes/google", "{\"relay\": \"r-good\", \"reason\": \"back\"}");
	await_sample(ctl_metrics, "postroute_node_apply_failed{node=\"mx01\"}", 0, 0);
	await_sample(ctl_metrics, "postroute_node_applied_version{node=\"mx01\"}", (double)v, 0);
	await_sample(agent_metrics, "postroute_agent_last_apply_failed", 0, 0);
	assert_true(scrape_sample(agent_metrics, "postroute_agent_applied_version") == (double)v);
}

/* A block of a provider the controller does not know: refused, counted,
 * and the block shows as not rerouted. */
static void
test_refusal_counted(void **state)
{
	(void)state;
	double open0 = scrape_sample(ctl_metrics, "postroute_blocks_open");
	api("POST", "/v1/events", "{\"type\": \"block\", \"node\": \"mx02\", \"provider\": \"nosuch\","
	    " \"class\": \"reputation\", \"count\": 5, \"attempts\": 5, \"window_s\": 60}");
	char *t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_policy_decisions_total{action=\"refused\",reason=\"unknown_provider\"}") == 1);
	assert_true(sample(t, "postroute_block_rerouted{node=\"mx02\",provider=\"nosuch\"}") == 0);
	assert_true(sample(t, "postroute_blocks_open") == open0 + 1);
	free(t);
	/* a clear closes it */
	api("POST", "/v1/events", "{\"type\": \"clear\", \"node\": \"mx02\", \"provider\": \"nosuch\"}");
	t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_blocks_open") == open0);
	assert_true(isnan(sample(t, "postroute_block_rerouted{node=\"mx02\",provider=\"nosuch\"}")));
	free(t);
}

/* A history row the database refuses (a trigger stands in for a full disk
 * or a broken table): the change is rolled back, the failure counted. */
static void
test_history_failure_counted(void **state)
{
	long long before = (long long)scrape_sample(ctl_metrics, "postroute_routing_version");
	json_t *j = NULL;

	(void)state;
	tl_sql(ctl->conninfo, "CREATE FUNCTION metrics_test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
	    " $$ BEGIN RAISE EXCEPTION 'history refused for the test'; END $$");
	tl_sql(ctl->conninfo, "CREATE TRIGGER metrics_test_refuse BEFORE INSERT ON history FOR EACH ROW"
	    " WHEN (NEW.reason = 'refuse me') EXECUTE FUNCTION metrics_test_refuse()");
	long st = tl_api(ctl, "PUT", "/v1/routes/yahoo", ctl->admin,
	    "{\"relay\": \"r-good\", \"reason\": \"refuse me\"}", &j);
	json_decref(j);
	tl_sql(ctl->conninfo, "DROP TRIGGER metrics_test_refuse ON history");
	tl_sql(ctl->conninfo, "DROP FUNCTION metrics_test_refuse()");
	assert_int_equal(st, 500);
	char *t = scrape(ctl_metrics);
	assert_true(sample(t, "postroute_history_write_failures_total") == 1);
	assert_true(sample(t, "postroute_routing_version") == (double)before);   /* rolled back */
	assert_true(sample(t, "postroute_route_info{provider=\"yahoo\",scope=\"*\",relay=\"r-good\","
	    "origin=\"manual\"}") != 1);
	free(t);
}

/* The agent's listener: GET /metrics only; a bad address fails -n. */
static void
test_agent_listener(void **state)
{
	char *raw = NULL, *url = xstrdup(agent_metrics), *out = NULL, *err = NULL;

	(void)state;
	strcpy(strrchr(url, '/'), "/nosuch");
	assert_int_equal(tl_http("GET", url, NULL, NULL, NULL, &raw), 404);
	free(raw), raw = NULL;
	assert_int_equal(tl_http("POST", agent_metrics, NULL, "{}", NULL, &raw), 405);
	free(raw), free(url);

	char *tok = tl_token(ctl, "mx01-check", "agent", "mx01");
	struct agentrun *a = agentrun_new("mx01", ctl->url, tok, mx1, "metrics_listen = localhost:x", NULL);
	char *argv[] = { xasprintf("%s/postroute-agent", tl_bindir()), "-n", "-c", a->conf, NULL };
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	assert_non_null(strstr(err, "[agent] metrics_listen: \"localhost:x\" is not a numeric address and port"));
	free(out), free(err), out = err = NULL;
	agentrun_config(a, ctl->url, tok, mx1, "metrics_listen = 70000", NULL);
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	assert_non_null(strstr(err, "[agent] metrics_listen: \"70000\" is not a port (1-65535)"));
	free(out), free(err), free(argv[0]), free(tok);
	agentrun_free(a);
}

/* The uid that owns the TCP socket listening on 127.0.0.1:port, or -1. */
static long
listener_uid(int port)
{
	char *tcp = tl_read_file("/proc/net/tcp"), *want = xasprintf("0100007F:%04X 00000000:0000 0A", port);
	char *line = tcp ? strstr(tcp, want) : NULL;
	long uid = -1;

	if (line != NULL) {
		/* sl local rem st tx:rx tr:when retrnsmt uid */
		char st[8], q[32], tr[32], rt[16];
		unsigned long u;
		if (sscanf(line, "%*s %*s %7s %31s %31s %15s %lu", st, q, tr, rt, &u) == 5)
			uid = (long)u;
	}
	free(tcp), free(want);
	return uid;
}

static int
serving(void *arg)
{
	char *raw = NULL;
	long st = tl_http("GET", arg, NULL, NULL, NULL, &raw);

	free(raw);
	return st == 200;
}

/* With [agent] user, the listener is the unprivileged process's. */
static void
test_listener_unprivileged(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	long nobody = pw ? (long)pw->pw_uid : -1;   /* pw is overwritten by later lookups */
	int port = tl_free_port();

	(void)state;
	assert_true(nobody >= 0);
	api("PUT", "/v1/nodes/mx03", "{\"role\": \"server\"}");
	char *tok = tl_token(ctl, "mx03", "agent", "mx03");
	char *extra = xasprintf("user = nobody\nmetrics_listen = %d", port);
	struct pfx *p = pfx_start("mx03", "hash", NULL);
	struct agentrun *a = agentrun_new("mx03", ctl->url, tok, p, extra, NULL);
	char *url = xasprintf("http://127.0.0.1:%d/metrics", port);

	agentrun_start(a);
	if (!tl_wait_for(serving, url, 15000))
		fail_msg("no metrics on %s:\n%s", url, tl_read_file(a->log));
	assert_int_equal(listener_uid(port), nobody);
	await_sample(ctl_metrics, "postroute_node_versions_behind{node=\"mx03\"}", 0, 0);
	assert_true(scrape_sample(url, "postroute_agent_applied_version") ==
	    scrape_sample(ctl_metrics, "postroute_routing_version"));
	assert_int_equal(agentrun_stop(a), 0);
	agentrun_free(a);
	pfx_stop(p);
	free(tok), free(extra), free(url);
}

/* Every distinct postroute_* word of text (a metric name, or a name with
 * its _bucket/_sum/_count suffix) appended to names, space-separated. */
static void
names_of(const char *text, struct strbuf *names)
{
	for (const char *p = strstr(text, "postroute_"); p != NULL; p = strstr(p, "postroute_")) {
		size_t n = 0;
		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
			p++;
			continue;
		}
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		char *w = xasprintf(" %.*s ", (int)n, p);
		if (strstr(strbuf_str(names), w) == NULL)
			strbuf_appendf(names, "%.*s ", (int)n, p);
		free(w);
		p += n;
	}
}

/* 1 when scraped has a sample or a TYPE line for name. */
static int
exposed(const char *scraped, const char *name)
{
	char *type = xasprintf("# TYPE %s ", name), *bare = xasprintf("\n%s ", name),
	    *lab = xasprintf("\n%s{", name);
	int yes = strstr(scraped, type) || strstr(scraped, bare) || strstr(scraped, lab);

	free(type), free(bare), free(lab);
	return yes;
}

static void
check_names(const char *file, const char *text, const char *scraped)
{
	struct strbuf names = STRBUF_INIT, missing = STRBUF_INIT;
	char *save = NULL, *list;

	strbuf_append(&names, " ");
	names_of(text, &names);
	list = xstrdup(strbuf_str(&names));
	int count = 0;
	for (char *w = strtok_r(list, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save), count++)
		if (!exposed(scraped, w))
			strbuf_appendf(&missing, " %s", w);
	if (missing.len > 0)
		fail_msg("%s uses names no scrape exposes:%s", file, strbuf_str(&missing));
	assert_true(count >= 10);   /* the files do use metrics */
	free(list);
	strbuf_clear(&names), strbuf_clear(&missing);
}

static void
test_docs_use_exposed_names(void **state)
{
	struct strbuf all = STRBUF_INIT;
	char *c = scrape(ctl_metrics), *a = scrape(agent_metrics);
	char *src[] = { "deploy/prometheus-alerts.yml", "deploy/grafana-dashboard.json", "docs/api.md" };

	(void)state;
	strbuf_appendf(&all, "\n%s\n%s", c, a);
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		char *path = xasprintf("%s/%s", tl_srcdir(), src[i]);
		char *text = tl_read_file(path);
		assert_non_null(text);
		if (i == 2) {     /* docs/api.md: the metrics sections */
			char *m = strstr(text, "\n## Metrics");
			assert_non_null(m);
			check_names(src[i], m, strbuf_str(&all));
		} else {
			check_names(src[i], text, strbuf_str(&all));
		}
		free(path), free(text);
	}
	/* and the check can fail: a name nobody exposes */
	assert_false(exposed(strbuf_str(&all), "postroute_node_lag_seconds"));
	free(c), free(a);
	strbuf_clear(&all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controller_basics),
		cmocka_unit_test(test_block_then_auto_route),
		cmocka_unit_test(test_flip_behind_then_caught_up),
		cmocka_unit_test(test_apply_failed_then_cleared),
		cmocka_unit_test(test_refusal_counted),
		cmocka_unit_test(test_history_failure_counted),
		cmocka_unit_test(test_agent_listener),
		cmocka_unit_test(test_listener_unprivileged),
		cmocka_unit_test(test_docs_use_exposed_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
