/*
 * test_db_failover.c: the controller on a real primary and its streaming
 * standby (tests/lib/pgpair.h), through a multi-host conninfo with
 * target_session_attrs=read-write (and a multi-host URI as
 * migrate_conninfo), with a real agent on a private Postfix instance
 * waiting on its feed.
 *
 * The primary is stopped hard (pg_ctl stop -m immediate) and the standby
 * promoted; without restarting the controller or the agent, a flip with
 * the CLI succeeds again (retried while it answers 503), the agent's
 * waiting feed wakes and the agent applies the new version, and the
 * history chain still verifies. While no primary answers, a flip is a
 * prompt 503. A controller given only the standby refuses writes with a
 * 503 that says so, and writes nothing. A version committed without its
 * notification still wakes the waiting agent.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "agentrun.h"
#include "clirun.h"
#include "db.h"
#include "pfx.h"
#include "pgpair.h"
#include "testlib.h"
#include "xalloc.h"

#define DB "failover"
#define OWNER "pf_owner"
#define RUNTIME "pf_runtime"
#define RELAY_A "smtp:[192.0.2.1]:25"
#define RELAY_B "smtp:[192.0.2.2]:25"

static struct pgpair *pair;
static struct tl_controller *ctl;
static struct pfx *mx;
static struct agentrun *agent;
static char *operator, *conninfo_rw;

/* A conninfo of the runtime role listing the servers in ports (one or
 * "P1,P2"), with target_session_attrs attrs (NULL: none). */
static char *
conninfo(const char *hosts, const char *ports, const char *attrs)
{
	return xasprintf("host=%s port=%s dbname=" DB " user=" RUNTIME "%s%s", hosts, ports,
	    attrs ? " target_session_attrs=" : "", attrs ? attrs : "");
}

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static int
setup(void **state)
{
	(void)state;
	pair = pgpair_start();
	pgpair_db_create(pair, DB, OWNER, RUNTIME);
	char *ports = xasprintf("%d,%d", pair->port[PGPAIR_PRIMARY], pair->port[PGPAIR_STANDBY]);
	conninfo_rw = conninfo("127.0.0.1,127.0.0.1", ports, "read-write");
	char *owner = xasprintf("postgresql://" OWNER "@127.0.0.1:%d,127.0.0.1:%d/" DB
	    "?target_session_attrs=read-write", pair->port[PGPAIR_PRIMARY], pair->port[PGPAIR_STANDBY]);
	ctl = tl_controller_start_on(conninfo_rw, owner, NULL);
	free(ports), free(owner);

	api("PUT", "/v1/relays/relay-a", "{\"nexthop\": \"" RELAY_A "\"}");
	api("PUT", "/v1/relays/relay-b", "{\"nexthop\": \"" RELAY_B "\"}");
	api("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.test\"]}");
	operator = tl_token(ctl, "otto", "operator", NULL);
	/* one long-poll spans the whole failover */
	agent = agentrun_node(ctl, "mx01", "poll_wait = 120s\n", &mx);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	agentrun_free(agent);
	pfx_stop(mx);
	tl_controller_free(ctl);
	pgpair_free(pair);
	free(operator), free(conninfo_rw);
	return 0;
}

static long
metric(struct tl_controller *c, const char *name)
{
	char *url = xasprintf("%s/metrics", c->url), *raw = NULL;
	char *needle = xasprintf("\n%s ", name);
	long v = -1;

	if (tl_http("GET", url, NULL, NULL, NULL, &raw) != 200)
		fail_msg("GET /metrics failed");
	if (strstr(raw, needle) != NULL)
		v = strtol(strstr(raw, needle) + strlen(needle), NULL, 10);
	free(url), free(raw), free(needle);
	if (v < 0)
		fail_msg("GET /metrics: no %s", name);
	return v;
}

static int
feed_waiting(void *arg)
{
	(void)arg;
	return metric(ctl, "postroute_feed_waiting") >= 1;
}

struct readyz {
	struct tl_controller *c;
	long status;
	const char *text;      /* the body starts with it; NULL: any */
};

static int
readyz_is(void *arg)
{
	struct readyz *w = arg;
	char *url = xasprintf("%s/readyz", w->c->url), *raw = NULL;
	long st = tl_http("GET", url, NULL, NULL, NULL, &raw);
	int ok = st == w->status && (w->text == NULL || strncmp(raw, w->text, strlen(w->text)) == 0);

	free(url), free(raw);
	return ok;
}

