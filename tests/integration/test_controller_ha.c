/*
 * test_controller_ha.c: two real controllers on one database behave as
 * one: every on-call message is sent once (Slack and PagerDuty Events v2,
 * two local HTTP receivers), a TTL route expires once, a failed post is
 * retried without a second copy, a block and a stale node are triggered
 * and resolved with one PagerDuty dedup_key, the shared settings come from
 * the database, and when the leader is killed (SIGKILL) the other
 * controller takes over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "seed.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

#define PD_KEY "0123456789abcdef0123456789abcdef"
#define WAIT_MS 20000

static struct tl_controller *ctl[2];
static struct webhook *slack, *pd;
static char *detector;

static void
event_on(struct tl_controller *c, const char *body)
{
	json_t *j = NULL;
	long st = tl_api(c, "POST", "/v1/events", detector, body, &j);

	if (st != 200)
		fail_msg("POST /v1/events %s: %ld %s", body, st, j ? json_dumps(j, 0) : "");
	json_decref(j);
}

static void
block_on(struct tl_controller *c, const char *type, const char *node, const char *provider)
{
	char *b = xasprintf("{\"type\":\"%s\",\"node\":\"%s\",\"provider\":\"%s\",\"class\":\"reputation\","
	    "\"count\":12,\"attempts\":14,\"window_s\":300}", type, node, provider);

	event_on(c, b);
	free(b);
}

static void
surge_on(struct tl_controller *c, const char *node, const char *sender)
{
	char *b = xasprintf("{\"type\":\"volume\",\"node\":\"%s\",\"sender\":\"%s\",\"rate\":900,"
	    "\"baseline\":3}", node, sender);

	event_on(c, b);
	free(b);
}

/* Bodies of w containing every needle (NULL-terminated). */
static int
count_bodies(struct webhook *w, const char *a, const char *b)
{
	int n = 0;

	for (int i = 0; i < webhook_count(w); i++) {
		char *body = webhook_body(w, i);
		n += strstr(body, a) != NULL && (b == NULL || strstr(body, b) != NULL);
		free(body);
	}
	return n;
}

struct want { struct webhook *w; const char *a, *b; int n; };

static int
enough(void *arg)
{
	struct want *x = arg;

	return count_bodies(x->w, x->a, x->b) >= x->n;
}

/* Waits until n bodies of w contain a (and b); fails after WAIT_MS. */
static void
wait_bodies(struct webhook *w, const char *a, const char *b, int n)
{
	struct want x = { w, a, b, n };

	if (!tl_wait_for(enough, &x, WAIT_MS))
		fail_msg("%s: %d message(s) with \"%s\"%s%s, want %d (of %d received)",
		    w == slack ? "Slack" : "PagerDuty", count_bodies(w, a, b), a, b ? " and " : "",
		    b ? b : "", n, webhook_count(w));
}

/* The controller holding the leader lock: 0, 1, or -1 for none. */
static int
leader(void)
{
	char *name = tl_sql(ctl[0]->conninfo, "SELECT a.application_name FROM pg_locks l"
	    " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
	    " AND l.classid = 7470 AND l.objid = 1 AND l.objsubid = 2 AND l.granted");
	int who = -1;

	for (int i = 0; i < 2 && name != NULL; i++) {
		char *port = xasprintf(":%d", ctl[i]->port);
		size_t nl = strlen(name), pl = strlen(port);
		if (ctl[i]->pid > 0 && nl >= pl && strcmp(name + nl - pl, port) == 0)
			who = i;
		free(port);
	}
	free(name);
	return who;
}

static int
has_leader(void *arg)
{
	(void)arg;
	return leader() >= 0;
}

static char *
ha_ini(void)
{
	char *dir = tl_mkdtemp("pd");
	char *key = xasprintf("%s/routing-key", dir);

	tl_write_file(key, PD_KEY "\n");
	chmod(key, 0600);
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\npagerduty_url = %s\n"
	    "pagerduty_routing_key_file = %s\nrunbook_url = https://runbook.example/postroute\n"
	    "max_per_minute = 100\nstale_after = 1h\n", webhook_url(slack), webhook_url(pd), key);
	free(dir), free(key);
	return ini;
}

