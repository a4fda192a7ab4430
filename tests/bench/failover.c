/*
 * failover.c: how long a provider block takes to fail over by itself, from
 * the first refusal in the mail log to mail delivered through the healthy
 * relay, with the detector's default thresholds.
 *
 *   failover [ROUNDS]     (run by tests/bench/failover.sh; default 5)
 *
 * The real controller, one smtp-sink answering every RCPT with "421 4.7.0
 * [TSS04] ... user complaints" (every instance's default_transport) and a
 * healthy one registered as relay r-good. Each round is independent: a new
 * provider with a domain of its own (attributed by domain, no MX patterns),
 * a new node, a fresh private Postfix instance and an agent following its
 * maillog_file ([logwatch] file only: default thresholds), all stopped at
 * the end of the round. Two traffic shapes, ROUNDS rounds each:
 *
 *   burst     10 messages queued at once;
 *   trickle   one message every 500 ms until the node applied the route,
 *             so the detector's failures accumulate at the traffic's pace.
 *
 * From the moment the first "[TSS04]" line appears in the maillog (the
 * file is read every 10 ms), per round:
 *
 *   detect    the agent logs its block decision (its log, every 10 ms);
 *   event     GET /v1/blocks shows the block (API every 20 ms);
 *   route     GET /v1/routes shows the automatic route for the node;
 *   applied   GET /v1/status: the node's applied_version >= the version
 *             that created the route (from its history row);
 *   first     the first message written by the healthy relay (mtime);
 *   all       every message sent in the round is there (latest mtime).
 *
 * Per-round lines go to stderr; Markdown tables (p50 and max) to stdout.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "benchstat.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

#define BURST 10
#define TRICKLE_MS 500
#define ROUND_LIMIT_S 90.0      /* a round that has not finished by then fails */
#define REFUSAL "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to user complaints"

enum { T_DETECT, T_EVENT, T_ROUTE, T_APPLIED, T_FIRST, T_ALL, T_N };

static const char *const t_names[T_N] = {
	"agent's detector decides (its log)",
	"block visible (GET /v1/blocks)",
	"automatic route visible (GET /v1/routes)",
	"node applied the route (GET /v1/status)",
	"first message at the healthy relay",
	"all messages sent so far at the healthy relay",
};

static int rounds = 5;
static int seq;                 /* provider and node names, unique per round */
static struct tl_controller *ctl;
static struct pfx_sink *blocked, *good;

static void
sleep_until(double t)
{
	double d = t - bench_wall_s();

	if (d > 0)
		usleep((useconds_t)(d * 1e6));
}

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static int
contains(const char *path, const char *needle)
{
	char *text = tl_read_file(path);
	int yes = text != NULL && strstr(text, needle) != NULL;

	free(text);
	return yes;
}

/* Messages in dir written at or after since: how many, first and last mtime. */
/* Traffic, on its own thread so that sendmail never delays the polls. */
struct sender {
	pthread_t th;
	const struct pfx *p;
	const char *domain;
	int burst;                  /* 1: BURST at once; 0: one every TRICKLE_MS */
	atomic_int sent, failed, stop;
	double took;                /* seconds from the first sendmail to the end */
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	double start = bench_wall_s();

	for (int i = 0; s->burst ? i < BURST : !atomic_load(&s->stop); i++) {
		if (!s->burst)
			sleep_until(start + i * TRICKLE_MS / 1000.0);
		if (!s->burst && atomic_load(&s->stop))
			break;
		char *rcpt = xasprintf("user%d@%s", i, s->domain);
		if (pfx_send(s->p, rcpt, "failover") == 0)
			atomic_fetch_add(&s->sent, 1);
		else
			atomic_fetch_add(&s->failed, 1);
		free(rcpt);
	}
	s->took = bench_wall_s() - start;
	return NULL;
}

/* The version of the route the policy set for provider on node, or 0. */
static long long
auto_route_version(const char *provider, const char *node)
{
	char *q = xasprintf("/v1/history?provider=%s&node=%s&action=route.set&limit=1", provider, node);
	json_t *j = NULL;
	long long v = 0;

	if (tl_api(ctl, "GET", q, ctl->admin, NULL, &j) == 200)
		v = json_integer_value(json_object_get(json_array_get(json_object_get(j, "history"), 0),
		    "version"));
	json_decref(j);
	free(q);
	return v;
}

