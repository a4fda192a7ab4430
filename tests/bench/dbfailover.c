/*
 * dbfailover.c: how long the controller takes to follow a promoted
 * standby, from the primary's loss to the next successful flip and to the
 * agent applying it.
 *
 *   dbfailover [ROUNDS]     (run by tests/bench/dbfailover.sh; default 5)
 *
 * Each round is independent: a new primary and streaming standby
 * (tests/lib/pgpair.h), the real controller on the multi-host conninfo
 * (host=127.0.0.1,127.0.0.1 port=P1,P2 target_session_attrs=read-write),
 * and a real agent on one private Postfix instance waiting on its feed
 * (poll_wait 120 s, so that one long-poll spans the failover). After a
 * first flip applied and the standby caught up, the primary is stopped
 * with pg_ctl stop -m immediate and the clock starts when that returns
 * (the primary is gone); the standby is promoted at once (pg_ctl
 * promote), as a cluster manager would after noticing; from the start of
 * the clock, PUT /v1/routes/google is tried
 * every 20 ms (a new try 20 ms after the last one began, or when it ended)
 * until it answers 200, and GET /v1/nodes/mx01 every 10 ms until the
 * node reports the flip's version applied. Per round, from the primary's
 * loss:
 *
 *   promoted   the standby says it left recovery (pg_is_in_recovery(),
 *              polled every 5 ms): the database's own part;
 *   flip       the first 200 to the flip;
 *   woken      the agent's waiting feed answered (postroute_feed_wakeups_total
 *              grew; /metrics polled every 5 ms);
 *   applied    the agent reported the flip's version (it applies, then
 *              reports);
 * and how many flips were answered 503 and the slowest of those answers.
 *
 * Per-round lines go to stderr; Markdown tables (p50 and max) to stdout.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
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
#include "benchstat.h"
#include "pfx.h"
#include "pgpair.h"
#include "testlib.h"
#include "xalloc.h"

#define ROUND_LIMIT_S 60.0      /* a round that has not flipped by then fails */

enum { T_PROMOTED, T_FLIP, T_WOKEN, T_APPLIED, T_FLIP_AFTER_PROMOTE, T_SLOWEST_503, T_N };

static const char *const t_names[T_N] = {
	"standby promoted (pg_is_in_recovery() false)",
	"first flip answered 200 (PUT /v1/routes)",
	"agent's waiting feed woken (postroute_feed_wakeups_total)",
	"agent applied the flip (its report, GET /v1/nodes)",
	"from the promotion to the first flip answered 200",
	"slowest 503 answer while no primary answered",
};

static int rounds = 5;
static struct pfx *mx;

static long long
flip(struct tl_controller *c, const char *relay, long *status)
{
	char *body = xasprintf("{\"scope\": \"mx01\", \"relay\": \"%s\", \"reason\": \"bench\"}", relay);
	json_t *j = NULL;
	long long v = -1;

	*status = tl_api(c, "PUT", "/v1/routes/google", c->admin, body, &j);
	if (*status == 200)
		v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	free(body);
	return v;
}

static long long
applied(struct tl_controller *c)
{
	json_t *j = NULL;
	long long v = -1;

	if (tl_api(c, "GET", "/v1/nodes/mx01", c->admin, NULL, &j) == 200)
		v = json_integer_value(json_object_get(j, "applied_version"));
	json_decref(j);
	return v;
}

static long
metric(struct tl_controller *c, const char *name)
{
	char *url = xasprintf("%s/metrics", c->url), *raw = NULL;
	char *needle = xasprintf("\n%s ", name);
	long v = -1;

	if (tl_http("GET", url, NULL, NULL, NULL, &raw) == 200 && strstr(raw, needle) != NULL)
		v = strtol(strstr(raw, needle) + strlen(needle), NULL, 10);
	free(url), free(raw), free(needle);
	return v;
}

static int
waiting(void *arg)
{
	return metric(arg, "postroute_feed_waiting") > 0;
}

struct applied_arg {
	struct tl_controller *c;
	long long version;
};

static int
is_applied(void *arg)
{
	struct applied_arg *a = arg;

	return applied(a->c) >= a->version;
}

/* Stops the primary and promotes the standby at once. */
struct dbside {
	struct pgpair *pair;
	atomic_int killed;      /* the primary is gone */
	double t0;              /* when, set before killed */
	double promoted;        /* the standby left recovery */
};

/* The standby answers that it left recovery: it takes writes. */
static int
left_recovery(void *arg)
{
	char *v = tl_sql(arg, "SELECT pg_is_in_recovery()");
	int done = v != NULL && strcmp(v, "f") == 0;

	free(v);
	return done;
}

static void *
dbside_main(void *arg)
{
	struct dbside *d = arg;
	char *standby = pgpair_admin(d->pair, PGPAIR_STANDBY);

	pgpair_kill_primary(d->pair);
	d->t0 = bench_mono_s();
	atomic_store(&d->killed, 1);
	pgpair_promote_start(d->pair);
	while (!left_recovery(standby))
		usleep(5000);
	d->promoted = bench_mono_s();
	free(standby);
	return NULL;
}