static char *
ctl_log(const struct tl_controller *c)
{
	char *path = xasprintf("%s/postrouted.log", c->dir);
	char *log = tl_read_file(path);

	free(path);
	return log ? log : xstrdup("");
}

static void
expect_in_log(const struct tl_controller *c, const char *needle)
{
	char *log = ctl_log(c);

	if (strstr(log, needle) == NULL)
		fail_msg("the controller's log lacks \"%s\":\n%s", needle, log);
	free(log);
}

/* History rows on the primary (before any failover). */
static char *
history_rows(void)
{
	char *db = xasprintf("host=127.0.0.1 port=%d dbname=" DB " user=postgres",
	    pair->port[PGPAIR_PRIMARY]);
	char *n = tl_sql(db, "SELECT count(*) FROM history");

	free(db);
	return n;
}

/* libpq's own choice among the hosts, with the defaults db_connect adds
 * under the string and the string's own values winning over them. */
static void
test_multi_host_connect(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char port[16];
	char *reversed = xasprintf("%d,%d", pair->port[PGPAIR_STANDBY], pair->port[PGPAIR_PRIMARY]);
	char *ci = conninfo("127.0.0.1,127.0.0.1", reversed, "read-write");
	PGconn *c = db_connect(ci, 1000, &err);

	(void)state;
	if (c == NULL)
		fail_msg("db_connect %s: %s", ci, strbuf_str(&err));
	/* the standby comes first in the list and is passed over */
	snprintf(port, sizeof(port), "%d", pair->port[PGPAIR_PRIMARY]);
	assert_string_equal(PQport(c), port);
	assert_int_equal(db_read_only(c), 0);
	PQconninfoOption *o = PQconninfo(c);
	for (PQconninfoOption *i = o; i->keyword != NULL; i++) {
		if (strcmp(i->keyword, "connect_timeout") == 0)
			assert_string_equal(i->val, DB_CONNECT_TIMEOUT_S);
		if (strcmp(i->keyword, "application_name") == 0)
			assert_string_equal(i->val, "postrouted");
		if (strcmp(i->keyword, "keepalives_idle") == 0)
			assert_string_equal(i->val, DB_KEEPALIVES_IDLE_S);
	}
	PQconninfoFree(o);
	PQfinish(c);
	free(ci);

	/* what the administrator wrote wins, URI or keywords */
	ci = xasprintf("postgresql://" RUNTIME "@127.0.0.1:%d,127.0.0.1:%d/" DB
	    "?target_session_attrs=read-write&connect_timeout=7&application_name=mine",
	    pair->port[PGPAIR_STANDBY], pair->port[PGPAIR_PRIMARY]);
	c = db_connect(ci, 1000, &err);
	if (c == NULL)
		fail_msg("db_connect %s: %s", ci, strbuf_str(&err));
	assert_string_equal(PQport(c), port);
	o = PQconninfo(c);
	for (PQconninfoOption *i = o; i->keyword != NULL; i++) {
		if (strcmp(i->keyword, "connect_timeout") == 0)
			assert_string_equal(i->val, "7");
		if (strcmp(i->keyword, "application_name") == 0)
			assert_string_equal(i->val, "mine");
	}
	PQconninfoFree(o);
	PQfinish(c);
	free(ci), free(reversed);

	/* the standby alone, read-write asked: refused, every host named */
	snprintf(port, sizeof(port), "%d", pair->port[PGPAIR_STANDBY]);
	ci = conninfo("127.0.0.1", port, "read-write");
	assert_null(db_connect(ci, 1000, &err));
	assert_non_null(strstr(strbuf_str(&err), "read-only"));
	assert_non_null(strstr(strbuf_str(&err), port));
	free(ci);
	strbuf_clear(&err);
}

/* Only the standby, read-write asked: no connection at all, every
 * request a 503, the reason in the log. */