static int
setup(void **state)
{
	(void)state;
	slack = webhook_start();
	pd = webhook_start();
	char *ini = ha_ini();
	ctl[0] = tl_controller_start(ini);
	ctl[1] = tl_controller_start_peer(ctl[0], ini);
	free(ini);
	tl_providers_clear(ctl[0]);
	seed_relays(ctl[0], 3, 0);
	seed_servers(ctl[0], 6);
	seed_providers(ctl[0], 4);
	detector = tl_token(ctl[0], "detector-1", "detector", "*");
	if (!tl_wait_for(has_leader, NULL, WAIT_MS))
		fail_msg("no controller took the leader lock");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tl_controller_stop(ctl[i]), 0);
		tl_controller_free(ctl[i]);
	}
	webhook_stop(slack);
	webhook_stop(pd);
	free(detector);
	return 0;
}

/* One block reported to each controller in turn: one Slack message and
 * one PagerDuty trigger each, whichever controller took the event. The
 * surge sent afterwards and waited for shows that no late second copy
 * was on its way. */
static void
test_one_message_per_event(void **state)
{
	(void)state;
	block_on(ctl[0], "block", "mx01", "google");
	block_on(ctl[1], "block", "mx02", "google");
	wait_bodies(slack, "google is blocked on mx01", NULL, 1);
	wait_bodies(slack, "google is blocked on mx02", NULL, 1);
	wait_bodies(pd, "\"dedup_key\":\"block/mx02/google\"", NULL, 1);
	surge_on(ctl[1], "mx01", "bulk@example.com");
	wait_bodies(slack, "sender bulk@example.com on mx01", NULL, 1);
	wait_bodies(pd, "sender bulk@example.com on mx01", NULL, 1);
	assert_int_equal(count_bodies(slack, "google is blocked on mx01", NULL), 1);
	assert_int_equal(count_bodies(slack, "google is blocked on mx02", NULL), 1);
	assert_int_equal(count_bodies(pd, "\"dedup_key\":\"block/mx01/google\"", NULL), 1);
	assert_int_equal(count_bodies(pd, "\"dedup_key\":\"block/mx02/google\"", NULL), 1);
	assert_int_equal(count_bodies(slack, "Runbook: https://runbook.example/postroute", NULL),
	    webhook_count(slack));
	tl_expect_sql(ctl[0]->conninfo, "SELECT count(*) || ' ' || count(DISTINCT sent_by)"
	    " FROM notify_outbox WHERE key LIKE 'block/mx0_/google' AND state = 'sent'", "2 1");
}

/* The webhook answers 500 twice: the message goes out on the third try,
 * once, and PagerDuty, which took it the first time, is not sent it again. */
static void
test_failed_post_is_retried_not_duplicated(void **state)
{
	(void)state;
	webhook_fail_next(slack, 2);
	block_on(ctl[1], "block", "mx03", "apple");
	wait_bodies(slack, "apple is blocked on mx03", NULL, 1);
	tl_expect_sql(ctl[0]->conninfo, "SELECT state || ' ' || attempts || ' ' || delivered::text"
	    " FROM notify_outbox WHERE key = 'block/mx03/apple'", "sent 3 {slack,pagerduty}");
	surge_on(ctl[0], "mx03", "after-retry@example.com");
	wait_bodies(slack, "sender after-retry@example.com", NULL, 1);
	assert_int_equal(count_bodies(slack, "apple is blocked on mx03", NULL), 1);
	assert_int_equal(count_bodies(pd, "\"dedup_key\":\"block/mx03/apple\"", NULL), 1);
}

/* A block then its clear: a PagerDuty trigger and a resolve with one
 * dedup_key, in PagerDuty's Events v2 format, and a Slack message each;
 * the block opening again is a new trigger. */