/* One round; fills t[T_N] (seconds) and *n503. */
static void
round_run(int r, double *t, int *n503)
{
	struct pgpair *pair = pgpair_start();
	char *db = xasprintf("bench%d", r);
	long st;

	pgpair_db_create(pair, db, "bench_owner", "bench_rt");
	char *ci = xasprintf("host=127.0.0.1,127.0.0.1 port=%d,%d dbname=%s user=bench_rt"
	    " target_session_attrs=read-write", pair->port[PGPAIR_PRIMARY], pair->port[PGPAIR_STANDBY], db);
	char *owner = xasprintf("host=127.0.0.1,127.0.0.1 port=%d,%d dbname=%s user=bench_owner"
	    " target_session_attrs=read-write", pair->port[PGPAIR_PRIMARY], pair->port[PGPAIR_STANDBY], db);
	struct tl_controller *c = tl_controller_start_on(ci, owner, NULL);
	json_decref(tl_api_ok(c, "PUT", "/v1/relays/relay-a", c->admin, "{\"nexthop\": \"smtp:[192.0.2.1]:25\"}"));
	json_decref(tl_api_ok(c, "PUT", "/v1/relays/relay-b", c->admin, "{\"nexthop\": \"smtp:[192.0.2.2]:25\"}"));
	json_decref(tl_api_ok(c, "PUT", "/v1/providers/google", c->admin, "{\"domains\": [\"gmail.test\"]}"));
	json_decref(tl_api_ok(c, "PUT", "/v1/nodes/mx01", c->admin, "{\"role\": \"server\"}"));
	char *tok = tl_token(c, "mx01", "agent", "mx01");
	struct agentrun *a = agentrun_new("mx01", c->url, tok, mx, "poll_wait = 120s\n", NULL);
	agentrun_start(a);

	struct applied_arg aa = { c, flip(c, "relay-a", &st) };
	if (st != 200 || !tl_wait_for(is_applied, &aa, 30000) || !tl_wait_for(waiting, c, 30000))
		fail_msg("round %d: the first flip was not applied (status %ld)", r + 1, st);
	pgpair_await_replay(pair);
	long wakeups = metric(c, "postroute_feed_wakeups_total");

	/* the database's part on a thread of its own: flips are tried from
	 * the moment the primary is gone, as clients would */
	struct dbside side = { .pair = pair };
	pthread_t th;
	if (pthread_create(&th, NULL, dbside_main, &side) != 0)
		fail_msg("pthread_create");
	while (!atomic_load(&side.killed))
		usleep(1000);
	double t0 = side.t0, next_flip = t0;
	t[T_SLOWEST_503] = 0;
	*n503 = 0;
	for (aa.version = -1; aa.version < 0;) {
		double sent = bench_mono_s();
		if (sent - t0 > ROUND_LIMIT_S)
			fail_msg("round %d: no flip succeeded within %.0f s", r + 1, ROUND_LIMIT_S);
		if (sent < next_flip)
			usleep((useconds_t)((next_flip - sent) * 1e6));
		sent = bench_mono_s();
		next_flip = sent + 0.02;
		aa.version = flip(c, "relay-b", &st);
		if (st == 503) {
			(*n503)++;
			t[T_SLOWEST_503] = bench_mono_s() - sent > t[T_SLOWEST_503] ? bench_mono_s() - sent : t[T_SLOWEST_503];
		} else if (st != 200) {
			fail_msg("round %d: flip answered %ld", r + 1, st);
		}
	}
	t[T_FLIP] = bench_mono_s() - t0;
	pthread_join(th, NULL);
	t[T_PROMOTED] = side.promoted - t0;
	t[T_FLIP_AFTER_PROMOTE] = t[T_FLIP] - t[T_PROMOTED];
	while (metric(c, "postroute_feed_wakeups_total") <= wakeups) {
		if (bench_mono_s() - t0 > ROUND_LIMIT_S)
			fail_msg("round %d: the waiting feed was not woken within %.0f s", r + 1,
			    ROUND_LIMIT_S);
		usleep(5000);
	}
	t[T_WOKEN] = bench_mono_s() - t0;
	while (applied(c) < aa.version) {
		if (bench_mono_s() - t0 > ROUND_LIMIT_S)
			fail_msg("round %d: version %lld not applied within %.0f s", r + 1, aa.version,
			    ROUND_LIMIT_S);
		usleep(10000);
	}
	t[T_APPLIED] = bench_mono_s() - t0;
	fprintf(stderr, "round %d: promoted %.3f s, flip %.3f s, woken %.3f s, applied %.3f s, %d x 503"
	    " (slowest %.3f s)\n", r + 1, t[T_PROMOTED], t[T_FLIP], t[T_WOKEN], t[T_APPLIED], *n503,
	    t[T_SLOWEST_503]);

	agentrun_free(a);
	tl_controller_free(c);
	pgpair_free(pair);
	free(tok), free(ci), free(owner), free(db);
}

static void
bench_dbfailover(void **state)
{
	double (*t)[T_N] = xcalloc((size_t)rounds, sizeof(*t)), col[256];
	int n503 = 0, total503 = 0;

	(void)state;
	for (int r = 0; r < rounds; r++) {
		round_run(r, t[r], &n503);
		total503 += n503;
	}
	printf("\n| primary stopped (-m immediate), standby promoted at once; %d rounds; from the"
	    " primary's loss | p50 | max |\n|---|---|---|\n", rounds);
	for (int i = 0; i < T_N; i++) {
		for (int r = 0; r < rounds; r++)
			col[r] = t[r][i];
		printf("| %s | %.0f ms | %.0f ms |\n", t_names[i], 1000 * bench_p50(col, rounds),
		    1000 * bench_max(col, rounds));
	}
	printf("\n%d flips answered 503 in all (one tried every 20 ms until one succeeded)\n",
	    total503);
	free(t);
}

static int
setup(void **state)
{
	(void)state;
	mx = pfx_start("mx01", "hash", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pfx_stop(mx);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench_dbfailover),
	};

	if (argc > 1)
		rounds = atoi(argv[1]) > 0 && atoi(argv[1]) <= 256 ? atoi(argv[1]) : rounds;
	return cmocka_run_group_tests(tests, setup, teardown);
}
