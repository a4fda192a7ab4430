/*
 * test_controller_feed.c: the long-poll feed, concurrent writers, route
 * expiry, migrations, and a PostgreSQL restart under a running controller.
 */
#include <curl/curl.h>
#include <pthread.h>
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

#include "seed.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *agent_mx01;

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	tl_providers_clear(ctl);
	seed_put(ctl, "/v1/relays/relay01", "{\"nexthop\":\"smtp:[127.0.0.2]:2601\"}");
	seed_put(ctl, "/v1/relays/relay02", "{\"nexthop\":\"smtp:[127.0.0.3]:2602\"}");
	seed_put(ctl, "/v1/providers/google",
	    "{\"domains\":[\"gmail.com\",\"googlemail.com\"],\"include_subdomains\":true}");
	seed_put(ctl, "/v1/providers/yahoo", "{\"domains\":[\"yahoo.com\",\"aol.com\"]}");
	seed_put(ctl, "/v1/nodes/mx01", "{\"role\":\"server\"}");
	seed_put(ctl, "/v1/nodes/mx02", "{\"role\":\"server\"}");
	seed_put(ctl, "/v1/nodes/relay01", "{\"role\":\"relay\",\"relay\":\"relay01\"}");
	agent_mx01 = tl_token(ctl, "agent-mx01", "agent", "mx01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	free(agent_mx01);
	return 0;
}

static json_t *
feed(const char *node, const char *query, long want)
{
	char *path = xasprintf("/v1/nodes/%s/transport%s", node, query);
	json_t *j = NULL;
	long st = tl_api(ctl, "GET", path, ctl->admin, NULL, &j);

	if (st != want)
		fail_msg("GET %s: %ld, want %ld", path, st, want);
	free(path);
	return j;
}

static char *
entries_text(json_t *f)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(f, "entries"), i, e)
		strbuf_appendf(&sb, "%s %s %s\n", json_string_value(json_object_get(e, "domain")),
		    json_string_value(json_object_get(e, "nexthop")),
		    json_string_value(json_object_get(e, "provider")));
	return strbuf_detach(&sb);
}

/* Effective entries: node scope wins over "*"; "*" skips relay nodes. */
static void
test_feed_rendering(void **state)
{
	json_t *f;
	char *t;

	(void)state;
	seed_put(ctl, "/v1/routes/google", "{\"relay\":\"relay01\",\"reason\":\"all servers\"}");
	seed_put(ctl, "/v1/routes/yahoo", "{\"relay\":\"relay01\",\"reason\":\"all servers\"}");
	seed_put(ctl, "/v1/routes/google",
	    "{\"relay\":\"relay02\",\"reason\":\"mx02 only\",\"scope\":\"mx02\"}");
	f = feed("mx01", "", 200);
	t = entries_text(f);
	assert_string_equal(t,
	    ".gmail.com smtp:[127.0.0.2]:2601 google\n"
	    ".googlemail.com smtp:[127.0.0.2]:2601 google\n"
	    "aol.com smtp:[127.0.0.2]:2601 yahoo\n"
	    "gmail.com smtp:[127.0.0.2]:2601 google\n"
	    "googlemail.com smtp:[127.0.0.2]:2601 google\n"
	    "yahoo.com smtp:[127.0.0.2]:2601 yahoo\n");
	assert_string_equal(json_string_value(json_object_get(f, "node")), "mx01");
	json_t *provs = json_object_get(f, "providers");
	assert_int_equal(json_array_size(provs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(provs, 0), "name")), "google");
	assert_true(json_is_true(json_object_get(json_array_get(provs, 0), "include_subdomains")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(provs, 1),
	    "domains"), 0)), "aol.com");
	assert_int_equal(json_integer_value(json_object_get(f, "version")), tl_routing_version(ctl));
	free(t), json_decref(f);
	f = feed("mx02", "", 200);
	t = entries_text(f);
	assert_string_equal(t,
	    ".gmail.com smtp:[127.0.0.3]:2602 google\n"
	    ".googlemail.com smtp:[127.0.0.3]:2602 google\n"
	    "aol.com smtp:[127.0.0.2]:2601 yahoo\n"
	    "gmail.com smtp:[127.0.0.3]:2602 google\n"
	    "googlemail.com smtp:[127.0.0.3]:2602 google\n"
	    "yahoo.com smtp:[127.0.0.2]:2601 yahoo\n");
	free(t), json_decref(f);
	f = feed("relay01", "", 200);
	assert_int_equal(json_array_size(json_object_get(f, "entries")), 0);
	json_decref(f);
	/* dry run shows the change per node and commits nothing */
	long long v0 = tl_routing_version(ctl);
	json_t *j = NULL;
	assert_int_equal(tl_api(ctl, "PUT", "/v1/routes/yahoo?dry_run=1", ctl->admin,
	    "{\"relay\":\"relay02\",\"reason\":\"try\"}", &j), 200);
	json_t *changes = json_object_get(j, "changes");
	assert_int_equal(json_array_size(changes), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 0), "node")), "mx01");
	assert_int_equal(json_array_size(json_object_get(json_array_get(changes, 0), "added")), 2);
	json_decref(j);
	assert_int_equal(tl_routing_version(ctl), v0);
	assert_int_equal(tl_api(ctl, "DELETE", "/v1/routes/google?scope=mx02&reason=back&dry_run=1",
	    ctl->admin, NULL, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "changes")), 1);
	json_decref(j);
	assert_int_equal(tl_routing_version(ctl), v0);
}