static void
test_pagerduty_trigger_then_resolve(void **state)
{
	(void)state;
	block_on(ctl[0], "block", "mx04", "yahoo");
	wait_bodies(pd, "\"event_action\":\"trigger\"", "\"dedup_key\":\"block/mx04/yahoo\"", 1);
	block_on(ctl[1], "clear", "mx04", "yahoo");
	wait_bodies(pd, "\"event_action\":\"resolve\"", "\"dedup_key\":\"block/mx04/yahoo\"", 1);
	wait_bodies(slack, "yahoo is no longer blocked on mx04", NULL, 1);
	for (int i = 0; i < webhook_count(pd); i++) {
		char *b = webhook_body(pd, i);
		json_t *j = json_loads(b, 0, NULL), *p = json_object_get(j, "payload");
		const char *dedup = json_string_value(json_object_get(j, "dedup_key"));
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "routing_key")), PD_KEY);
		if (dedup != NULL && strcmp(dedup, "block/mx04/yahoo") == 0 &&
		    strcmp(json_string_value(json_object_get(j, "event_action")), "trigger") == 0) {
			assert_string_equal(json_string_value(json_object_get(p, "severity")), "error");
			assert_string_equal(json_string_value(json_object_get(p, "source")), "mx04");
			assert_non_null(strstr(json_string_value(json_object_get(p, "summary")),
			    "yahoo is blocked on mx04"));
			assert_string_equal(json_string_value(json_object_get(json_array_get(
			    json_object_get(j, "links"), 0), "href")), "https://runbook.example/postroute");
		}
		json_decref(j);
		free(b);
	}
	assert_int_equal(count_bodies(pd, "\"dedup_key\":\"block/mx04/yahoo\"", NULL), 2);
	/* the clear ended the ten-minute window: the block opening again is told again */
	block_on(ctl[1], "block", "mx04", "yahoo");
	wait_bodies(pd, "\"event_action\":\"trigger\"", "\"dedup_key\":\"block/mx04/yahoo\"", 2);
	wait_bodies(slack, "yahoo is blocked on mx04", NULL, 2);
}

static int
route_gone(void *arg)
{
	char *n = tl_sql(ctl[0]->conninfo, arg);
	int gone = n != NULL && strcmp(n, "0") == 0;

	free(n);
	return gone;
}

/* A route whose TTL passed is reverted once, by the leader. */
static void
expire_once(struct tl_controller *c, const char *provider)
{
	char *path = xasprintf("/v1/routes/%s", provider);
	char *q = xasprintf("SELECT count(*) FROM routes WHERE provider = '%s' AND scope = '*'", provider);
	char *h = xasprintf("SELECT count(*) FROM history WHERE action = 'route.expired'"
	    " AND object = '%s/*'", provider);
	char *sql = xasprintf("UPDATE routes SET expires_at = now() WHERE provider = '%s' AND scope = '*'",
	    provider);

	json_decref(tl_api_ok(c, "PUT", path, c->admin,
	    "{\"scope\":\"*\",\"relay\":\"relay02\",\"reason\":\"test\",\"ttl\":3600}"));
	free(tl_sql(c->conninfo, sql));
	if (!tl_wait_for(route_gone, q, WAIT_MS))
		fail_msg("the route of %s did not expire", provider);
	tl_expect_sql(c->conninfo, h, "1");
	free(path), free(q), free(h), free(sql);
}

static void
test_expiry_once(void **state)
{
	(void)state;
	expire_once(ctl[1], "apple");
}

/* [notify] stale_after set in the database (postrouted settings set)
 * applies to both controllers: every node is behind, each is triggered
 * once; mx05 reports the current version and is resolved. */
static void
test_stale_node_comes_back(void **state)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "settings", "set", "notify.stale_after", "10s", "-c", ctl[0]->conf, NULL };
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(tl_run(argv, &out, &err, 30), 0);
	free(out), free(err);
	wait_bodies(pd, "\"dedup_key\":\"stale/mx05\"", "\"event_action\":\"trigger\"", 1);
	wait_bodies(slack, "node mx05 is", "s behind", 1);
	wait_bodies(pd, "\"dedup_key\":\"stale/mx06\"", NULL, 1);
	char *v = tl_sql(ctl[0]->conninfo, "SELECT version FROM routing_version");
	char *body = xasprintf("{\"version\":%s,\"status\":\"applied\"}", v);
	json_decref(tl_api_ok(ctl[1], "POST", "/v1/nodes/mx05/report", ctl[1]->admin, body));
	wait_bodies(pd, "\"dedup_key\":\"stale/mx05\"", "\"event_action\":\"resolve\"", 1);
	wait_bodies(slack, "node mx05 caught up", NULL, 1);
	/* mx06 is still behind: triggered once, not resolved, not repeated */
	assert_int_equal(count_bodies(pd, "\"dedup_key\":\"stale/mx06\"", NULL), 1);
	assert_int_equal(count_bodies(slack, "node mx05 is", "s behind"), 1);
	tl_expect_sql(ctl[0]->conninfo, "SELECT count(*) FROM notify_open WHERE node = 'mx05'", "0");
	free(v), free(body), free(bin);
}

