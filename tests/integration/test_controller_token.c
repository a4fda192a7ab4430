/*
 * test_controller_token.c: the token lookup cache ([server] token_cache).
 *
 * Over HTTP, against two controllers on real PostgreSQL, one caching for
 * 2 s and one with the cache off: a valid token is answered from the cache
 * (counted in /metrics), a wrong one goes to the database and gets 401
 * every time, a token revoked with `postrouted token revoke` is refused
 * within the cache's lifetime plus a second, and with the cache off at
 * once. In this process, through token_authenticate on a pool of its own:
 * a revocation made here forgets the token at once, one made elsewhere is
 * seen when the entry expires (aged on a clock of the test's own through
 * token_clock_ms, not waited for), the oldest entry goes when the cache is
 * full, and threads share the cache while tokens are being forgotten.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "metrics.h"
#include "seed.h"
#include "testlib.h"
#include "token.h"
#include "xalloc.h"

#define TTL_MS 2000
#define CACHE_MAX 16384            /* TOKEN_CACHE_MAX in controller/token.c */

static struct tl_controller *ctl, *ctl_off;

/* A counter's value in a Prometheus text. */
static unsigned long
metric_in(const char *text, const char *name)
{
	char *needle = xasprintf("\n%s ", name);
	const char *p = strstr(text, needle);
	unsigned long v;

	if (p == NULL)
		fail_msg("no %s in the metrics:\n%s", name, text);
	v = strtoul(p + strlen(needle), NULL, 10);
	free(needle);
	return v;
}

struct lookups {
	unsigned long hits, db;
};

/* The token counters of a controller's /metrics. */
static struct lookups
ctl_lookups(struct tl_controller *c)
{
	char *url = xasprintf("%s/metrics", c->url), *raw = NULL;
	struct lookups n;

	if (tl_http("GET", url, NULL, NULL, NULL, &raw) != 200)
		fail_msg("GET /metrics failed");
	n.hits = metric_in(raw, "postroute_token_cache_hits_total");
	n.db = metric_in(raw, "postroute_token_db_lookups_total");
	free(url), free(raw);
	return n;
}

/* The same counters of this process (token_authenticate called here). */
static struct lookups
own_lookups(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct lookups n;

	strbuf_append(&sb, "\n");
	metrics_render(&sb);
	n.hits = metric_in(strbuf_str(&sb), "postroute_token_cache_hits_total");
	n.db = metric_in(strbuf_str(&sb), "postroute_token_db_lookups_total");
	strbuf_clear(&sb);
	return n;
}

static void
expect_lookups(struct lookups before, struct lookups after, unsigned long hits, unsigned long db,
    const char *what)
{
	if (after.hits - before.hits != hits || after.db - before.db != db)
		fail_msg("%s: %lu cache hits and %lu database lookups, want %lu and %lu", what,
		    after.hits - before.hits, after.db - before.db, hits, db);
}

static void
revoke_cli(struct tl_controller *c, const char *name)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "token", "revoke", "--name", (char *)name, "-c", c->conf, NULL };
	char *err = NULL;

	if (tl_run(argv, NULL, &err, 30) != 0)
		fail_msg("token revoke %s: %s", name, err);
	free(err), free(bin);
}

static int
setup(void **state)
{
	(void)state;
	/* wrong tokens are looked up every time: no 429 for them here */
	ctl = tl_controller_start("[server]\ntoken_cache = 2s\nauth_failures_per_minute = 0\n");
	ctl_off = tl_controller_start("[server]\ntoken_cache = 0\nauth_failures_per_minute = 0\n");
	seed_servers(ctl, 2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(tl_controller_stop(ctl), 0);
	assert_int_equal(tl_controller_stop(ctl_off), 0);
	tl_controller_free(ctl);
	tl_controller_free(ctl_off);
	return 0;
}

/* Many requests with one token: one database lookup per lifetime. */
static void
test_valid_token_cached(void **state)
{
	char *viewer = tl_token(ctl, "cached-viewer", "viewer", NULL);
	struct lookups before = ctl_lookups(ctl), after;
	double t0 = tl_now_s();

	(void)state;
	for (int i = 0; i < 50; i++)
		assert_int_equal(tl_api(ctl, "GET", "/v1/status", viewer, NULL, NULL), 200);
	double took = tl_now_s() - t0;
	after = ctl_lookups(ctl);
	if (after.hits - before.hits + after.db - before.db != 50)
		fail_msg("50 requests, %lu hits + %lu lookups", after.hits - before.hits, after.db - before.db);
	/* one lookup, and one more each time the entry expired */
	if (after.db - before.db > 1 + (unsigned long)(took * 1000 / TTL_MS))
		fail_msg("%lu database lookups for 50 requests in %.2f s", after.db - before.db, took);
	/* the role and the bound node come from the cache too */
	char *agent = tl_token(ctl, "cached-agent", "agent", "mx01");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tl_api(ctl, "GET", "/v1/nodes/mx01/transport", agent, NULL, NULL), 200);
		assert_int_equal(tl_api(ctl, "GET", "/v1/nodes/mx02/transport", agent, NULL, NULL), 403);
		assert_int_equal(tl_api(ctl, "GET", "/v1/status", agent, NULL, NULL), 403);
	}
	free(viewer), free(agent);
}

