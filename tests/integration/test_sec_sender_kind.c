/*
 * test_sec_sender_kind.c: only a SASL login is held automatically (issue
 * 10, finding 9).
 *
 * An envelope address can be written by anyone who can send mail to or
 * through a node, so a surge "from" a customer's address must not let an
 * outsider freeze the customer's mail. The volume tracker keeps a login
 * and an address of the same spelling apart and says which each event
 * is about; the controller, with [policy] hold_on_surge = yes, holds a
 * sender only when the event says "sender_kind": "sasl".
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maillog.h"
#include "seed.h"
#include "testlib.h"
#include "volume.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *detector;

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start("\n[policy]\nhold_on_surge = yes\n");
	seed_server(ctl, "mx01");
	detector = tl_token(ctl, "detector-1", "detector", "*");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	free(detector);
	return 0;
}

/* ---- the tracker ---- */

struct seen {
	int n;
	char sender[2][64];
	int sasl[2];
};

static void
on_event(const struct volume_event *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->kind != VOLUME_RATE || s->n == 2)
		return;
	snprintf(s->sender[s->n], sizeof(s->sender[0]), "%s", ev->sender);
	s->sasl[s->n++] = ev->sasl;
}

static void
feed(struct volume *v, struct maillog_clock *clk, const char *line)
{
	struct maillog_rec rec;

	if (maillog_parse_line(line, strlen(line), clk, &rec) == MAILLOG_REJECT)
		fail_msg("parser refused: %s", line);
	volume_feed(v, &rec);
}

static void
test_tracker_tells_login_from_address(void **state)
{
	struct volume_config cfg;
	struct maillog_clock clk;
	struct seen seen = { 0 };
	char line[512];

	(void)state;
	volume_config_defaults(&cfg);
	cfg.warmup = 0;
	maillog_clock_init(&clk, 1795000000);
	struct volume *v = volume_new(&cfg, on_event, &seen);
	/* forged: 60 messages "from" alice's address, no login */
	for (int i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "2026-11-27T10:00:%02d+00:00 mx01 postfix/qmgr[1]: %X: "
		    "from=<alice@example.test>, size=100, nrcpt=5 (queue active)", i % 30, 0x10000 + i);
		feed(v, &clk, line);
	}
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.sender[0], "alice@example.test");
	assert_int_equal(seen.sasl[0], 0);
	/* the real login of the same spelling is another sender */
	for (int i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "2026-11-27T10:00:%02d+00:00 mx01 postfix/submission/smtpd[2]: "
		    "%X: client=unknown[203.0.113.9], sasl_method=PLAIN, sasl_username=alice@example.test",
		    30 + i % 30, 0x20000 + i);
		feed(v, &clk, line);
		snprintf(line, sizeof(line), "2026-11-27T10:00:%02d+00:00 mx01 postfix/qmgr[1]: %X: "
		    "from=<alice@example.test>, size=100, nrcpt=5 (queue active)", 30 + i % 30, 0x20000 + i);
		feed(v, &clk, line);
	}
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.sender[1], "alice@example.test");
	assert_int_equal(seen.sasl[1], 1);
	volume_free(v);
}

/* ---- the controller ---- */

static json_t *
surge(const char *sender, const char *kind, long want)
{
	char *k = kind ? xasprintf(",\"sender_kind\":\"%s\"", kind) : xstrdup("");
	char *b = xasprintf("{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"%s\",\"rate\":900,"
	    "\"baseline\":3%s}", sender, k);
	json_t *j = NULL;
	long st = tl_api(ctl, "POST", "/v1/events", detector, b, &j);

	if (st != want)
		fail_msg("%s: %ld, want %ld: %s", b, st, want, j ? json_dumps(j, 0) : "");
	free(k), free(b);
	return j;
}

static const char *
outcome(json_t *j)
{
	const char *s = json_string_value(json_object_get(j, "outcome"));

	return s ? s : "";
}

static void
test_only_logins_are_held(void **state)
{
	json_t *j;
	char *v;

	(void)state;
	v = tl_sql(ctl->conninfo, "SELECT version::text FROM routing_version");
	j = surge("ceo@customer.example", "envelope", 200);
	assert_non_null(strstr(outcome(j), "Not held: an envelope address, which anyone can forge,"
	    " so only a SASL login is held automatically; if the account is yours: postroute sender"
	    " hold ceo@customer.example --reason TEXT"));
	json_decref(j);
	j = surge("ceo@customer.example", NULL, 200);
	assert_non_null(strstr(outcome(j), "Not held: the reporter did not say it is a SASL login"));
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM holds", "0");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM history WHERE action = 'volume.surge'", "2");
	/* nothing held, no feed changed: no agent is woken (finding 4) */
	tl_expect_sql(ctl->conninfo, "SELECT version::text FROM routing_version", v);
	tl_expect_sql(ctl->conninfo, "SELECT string_agg(DISTINCT version::text, ',') FROM history"
	    " WHERE action = 'volume.surge'", v);
	free(v);
	j = surge("ceo@customer.example", "bogus", 400);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	    "sender_kind: must be \"sasl\" or \"envelope\"");
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM history WHERE action = 'volume.surge'", "2");
	j = surge("alice@example.test", "sasl", 200);
	assert_non_null(strstr(outcome(j), "Its new mail is now held"));
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT sender || ' ' || origin FROM holds", "alice@example.test auto");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracker_tells_login_from_address),
		cmocka_unit_test(test_only_logins_are_held),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
