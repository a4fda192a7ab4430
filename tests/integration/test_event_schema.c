/*
 * test_event_schema.c: the controller accepts the events the agent's
 * encoder writes (agent/eventjson.c, the table of docs/api.md "Event
 * bodies"), and refuses a reason outside its set.
 *
 * The real "postroute-agent scan" prints the events of a log (relay03's
 * Yahoo block and clear from tests/data/scan-basic.log, an envelope
 * sender's surge on mx07); each line, unchanged, is posted to a real
 * controller: 200, and the surge's history row keeps its reason.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "seed.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *detector;

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	seed_server(ctl, "relay03");
	seed_server(ctl, "mx07");
	detector = tl_token(ctl, "detector-1", "detector", "*");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(tl_controller_stop(ctl), 0);
	tl_controller_free(ctl);
	free(detector);
	return 0;
}

/* Posts every event line scan prints for log; returns how many. */
static int
post_scan_events(const char *log)
{
	char *agent = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { agent, "scan", (char *)log, NULL };
	char *out = NULL, *err = NULL, *nl;
	int n = 0;

	assert_int_equal(tl_run(argv, &out, &err, 60), 0);
	for (char *l = out; *l != '\0'; l = nl + 1) {
		nl = strchr(l, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (strncmp(l, "{\"type\":\"delivery\"", 18) == 0)
			continue;
		json_t *j = NULL;
		long st = tl_api(ctl, "POST", "/v1/events", detector, l, &j);
		if (st != 200)
			fail_msg("%ld for %s: %s", st, l, j ? json_dumps(j, 0) : "");
		json_decref(j);
		n++;
	}
	free(out), free(err), free(agent);
	return n;
}

static void
test_scan_events_accepted(void **state)
{
	char *dir = tl_mkdtemp("event-schema"), *path = xasprintf("%s/maillog", dir);
	char *fixture = xasprintf("%s/tests/data/scan-basic.log", tl_srcdir());
	struct strbuf log = STRBUF_INIT;
	char line[512];
	int q = 0;

	(void)state;
	assert_int_equal(post_scan_events(fixture), 2);       /* block, clear */
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM blocks WHERE node = 'relay03'"
	    " AND provider = 'yahoo' AND cleared_at IS NOT NULL", "1");
	for (int m = 0; m < 50; m++)
		for (int i = 0; i < (m >= 45 ? 30 : 2); i++) {
			snprintf(line, sizeof(line), "2026-11-27T10:%02d:%02dZ mx07 postfix/qmgr[1020]: %X:"
			    " from=<info@shop.example.jp>, size=4821, nrcpt=%d (queue active)\n",
			    m, i, 0xA0000 + q++, m >= 45 ? 10 : 1);
			strbuf_append(&log, line);
		}
	tl_write_file(path, strbuf_str(&log));
	assert_int_equal(post_scan_events(path), 1);          /* the surge */
	tl_expect_sql(ctl->conninfo, "SELECT concat_ws(' ', after->>'reason', after->>'sender_kind',"
	    " jsonb_array_length(after->'queue_ids')) FROM history WHERE action = 'volume.surge'",
	    "rate envelope 3");
	strbuf_clear(&log);
	free(dir), free(path), free(fixture);
}

static void
test_bad_reason_refused(void **state)
{
	json_t *j = NULL;

	(void)state;
	assert_int_equal(tl_api(ctl, "POST", "/v1/events", detector, "{\"type\":\"volume\","
	    "\"node\":\"mx07\",\"sender\":\"a@b.example\",\"reason\":\"because\"}", &j), 400);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	    "reason: must be \"rate\", \"client_ips\" or \"node_total\"");
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_events_accepted),
		cmocka_unit_test(test_bad_reason_refused),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