/* GET path lists, under key, an object whose string fields are as want
 * says: field and value pairs, ended by NULL. */
static int
listed(const char *path, const char *key, const char *const *want)
{
	json_t *j = NULL, *o;
	size_t i;
	int yes = 0;

	if (tl_api(ctl, "GET", path, ctl->admin, NULL, &j) == 200) {
		json_array_foreach(json_object_get(j, key), i, o) {
			int all = 1;
			for (const char *const *w = want; all && *w != NULL; w += 2)
				all &= strcmp(json_string_value(json_object_get(o, w[0])), w[1]) == 0;
			yes |= all;
		}
	}
	json_decref(j);
	return yes;
}

static int
block_open(const char *provider, const char *node)
{
	const char *const want[] = { "provider", provider, "node", node, NULL };

	return listed("/v1/blocks", "blocks", want);
}

static int
auto_route(const char *provider, const char *node)
{
	const char *const want[] = { "provider", provider, "scope", node, "origin", "auto",
		"relay", "r-good", NULL };

	return listed("/v1/routes", "routes", want);
}

static long long
applied_version(const char *node)
{
	json_t *j = NULL, *n;
	size_t i;
	long long v = -1;

	if (tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &j) == 200) {
		json_array_foreach(json_object_get(j, "nodes"), i, n) {
			if (strcmp(json_string_value(json_object_get(n, "name")), node) == 0)
				v = json_integer_value(json_object_get(n, "applied_version"));
		}
	}
	json_decref(j);
	return v;
}

/* Following the maillog with the controller's catalogue, and current. */
static int
agent_ready(void *arg)
{
	const struct agentrun *a = arg;
	json_t *j = NULL;
	long long v = -2;

	if (agentrun_log_count(a, "logwatch: following") == 0 ||
	    agentrun_log_count(a, "logwatch: catalogue of") == 0)
		return 0;
	if (tl_api(ctl, "GET", "/v1/routes", ctl->admin, NULL, &j) == 200)
		v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return applied_version(a->node) >= v;
}