struct poll_arg {
	const char *path;
	const char *token;
	long status;
	json_t *json;
	double started, finished;
};

static void *
poll_thread(void *p)
{
	struct poll_arg *a = p;

	a->started = tl_now_s();
	a->status = tl_api(ctl, "GET", a->path, a->token, NULL, &a->json);
	a->finished = tl_now_s();
	return NULL;
}

static void
test_long_poll(void **state)
{
	long long v = tl_routing_version(ctl);
	char *q;
	json_t *f;
	double t0;

	(void)state;
	/* behind: answers at once */
	q = xasprintf("?after=%lld&wait=30", v - 1);
	t0 = tl_now_s();
	f = feed("mx01", q, 200);
	assert_true(tl_now_s() - t0 < 5);
	assert_int_equal(json_integer_value(json_object_get(f, "version")), v);
	json_decref(f), free(q);
	/* current, short wait: 304 after about the wait */
	q = xasprintf("?after=%lld&wait=1", v);
	t0 = tl_now_s();
	f = feed("mx01", q, 304);
	assert_null(f);
	assert_true(tl_now_s() - t0 >= 0.9);
	free(q);
	/* current, long wait: woken by a change, with the new version */
	struct poll_arg a = { .token = agent_mx01 };
	a.path = q = xasprintf("/v1/nodes/mx01/transport?after=%lld&wait=60", v);
	pthread_t th;
	pthread_create(&th, NULL, poll_thread, &a);
	tl_await_feed_waiting(ctl, 1, 10000);
	seed_put(ctl, "/v1/routes/yahoo", "{\"relay\":\"relay02\",\"reason\":\"wake\"}");
	pthread_join(th, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_integer_value(json_object_get(a.json, "version")), v + 1);
	assert_true(a.finished - a.started < 30);
	json_decref(a.json), free(q);
	/* the agent's poll is recorded for status */
	tl_await_sql(ctl->conninfo, "SELECT last_feed_at IS NOT NULL FROM nodes WHERE name = 'mx01'",
	    "t", 10000);
}

struct flip_arg {
	int id;
	long status;
	long long version;
};

static void *
flip_thread(void *p)
{
	struct flip_arg *a = p;
	char *body = xasprintf("{\"relay\":\"relay0%d\",\"reason\":\"flip %d\"}", 1 + a->id % 2, a->id);
	json_t *j = NULL;

	a->status = tl_api(ctl, "PUT", "/v1/routes/google", ctl->admin, body, &j);
	a->version = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	free(body);
	return NULL;
}

