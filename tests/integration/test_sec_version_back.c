/*
 * test_sec_version_back.c: a controller whose routing version goes back
 * (a restored database, a version reset by hand) does not freeze the
 * fleet (issue 10, finding 9).
 *
 * A real controller and an agent on a private Postfix: the agent applies
 * version N; then the database is set back to an older state (other
 * routes, version 2) in SQL. The controller notices and serves the
 * database's routes; the agent, which was waiting for a version above N,
 * gets version 2, reads the whole feed again to confirm, applies it, says
 * so at error level in its log and in its report; the next change is
 * applied as usual.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct pfx *mx;
static struct agentrun *agent;

static long long
api_version(const char *method, const char *path, const char *body)
{
	json_t *j = tl_api_ok(ctl, method, path, ctl->admin, body);
	long long v = json_integer_value(json_object_get(j, "version"));

	json_decref(j);
	return v;
}

static int
applied(void *arg)
{
	long long want = *(long long *)arg;
	char *q = xasprintf("SELECT count(*) FROM nodes WHERE name = 'mx01' AND applied_version = %lld"
	    " AND last_status = 'applied'", want);
	char *n = tl_sql(ctl->conninfo, q);
	int ok = n != NULL && strcmp(n, "1") == 0;

	free(q), free(n);
	return ok;
}

static void
await_applied(long long v)
{
	if (!tl_wait_for(applied, &v, 20000)) {
		char *log = tl_read_file(agent->log);
		fail_msg("version %lld not applied; agent log:\n%s", v, log ? log : "");
	}
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	json_decref(tl_api_ok(ctl, "PUT", "/v1/relays/r-a", ctl->admin,
	    "{\"nexthop\": \"smtp:[127.0.0.2]:25\"}"));
	json_decref(tl_api_ok(ctl, "PUT", "/v1/relays/r-b", ctl->admin,
	    "{\"nexthop\": \"smtp:[127.0.0.3]:25\"}"));
	json_decref(tl_api_ok(ctl, "PUT", "/v1/providers/google", ctl->admin,
	    "{\"domains\": [\"gmail.test\"]}"));
	agent = agentrun_node(ctl, "mx01", "poll_wait = 60s", &mx);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(agentrun_stop(agent), 0);
	agentrun_free(agent);
	pfx_stop(mx);
	tl_controller_finish(ctl);
	return 0;
}

static void
test_version_goes_back(void **state)
{
	(void)state;
	long long v = 0;
	for (int i = 0; i < 3; i++)
		v = api_version("PUT", "/v1/routes/google", i % 2 ? "{\"relay\": \"r-b\", \"reason\": \"x\"}" :
		    "{\"relay\": \"r-a\", \"reason\": \"x\"}");
	assert_true(v > 2);
	await_applied(v);
	char *got = pfx_lookup(mx, "gmail.test");
	assert_string_equal(got, "smtp:[127.0.0.2]:25");
	free(got);

	/* the database "restored" to an older state: other routes, version 2 */
	free(tl_sql(ctl->conninfo, "UPDATE routes SET relay = 'r-b' WHERE provider = 'google'"));
	free(tl_sql(ctl->conninfo, "UPDATE routing_version SET version = 2"));
	await_applied(2);
	got = pfx_lookup(mx, "gmail.test");
	assert_string_equal(got, "smtp:[127.0.0.3]:25");
	free(got);
	char *want = xasprintf("error: the controller's routing version went back from %lld to 2"
	    " (database restored?); applied its current routes", v);
	assert_int_equal(agentrun_log_count(agent, want), 1);
	assert_int_equal(agentrun_log_count(agent, "reading the whole feed again to confirm"), 1);
	free(want);
	char *path = xasprintf("%s/postrouted.log", ctl->dir);
	char *log = tl_read_file(path);
	want = xasprintf("error: listener: the routing version went back from %lld to 2", v);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "node mx01 applied version 2: the controller's routing version went back"));
	free(want), free(log), free(path);

	/* the next change is applied as usual */
	long long v3 = api_version("PUT", "/v1/routes/google", "{\"relay\": \"r-a\", \"reason\": \"after\"}");
	assert_int_equal(v3, 3);
	await_applied(3);
	got = pfx_lookup(mx, "gmail.test");
	assert_string_equal(got, "smtp:[127.0.0.2]:25");
	free(got);
	assert_int_equal(agentrun_log_count(agent, "went back"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_goes_back),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