static void
test_standby_only_read_write(void **state)
{
	char port[16];
	struct clirun r;

	(void)state;
	pgpair_await_replay(pair);            /* the tokens are there too */
	snprintf(port, sizeof(port), "%d", pair->port[PGPAIR_STANDBY]);
	char *ci = conninfo("127.0.0.1", port, "read-write");
	struct tl_controller *c = tl_controller_start_plain(ci, NULL);
	char *before = history_rows();
	struct readyz w = { c, 503, "database unavailable" };

	assert_true(readyz_is(&w));
	clirun(&r, c->url, operator, "flip", "google", "--to", "relay-b", "--node", "mx01",
	    "--reason", "standby only", "--no-wait", NULL);
	clirun_expect(&r, 3, "flip through a controller that reaches only a standby");
	assert_non_null(strstr(r.err, "database unavailable (HTTP 503)"));
	clirun_free(&r);
	expect_in_log(c, "database: cannot connect: ");
	expect_in_log(c, "read-only");
	char *after = history_rows();
	assert_string_equal(after, before);
	free(before), free(after), free(ci);
	tl_controller_finish(c);
}

/* Only the standby, no target_session_attrs: reads are served, a write is
 * refused with a 503 that names the read-only server, nothing changes. */
static void
test_standby_only_any(void **state)
{
	char port[16];
	struct clirun r;
	json_t *j = NULL;

	(void)state;
	pgpair_await_replay(pair);
	snprintf(port, sizeof(port), "%d", pair->port[PGPAIR_STANDBY]);
	char *ci = conninfo("127.0.0.1", port, NULL);
	struct tl_controller *c = tl_controller_start_plain(ci, NULL);
	char *before = history_rows();
	struct readyz w = { c, 503, "database read-only" };

	assert_int_equal(tl_api(c, "GET", "/v1/routes", operator, NULL, &j), 200);
	assert_non_null(json_object_get(j, "version"));
	json_decref(j);
	assert_true(readyz_is(&w));
	clirun(&r, c->url, operator, "flip", "google", "--to", "relay-b", "--node", "mx01",
	    "--reason", "standby only", "--no-wait", NULL);
	clirun_expect(&r, 3, "flip through a controller on a read-only server");
	assert_non_null(strstr(r.err, "route: the database server is read-only (a standby?)"));
	assert_non_null(strstr(r.err, "HTTP 503"));
	clirun_free(&r);
	expect_in_log(c, "is read-only (a standby): writes get 503");
	char *after = history_rows();
	assert_string_equal(after, before);
	free(before), free(after), free(ci);
	tl_controller_finish(c);
}

static void
expect_map(const char *nexthop)
{
	char *v = pfx_lookup(mx, "gmail.test");

	if (v == NULL || strcmp(v, nexthop) != 0)
		fail_msg("transport map: gmail.test -> %s, want %s", v ? v : "(none)", nexthop);
	free(v);
}

struct flip_try {
	const char *relay;
	int tries;
	struct clirun last;
};

/* One flip waiting for the agent: 1 done, 0 a 503 (try again). */
static int
flip_tried(void *arg)
{
	struct flip_try *f = arg;

	if (f->tries++ > 0)
		clirun_free(&f->last);
	clirun(&f->last, ctl->url, operator, "flip", "google", "--to", f->relay, "--node", "mx01",
	    "--reason", "after the failover", "--timeout", "30s", "--json", NULL);
	if (f->last.rc == 0)
		return 1;
	if (f->last.rc == 3 && strstr(f->last.err, "(HTTP 503)") != NULL)
		return 0;
	fail_msg("flip after the failover: exit %d: %s%s", f->last.rc, f->last.out, f->last.err);
	return 0;
}