/* Unknown tokens are never cached: the database answers, 401, every time. */
static void
test_wrong_token_every_time(void **state)
{
	static const char *const wrong[] = {
		"prt_0000000000000000000000000000000000000000000000000000000000000000",
		"prt_0000", "x",
	};
	struct lookups before = ctl_lookups(ctl);

	(void)state;
	for (int i = 0; i < 30; i++) {
		json_t *j = NULL;
		long st = tl_api(ctl, "GET", "/v1/status", wrong[i % 3], NULL, &j);
		if (st != 401 || strcmp(json_string_value(json_object_get(j, "error")),
		    "Authorization: unknown or revoked token") != 0)
			fail_msg("wrong token %s: %ld", wrong[i % 3], st);
		json_decref(j);
	}
	expect_lookups(before, ctl_lookups(ctl), 0, 30, "30 wrong tokens");
}

/* Revoked by the CLI, another process: refused within the lifetime + 1 s,
 * and from then on by the database every time. */
static int
refused(void *tok)
{
	return tl_api(ctl, "GET", "/v1/status", tok, NULL, NULL) == 401;
}

static void
test_revoked_elsewhere_within_ttl(void **state)
{
	char *tok = tl_token(ctl, "revoked-viewer", "viewer", NULL);
	double t0, took;
	struct lookups before;

	(void)state;
	assert_int_equal(tl_api(ctl, "GET", "/v1/status", tok, NULL, NULL), 200);
	assert_int_equal(tl_api(ctl, "GET", "/v1/status", tok, NULL, NULL), 200);
	revoke_cli(ctl, "revoked-viewer");
	t0 = tl_now_s();
	if (!tl_wait_for(refused, tok, TTL_MS + 1000))
		fail_msg("a revoked token still accepted %.1f s after the revocation", tl_now_s() - t0);
	took = tl_now_s() - t0;
	print_message("revoked token refused %.2f s after `postrouted token revoke`\n", took);
	before = ctl_lookups(ctl);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tl_api(ctl, "GET", "/v1/status", tok, NULL, NULL), 401);
	expect_lookups(before, ctl_lookups(ctl), 0, 5, "a revoked token, 5 times");
	free(tok);
}

/* token_cache = 0: every request asks the database, a revocation is seen
 * by the next request. */
static void
test_cache_off(void **state)
{
	char *tok = tl_token(ctl_off, "uncached-viewer", "viewer", NULL);
	struct lookups before = ctl_lookups(ctl_off);

	(void)state;
	for (int i = 0; i < 20; i++)
		assert_int_equal(tl_api(ctl_off, "GET", "/v1/status", tok, NULL, NULL), 200);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tl_api(ctl_off, "GET", "/v1/status", "prt_0000", NULL, NULL), 401);
	expect_lookups(before, ctl_lookups(ctl_off), 0, 25, "cache off, 25 requests");
	revoke_cli(ctl_off, "uncached-viewer");
	assert_int_equal(tl_api(ctl_off, "GET", "/v1/status", tok, NULL, NULL), 401);
	free(tok);
}

/* ---- in this process ---- */

static int
auth(struct db_pool *pool, const char *secret, long long cache_ms, const char *want_name)
{
	struct token_info info;
	int rc = token_authenticate(pool, secret, cache_ms, &info);

	if (rc == 1 && want_name != NULL && strcmp(info.name, want_name) != 0)
		fail_msg("token of %s answered as %s", want_name, info.name);
	return rc;
}

static long long fake_ms;

static long long
fake_clock(void)
{
	return fake_ms;
}

static char *
create_here(PGconn *c, const char *name)
{
	struct strbuf err = STRBUF_INIT;
	char secret[80];

	if (token_create(c, name, "viewer", NULL, "test", secret, &err) != 0)
		fail_msg("token_create %s: %s", name, strbuf_str(&err));
	strbuf_clear(&err);
	return xstrdup(secret);
}

/* Revoked through this process: forgotten at once. Revoked elsewhere:
 * answered from the cache until the entry expires. */