static void
test_concurrent_flips(void **state)
{
	enum { N = 40 };
	struct flip_arg args[N];
	pthread_t th[N];
	long long v0 = tl_routing_version(ctl);
	char *sql, *last, *n;

	(void)state;
	for (int i = 0; i < N; i++) {
		args[i] = (struct flip_arg){ .id = i };
		pthread_create(&th[i], NULL, flip_thread, &args[i]);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		assert_int_equal(args[i].status, 200);
		for (int j = 0; j < i; j++)
			assert_true(args[i].version != args[j].version);
	}
	assert_int_equal(tl_routing_version(ctl), v0 + N);
	sql = xasprintf("SELECT count(*) FROM history WHERE action = 'route.set' AND version > %lld", v0);
	n = tl_sql(ctl->conninfo, sql);
	assert_int_equal(atoi(n), N);
	/* the final state is the last commit */
	last = tl_sql(ctl->conninfo, "SELECT after->>'relay' FROM history WHERE action = 'route.set'"
	    " ORDER BY version DESC LIMIT 1");
	char *cur = tl_sql(ctl->conninfo, "SELECT relay FROM routes WHERE provider = 'google' AND scope = '*'");
	assert_string_equal(last, cur);
	/* versions strictly increase with history order (the rows of migrate's
	 * default catalogue are one change and share one version) */
	char *mono = tl_sql(ctl->conninfo, "SELECT bool_and(version > prev) FROM (SELECT version,"
	    " lag(version) OVER (ORDER BY id) AS prev FROM history WHERE version IS NOT NULL"
	    " AND actor <> 'migrate') x WHERE prev IS NOT NULL");
	assert_string_equal(mono, "t");
	free(sql), free(n), free(last), free(cur), free(mono);
}

static int
route_gone(void *arg)
{
	char *v = tl_sql(ctl->conninfo, "SELECT count(*) FROM routes WHERE provider = 'yahoo' AND scope = 'mx01'");
	int gone = strcmp(v, "0") == 0;

	(void)arg;
	free(v);
	return gone;
}

static void
test_expiry(void **state)
{
	json_t *j = NULL;
	long long v;

	(void)state;
	seed_put(ctl, "/v1/routes/yahoo",
	    "{\"relay\":\"relay01\",\"reason\":\"temporary\",\"scope\":\"mx01\",\"ttl\":60}");
	assert_int_equal(tl_api(ctl, "GET", "/v1/routes", ctl->admin, NULL, &j), 200);
	char *text = json_dumps(j, 0);
	assert_non_null(strstr(text, "\"expires_at\": \"20"));
	free(text);
	json_decref(j);
	v = tl_routing_version(ctl);
	/* pretend the hour has passed: move expires_at into the past */
	free(tl_sql(ctl->conninfo, "UPDATE routes SET expires_at = now() - interval '1 second'"
	    " WHERE provider = 'yahoo' AND scope = 'mx01'"));
	assert_true(tl_wait_for(route_gone, NULL, 5000));
	char *h = tl_sql(ctl->conninfo, "SELECT actor || ' ' || action || ' ' || object || ' ' ||"
	    " (before->>'relay') FROM history ORDER BY id DESC LIMIT 1");
	assert_string_equal(h, "postrouted route.expired yahoo/mx01 relay01");
	free(h);
	assert_true(tl_routing_version(ctl) > v);
}

static void
test_migrations(void **state)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *out = NULL;
	char *argv[] = { bin, "migrate", "-c", ctl->conf, NULL };

	(void)state;
	assert_int_equal(tl_run(argv, &out, NULL, 30), 0);
	assert_non_null(strstr(out, "0 migration(s) applied"));
	free(out);
	char *tables = tl_sql(ctl->conninfo, "SELECT string_agg(table_name, ',' ORDER BY table_name)"
	    " FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
	static const char *const want[] = { "blocks", "history", "holds", "nodes",
		"provider_domains", "providers", "relays", "routes", "routing_version",
		"schema_migrations", "tokens" };
	char *list = xasprintf(",%s,", tables);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *one = xasprintf(",%s,", want[i]);
		if (strstr(list, one) == NULL)
			fail_msg("table %s missing from %s", want[i], tables);
		free(one);
	}
	free(tables), free(list);
	char *n = tl_sql(ctl->conninfo, "SELECT count(*) FROM schema_migrations WHERE name IN"
	    " ('0001_init.sql', '0003_holds.sql')");
	assert_string_equal(n, "2");
	free(n), free(bin);
}