static void
test_failover(void **state)
{
	struct clirun r;
	pid_t agent_pid = agent->pid, ctl_pid = ctl->pid;
	char port[16];

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay-a", "--node", "mx01",
	    "--reason", "before the failover", "--timeout", "30s", NULL);
	clirun_expect(&r, 0, "flip on the primary");
	clirun_free(&r);
	expect_map(RELAY_A);
	/* the agent applied it, reported, and waits on its feed again */
	assert_true(tl_wait_for(feed_waiting, NULL, 15000));
	long wakeups = metric(ctl, "postroute_feed_wakeups_total");
	long listens = metric(ctl, "postroute_listen_reconnects_total");
	long pooled = metric(ctl, "postroute_db_reconnects_total");
	pgpair_await_replay(pair);

	pgpair_kill_primary(pair);
	struct readyz down = { ctl, 503, "database unavailable" };
	assert_true(tl_wait_for(readyz_is, &down, 15000));
	assert_int_equal(metric(ctl, "postroute_db_up"), 0);
	/* no primary: a write is a 503 at once, not a wait */
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay-b", "--node", "mx01",
	    "--reason", "during the outage", "--no-wait", NULL);
	clirun_expect(&r, 3, "flip with no primary");
	assert_non_null(strstr(r.err, "database unavailable (HTTP 503)"));
	clirun_free(&r);

	pgpair_promote(pair);
	struct flip_try f = { .relay = "relay-b" };
	if (!tl_wait_for(flip_tried, &f, 60000))
		fail_msg("no flip succeeded within 60 s of the promotion; last: %s%s\ncontroller log:\n%s",
		    f.last.out, f.last.err, ctl_log(ctl));
	/* the agent, waiting on its feed since before the failover, applied it */
	json_t *n = json_array_get(json_object_get(json_object_get(f.last.json, "wait"), "nodes"), 0);
	assert_string_equal(json_string_value(json_object_get(n, "node")), "mx01");
	assert_string_equal(json_string_value(json_object_get(n, "state")), "applied");
	clirun_free(&f.last);
	expect_map(RELAY_B);
	assert_true(metric(ctl, "postroute_feed_wakeups_total") > wakeups);

	/* nothing restarted */
	assert_int_equal(agent->pid, agent_pid);
	assert_int_equal(kill(agent_pid, 0), 0);
	assert_int_equal(ctl->pid, ctl_pid);
	assert_int_equal(waitpid(ctl_pid, NULL, WNOHANG), 0);

	/* the controller says where it went, and counts it */
	snprintf(port, sizeof(port), "%d", pair->port[PGPAIR_STANDBY]);
	char *where = xasprintf("127.0.0.1 port %s", port);
	expect_in_log(ctl, "listener: database connection lost");
	expect_in_log(ctl, where);
	free(where);
	struct readyz up = { ctl, 200, "ready" };
	assert_true(readyz_is(&up));
	assert_int_equal(metric(ctl, "postroute_db_up"), 1);
	assert_true(metric(ctl, "postroute_listen_reconnects_total") > listens);
	assert_true(metric(ctl, "postroute_db_reconnects_total") > pooled);

	/* the chain, written on two servers, is whole */
	clirun(&r, ctl->url, ctl->admin, "history", "--verify", NULL);
	clirun_expect(&r, 0, "history --verify after the failover");
	clirun_free(&r);
}

struct applied_arg {
	long long version;
};

static int
node_applied(void *arg)
{
	struct applied_arg *a = arg;
	json_t *j = NULL;
	int ok = tl_api(ctl, "GET", "/v1/nodes/mx01", ctl->admin, NULL, &j) == 200 &&
	    json_integer_value(json_object_get(j, "applied_version")) >= a->version;

	json_decref(j);
	return ok;
}

/* Versions, not notifications: a version committed without its NOTIFY
 * (triggers off for the session, as replication would apply it) still
 * reaches the waiting agent, through the once-a-second version check. */
static void
test_missed_notification(void **state)
{
	json_t *j = tl_api_ok(ctl, "GET", "/v1/routes", ctl->admin, NULL);
	struct applied_arg a = { json_integer_value(json_object_get(j, "version")) + 1 };
	char *su = xasprintf("host=127.0.0.1 port=%d dbname=" DB " user=postgres",
	    pair->port[PGPAIR_STANDBY]);     /* the primary since test_failover */

	(void)state;
	json_decref(j);
	assert_true(tl_wait_for(feed_waiting, NULL, 15000));
	long wakeups = metric(ctl, "postroute_feed_wakeups_total");
	free(tl_sql(su, "SET session_replication_role = replica;"
	    " UPDATE routing_version SET version = version + 1"));
	if (!tl_wait_for(node_applied, &a, 20000))
		fail_msg("version %lld, committed without a notification, was not applied; log:\n%s",
		    a.version, ctl_log(ctl));
	assert_true(metric(ctl, "postroute_feed_wakeups_total") > wakeups);
	expect_in_log(ctl, "was not notified within a second");
	free(su);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_host_connect),
		cmocka_unit_test(test_standby_only_read_write),
		cmocka_unit_test(test_standby_only_any),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_missed_notification),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