/* Bad names and values are refused and change nothing; a good one is a
 * history row. */
static void
test_settings_set(void **state)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *bad[] = { bin, "settings", "set", "policy.auto_ttl", "forever", "-c", ctl[0]->conf, NULL };
	char *unknown[] = { bin, "settings", "set", "server.listen", "1", "-c", ctl[0]->conf, NULL };
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(tl_run(bad, &out, &err, 30), 2);
	assert_non_null(strstr(err, "policy.auto_ttl: \"forever\" is not a duration"));
	free(out), free(err);
	assert_int_equal(tl_run(unknown, &out, &err, 30), 2);
	assert_non_null(strstr(err, "server.listen: not a shared setting"));
	free(out), free(err);
	tl_expect_sql(ctl[0]->conninfo, "SELECT value FROM shared_settings WHERE key = 'auto_ttl'", "6h");
	tl_expect_sql(ctl[0]->conninfo, "SELECT count(*) FROM shared_settings", "10");
	tl_expect_sql(ctl[0]->conninfo, "SELECT after->>'value' FROM history"
	    " WHERE action = 'setting.set' AND object = 'notify.stale_after'", "10s");
	free(bin);
	/* the API: a viewer reads, only an admin writes, a bad value is a 400 */
	char *viewer = tl_token(ctl[0], "viewer-1", "viewer", NULL);
	json_t *j = NULL;
	assert_int_equal(tl_api(ctl[1], "GET", "/v1/settings", viewer, NULL, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "settings")), 10);
	json_decref(j);
	assert_int_equal(tl_api(ctl[1], "PUT", "/v1/settings/policy.max_ttl", viewer,
	    "{\"value\":\"72h\"}", NULL), 403);
	assert_int_equal(tl_api(ctl[1], "PUT", "/v1/settings/policy.max_ttl", ctl[1]->admin,
	    "{\"value\":\"99d\"}", &j), 400);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	    "policy.max_ttl: \"99d\" is out of range");
	json_decref(j);
	tl_expect_sql(ctl[0]->conninfo, "SELECT value FROM shared_settings WHERE key = 'max_ttl'", "2d");
	j = tl_api_ok(ctl[1], "PUT", "/v1/settings/policy.max_ttl", ctl[1]->admin, "{\"value\":\"72h\"}");
	assert_string_equal(json_string_value(json_object_get(j, "value")), "3d");
	assert_string_equal(json_string_value(json_object_get(j, "updated_by")), "test-admin");
	json_decref(j);
	tl_expect_sql(ctl[0]->conninfo, "SELECT actor || ' ' || (before->>'value') || ' ' ||"
	    " (after->>'value') FROM history WHERE action = 'setting.set' AND object = 'policy.max_ttl'",
	    "test-admin 2d 3d");
	free(viewer);
}

/* A third controller whose INI file disagrees warns at start and follows
 * the database: its automatic route lives 6h, not its file's 2h. */
static void
test_disagreeing_ini_warns(void **state)
{
	char *ini = ha_ini(), *extra = xasprintf("%s[policy]\nauto_ttl = 2h\n", ini);
	struct tl_controller *third = tl_controller_start_peer(ctl[0], extra);
	char *path = xasprintf("%s/postrouted.log", third->dir), *log = tl_read_file(path);

	(void)state;
	assert_non_null(strstr(log, "[policy] auto_ttl = 2h in this controller's INI file, but the"
	    " database says 6h"));
	block_on(third, "block", "mx06", "gmx");
	tl_expect_sql(ctl[0]->conninfo, "SELECT (expires_at - created_at)::text FROM routes"
	    " WHERE provider = 'gmx' AND scope = 'mx06'", "06:00:00");
	tl_controller_finish(third);
	free(ini), free(extra), free(path), free(log);
}

/* A routing key file others may read is refused by postrouted -n, in the
 * token file's words, and the file is left as it was. */