static void
test_revoke_here_and_elsewhere(void **state)
{
	struct db_pool *pool = db_pool_new(ctl->conninfo, 2, 10000);
	struct strbuf err = STRBUF_INIT;
	PGconn *c = db_acquire(pool);
	char *a = create_here(c, "here-a"), *b = create_here(c, "here-b"), *e = create_here(c, "here-e");
	struct lookups n0 = own_lookups();

	(void)state;
	assert_int_equal(auth(pool, a, 60000, "here-a"), 1);
	assert_int_equal(auth(pool, a, 60000, "here-a"), 1);
	expect_lookups(n0, own_lookups(), 1, 1, "one token twice");
	/* revoked here: the next request asks the database */
	assert_int_equal(token_revoke(c, "here-a", "test", &err), 0);
	n0 = own_lookups();
	assert_int_equal(auth(pool, a, 60000, NULL), 0);
	assert_int_equal(auth(pool, a, 60000, NULL), 0);
	expect_lookups(n0, own_lookups(), 0, 2, "a token revoked here");
	/* revoked elsewhere: cached until the entry expires */
	assert_int_equal(auth(pool, b, 60000, "here-b"), 1);
	free(tl_sql(ctl->conninfo, "UPDATE tokens SET revoked_at = now() WHERE name = 'here-b'"));
	assert_int_equal(auth(pool, b, 60000, "here-b"), 1);
	assert_int_equal(auth(pool, b, 0, NULL), 0);
	/* expiry, on a clock of our own: a lifetime passes without waiting */
	long long (*real_clock)(void) = token_clock_ms;
	n0 = own_lookups();
	fake_ms = real_clock();
	token_clock_ms = fake_clock;
	assert_int_equal(auth(pool, e, 1000, "here-e"), 1);
	fake_ms += 999;
	assert_int_equal(auth(pool, e, 1000, "here-e"), 1);
	fake_ms += 2;
	assert_int_equal(auth(pool, e, 1000, "here-e"), 1);
	token_clock_ms = real_clock;
	expect_lookups(n0, own_lookups(), 1, 2, "an entry past its lifetime");
	db_release(pool, c);
	db_pool_free(pool);
	strbuf_clear(&err);
	free(a), free(b), free(e);
}

/* One more token than the cache holds: the first one looked up goes. */
static void
test_oldest_dropped_when_full(void **state)
{
	struct db_pool *pool = db_pool_new(ctl->conninfo, 2, 10000);
	struct lookups n0;
	char secret[64];
	double t0 = tl_now_s();

	(void)state;
	free(tl_sql(ctl->conninfo, "INSERT INTO tokens (name, role, secret_sha256)"
	    " SELECT 'full-' || i, 'viewer', encode(sha256(convert_to('prt_full_' || i, 'UTF8')), 'hex')"
	    " FROM generate_series(0, 16384) i"));
	for (int i = 0; i <= CACHE_MAX; i++) {
		snprintf(secret, sizeof(secret), "prt_full_%d", i);
		if (auth(pool, secret, 600000, NULL) != 1)
			fail_msg("%s not found", secret);
	}
	n0 = own_lookups();
	for (int i = CACHE_MAX; i >= 1; i--) {
		snprintf(secret, sizeof(secret), "prt_full_%d", i);
		assert_int_equal(auth(pool, secret, 600000, NULL), 1);
	}
	expect_lookups(n0, own_lookups(), CACHE_MAX, 0, "the newest 16,384 tokens");
	assert_int_equal(auth(pool, "prt_full_0", 600000, "full-0"), 1);
	expect_lookups(n0, own_lookups(), CACHE_MAX, 1, "the first token");
	print_message("%d tokens through the cache in %.1f s\n", 2 * CACHE_MAX + 2, tl_now_s() - t0);
	db_pool_free(pool);
}

struct hammer {
	struct db_pool *pool;
	int id, bad;
};

#define HAMMER_TOKENS 64

static void *
hammer_thread(void *p)
{
	struct hammer *h = p;
	struct token_info info;
	char secret[64], name[64];

	for (int i = 0; i < 3000; i++) {
		int k = (i * 7 + h->id) % HAMMER_TOKENS;
		snprintf(secret, sizeof(secret), "prt_hammer_%d", k);
		snprintf(name, sizeof(name), "hammer-%d", k);
		if (token_authenticate(h->pool, secret, 60000, &info) != 1 || strcmp(info.name, name) != 0 ||
		    info.role != ROLE_VIEWER)
			h->bad++;
	}
	return NULL;
}

static void *
forget_thread(void *p)
{
	char name[64];
	atomic_int *stop = p;

	for (int i = 0; !atomic_load(stop); i++) {
		snprintf(name, sizeof(name), "hammer-%d", i % HAMMER_TOKENS);
		token_cache_forget(name);
		sched_yield();   /* let the readers at the cache between forgets */
	}
	return NULL;
}

/* Four threads on the cache while a fifth forgets tokens. */
static void
test_threads(void **state)
{
	struct db_pool *pool = db_pool_new(ctl->conninfo, 4, 10000);
	struct hammer h[4];
	pthread_t t[4], f;
	atomic_int stop = 0;

	(void)state;
	free(tl_sql(ctl->conninfo, "INSERT INTO tokens (name, role, secret_sha256)"
	    " SELECT 'hammer-' || i, 'viewer', encode(sha256(convert_to('prt_hammer_' || i, 'UTF8')), 'hex')"
	    " FROM generate_series(0, 63) i"));
	pthread_create(&f, NULL, forget_thread, &stop);
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ pool, i, 0 };
		pthread_create(&t[i], NULL, hammer_thread, &h[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(f, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(h[i].bad, 0);
	db_pool_free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_token_cached),
		cmocka_unit_test(test_wrong_token_every_time),
		cmocka_unit_test(test_revoked_elsewhere_within_ttl),
		cmocka_unit_test(test_cache_off),
		cmocka_unit_test(test_revoke_here_and_elsewhere),
		cmocka_unit_test(test_oldest_dropped_when_full),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