static int
readyz_is(void *want)
{
	char *url = xasprintf("%s/readyz", ctl->url);
	long st = tl_http("GET", url, NULL, NULL, NULL, NULL);

	free(url);
	return st == (long)(intptr_t)want;
}

static void
pg_ctl(const char *action)
{
	const char *pgbin = getenv("PGBIN"), *data = getenv("POSTROUTE_PGDATA");
	char *bin = xasprintf("%s/pg_ctl", pgbin);
	char *err = NULL;
	char *argv[] = { "/usr/sbin/runuser", "-u", "postgres", "--", bin, "-D", (char *)data, "-w",
		"-m", "fast", "-l", getenv("POSTROUTE_PGLOG"), "-o", getenv("POSTROUTE_PGOPTS"),
		(char *)action, NULL };

	if (getuid() != 0)
		fail_msg("this test restarts PostgreSQL and must run as root");
	if (tl_run(argv, NULL, &err, 60) != 0)
		fail_msg("pg_ctl %s: %s", action, err);
	free(bin), free(err);
}

static void
test_database_restart(void **state)
{
	struct poll_arg a = { .token = agent_mx01 };
	long long v = tl_routing_version(ctl);
	pthread_t th;

	(void)state;
	assert_true(readyz_is((void *)200));
	pg_ctl("stop");
	assert_true(tl_wait_for(readyz_is, (void *)503, 10000));
	/* a write while the database is down is a 503, and the process lives */
	assert_int_equal(tl_api(ctl, "PUT", "/v1/routes/google", ctl->admin,
	    "{\"relay\":\"relay01\",\"reason\":\"down\"}", NULL), 503);
	pg_ctl("start");
	assert_true(tl_wait_for(readyz_is, (void *)200, 20000));
	/* a waiting feed still wakes on the next change */
	a.path = xasprintf("/v1/nodes/mx01/transport?after=%lld&wait=60", v);
	pthread_create(&th, NULL, poll_thread, &a);
	tl_await_feed_waiting(ctl, 1, 15000);
	seed_put(ctl, "/v1/routes/google", "{\"relay\":\"relay02\",\"reason\":\"after restart\"}");
	pthread_join(th, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_integer_value(json_object_get(a.json, "version")), v + 1);
	assert_true(a.finished - a.started < 30);
	json_decref(a.json);
	free((char *)a.path);
	char *url = xasprintf("%s/metrics", ctl->url), *raw = NULL;
	assert_int_equal(tl_http("GET", url, NULL, NULL, NULL, &raw), 200);
	assert_null(strstr(raw, "postroute_listen_reconnects_total 0\n"));
	free(url), free(raw);
}

static void
test_shutdown_with_waiters(void **state)
{
	struct poll_arg a = { .token = agent_mx01 };
	pthread_t th;

	(void)state;
	a.path = xasprintf("/v1/nodes/mx01/transport?after=%lld&wait=120", tl_routing_version(ctl));
	pthread_create(&th, NULL, poll_thread, &a);
	tl_await_feed_waiting(ctl, 1, 10000);
	/* a waiting feed does not keep the controller from stopping */
	assert_int_equal(tl_controller_stop(ctl), 0);
	pthread_join(th, NULL);
	assert_true(a.status == 503 || a.status == 0);
	assert_true(a.finished - a.started < 30);
	json_decref(a.json);
	free((char *)a.path);
	tl_controller_restart(ctl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_rendering),
		cmocka_unit_test(test_long_poll),
		cmocka_unit_test(test_concurrent_flips),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_migrations),
		cmocka_unit_test(test_shutdown_with_waiters),
		cmocka_unit_test(test_database_restart),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