static void
test_pagerduty_key_file_rules(void **state)
{
	char *dir = tl_mkdtemp("pdkey"), *key = xasprintf("%s/routing-key", dir);
	char *conf = xasprintf("%s/postrouted.ini", dir), *bin = xasprintf("%s/postrouted", tl_bindir());
	char *ini = xasprintf("[database]\nconninfo = %s\n[notify]\npagerduty_routing_key_file = %s\n",
	    ctl[0]->conninfo, key);
	char *argv[] = { bin, "-n", "-c", conf, NULL };
	char *out = NULL, *err = NULL;
	struct stat st;

	(void)state;
	tl_write_file(key, PD_KEY "\n");
	chmod(key, 0644);
	tl_write_file(conf, ini);
	assert_int_equal(tl_run(argv, &out, &err, 30), 1);
	assert_non_null(strstr(err, "pagerduty_routing_key_file: Permissions 0644"));
	assert_non_null(strstr(err, "are too open"));
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	free(out), free(err);
	chmod(key, 0600);
	assert_int_equal(tl_run(argv, &out, &err, 30), 0);
	free(out), free(err), free(dir), free(key), free(conf), free(bin), free(ini);
}

struct logwait { struct tl_controller *c; const char *needle; };

static int
log_has(void *arg)
{
	struct logwait *w = arg;
	char *path = xasprintf("%s/postrouted.log", w->c->dir), *log = tl_read_file(path);
	int hit = log != NULL && strstr(log, w->needle) != NULL;

	free(path), free(log);
	return hit;
}

/* The database ends the leader's lock session (as on a server restart or
 * a dropped connection): the leader says it no longer leads, a controller
 * takes the lock again, and the next event is told once. */
static void
test_leader_connection_dropped(void **state)
{
	int was = leader();
	struct logwait w = { NULL, "no longer the leader" };

	(void)state;
	assert_true(was >= 0);
	w.c = ctl[was];
	tl_expect_sql(ctl[0]->conninfo, "SELECT pg_terminate_backend(pid) FROM pg_locks"
	    " WHERE locktype = 'advisory' AND classid = 7470 AND objid = 1 AND granted", "t");
	if (!tl_wait_for(log_has, &w, WAIT_MS))
		fail_msg("the leader did not notice that it lost its lock");
	if (!tl_wait_for(has_leader, NULL, WAIT_MS))
		fail_msg("no controller took the leader lock again");
	surge_on(ctl[was], "mx02", "after-drop@example.com");
	wait_bodies(slack, "sender after-drop@example.com", NULL, 1);
	block_on(ctl[1 - was], "block", "mx06", "apple");
	wait_bodies(slack, "apple is blocked on mx06", NULL, 1);
	assert_int_equal(count_bodies(slack, "sender after-drop@example.com", NULL), 1);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* SIGKILL the leader: the survivor takes the lock, sends the next
 * message and expires routes. The time from the kill to the message is
 * printed (BENCHMARKS.md), not asserted beyond WAIT_MS. */
static void
test_leader_killed_other_takes_over(void **state)
{
	int was = leader(), other;
	double t0;

	(void)state;
	assert_true(was >= 0);
	other = 1 - was;
	tl_controller_kill(ctl[was]);
	t0 = now_ms();
	block_on(ctl[other], "block", "mx05", "gmx");
	wait_bodies(slack, "gmx is blocked on mx05", NULL, 1);
	printf("takeover: %.0f ms from SIGKILL of the leader to the survivor's next message\n",
	    now_ms() - t0);
	assert_int_equal(leader(), other);
	assert_int_equal(count_bodies(slack, "gmx is blocked on mx05", NULL), 1);
	expire_once(ctl[other], "yahoo");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_message_per_event),
		cmocka_unit_test(test_failed_post_is_retried_not_duplicated),
		cmocka_unit_test(test_pagerduty_trigger_then_resolve),
		cmocka_unit_test(test_expiry_once),
		cmocka_unit_test(test_stale_node_comes_back),
		cmocka_unit_test(test_settings_set),
		cmocka_unit_test(test_disagreeing_ini_warns),
		cmocka_unit_test(test_pagerduty_key_file_rules),
		cmocka_unit_test(test_leader_connection_dropped),
		cmocka_unit_test(test_leader_killed_other_takes_over),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