/* One round; t[] gets the times from the first refusal, in seconds. */
static void
round_run(int burst, int r, double t[T_N])
{
	int k = ++seq;
	char *provider = xasprintf("prov%d", k), *node = xasprintf("fo%d", k);
	char *domain = xasprintf("p%d.test", k);
	char *path = xasprintf("/v1/providers/%s", provider);
	char *body = xasprintf("{\"domains\": [\"%s\"]}", domain);

	api("PUT", path, body);
	free(path), free(body);
	path = xasprintf("/v1/nodes/%s", node);
	api("PUT", path, "{\"role\": \"server\"}");
	char *tok = tl_token(ctl, node, "agent", node);
	struct pfx *p = pfx_start(node, "hash", blocked->nexthop);
	struct agentrun *a = agentrun_new(node, ctl->url, tok, p, "poll_wait = 60s", NULL);
	char *lw = xasprintf("file = %s\n", p->maillog);
	agentrun_logwatch(a, lw);
	agentrun_start(a);
	if (!tl_wait_for(agent_ready, a, 15000))
		fail_msg("%s: agent not ready:\n%s", node, tl_read_file(a->log));

	struct sender s = { .p = p, .domain = domain, .burst = burst };
	double start = bench_wall_s(), t0 = 0, at[T_N] = { 0 }, first, last;
	long long v = 0;
	int tick = 0, joined = 0;
	if (pthread_create(&s.th, NULL, sender_main, &s) != 0)
		fail_msg("pthread_create");
	for (;; tick++) {
		double now = bench_wall_s();
		if (now - start > ROUND_LIMIT_S) {
			atomic_store(&s.stop, 1);
			if (!joined)
				pthread_join(s.th, NULL);
			fail_msg("%s round %d: not done after %.0f s (first refusal %s, route version %lld, "
			    "%d sent, %d at the healthy relay); agent log %s, maillog %s",
			    burst ? "burst" : "trickle", r + 1, ROUND_LIMIT_S, t0 ? "seen" : "not seen", v,
			    atomic_load(&s.sent), bench_arrivals(good->dir, start, &first, &last), a->log, p->maillog);
		}
		if (t0 == 0 && contains(p->maillog, "[TSS04]"))
			t0 = now;
		/* the API every other tick, one question at a time */
		if (t0 != 0 && tick % 2 == 0 && at[T_APPLIED] == 0) {
			if (at[T_EVENT] == 0 && block_open(provider, node))
				at[T_EVENT] = now;
			if (at[T_EVENT] != 0 && at[T_ROUTE] == 0 && auto_route(provider, node)) {
				at[T_ROUTE] = now;
				if ((v = auto_route_version(provider, node)) <= 0)
					fail_msg("%s: no route.set in history", node);
			}
			if (at[T_ROUTE] != 0 && applied_version(node) >= v) {
				at[T_APPLIED] = now;
				atomic_store(&s.stop, 1);   /* rerouted: the trickle ends */
			}
		}
		/* after the API: the agent logs its decision before it posts it */
		if (t0 != 0 && at[T_DETECT] == 0 && contains(a->log, "logwatch: block"))
			at[T_DETECT] = now;
		int n = bench_arrivals(good->dir, start, &first, &last);
		if (n > 0)
			at[T_FIRST] = first;
		if (at[T_APPLIED] != 0 && !joined) {
			pthread_join(s.th, NULL);   /* the burst is long sent; the trickle stops */
			joined = 1;
		}
		if (joined && n >= atomic_load(&s.sent)) {
			at[T_ALL] = last;
			break;
		}
		sleep_until(now + 0.010);
	}
	if (atomic_load(&s.failed) > 0)
		fail_msg("%s: sendmail failed %d times", node, atomic_load(&s.failed));
	for (int i = 0; i < T_N; i++)
		t[i] = at[i] - t0;
	fprintf(stderr, "%s round %d (%s, %d messages queued in %.2f s, %d refusals logged): detect %.2f s, event %.2f s, "
	    "route %.2f s, applied %.2f s, first %.2f s, all %.2f s\n", burst ? "burst" : "trickle", r + 1,
	    node, atomic_load(&s.sent), s.took, pfx_log_count(p, "[TSS04]"), t[T_DETECT], t[T_EVENT], t[T_ROUTE],
	    t[T_APPLIED], t[T_FIRST], t[T_ALL]);

	if (agentrun_stop(a) != 0)
		fail_msg("%s: agent did not exit cleanly:\n%s", node, tl_read_file(a->log));
	agentrun_free(a);
	pfx_stop(p);
	free(provider), free(node), free(domain), free(path), free(tok), free(lw);
}

static void
shape(int burst)
{
	double (*t)[T_N] = xcalloc((size_t)rounds, sizeof(*t)), *col = xcalloc((size_t)rounds, sizeof(*col));

	for (int r = 0; r < rounds; r++)
		round_run(burst, r, t[r]);
	if (burst)
		printf("\n| burst: %d messages at once, %d rounds; from the first refusal in the maillog | p50 | max |\n",
		    BURST, rounds);
	else
		printf("\n| trickle: one message every %d ms until rerouted, %d rounds; from the first refusal | p50 | max |\n",
		    TRICKLE_MS, rounds);
	printf("|---|---|---|\n");
	for (int i = 0; i < T_N; i++) {
		for (int r = 0; r < rounds; r++)
			col[r] = t[r][i];
		printf("| %s | %.2f s | %.2f s |\n", t_names[i], bench_p50(col, rounds), bench_max(col, rounds));
	}
	fflush(stdout);
	free(t), free(col);
}

static void
bench_burst(void **state)
{
	(void)state;
	shape(1);
}

static void
bench_trickle(void **state)
{
	(void)state;
	shape(0);
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	blocked = pfx_sink_start("127.0.3.2", REFUSAL);
	good = pfx_sink_start("127.0.3.3", NULL);
	char *body = xasprintf("{\"nexthop\": \"%s\"}", good->nexthop);
	api("PUT", "/v1/relays/r-good", body);
	free(body);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pfx_sink_stop(blocked), pfx_sink_stop(good);
	tl_controller_stop(ctl);
	tl_controller_free(ctl);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench_burst),
		cmocka_unit_test(bench_trickle),
	};

	if (argc > 1)
		rounds = atoi(argv[1]) > 0 ? atoi(argv[1]) : rounds;
	return cmocka_run_group_tests(tests, setup, teardown);
}
