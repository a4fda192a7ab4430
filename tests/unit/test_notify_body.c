/*
 * test_notify_body.c: the bodies the controller posts: PagerDuty Events v2
 * triggers and resolves (the fields PagerDuty documents, the summary cut
 * to 1024 characters at a character boundary, the routing key and dedup
 * key as given) and Slack's escaping; and the post itself, against a
 * local receiver (webhook.h): delivered, refused with its status, and a
 * failure's text naming the channel but never the webhook's secret URL.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "httpc.h"
#include "notify_http.h"
#include "strbuf.h"
#include "webhook.h"

static json_t *
body(const struct pd_event *ev)
{
	char *text = notify_pagerduty_body(ev);
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	free(text);
	return j;
}

static void
test_trigger_fields(void **state)
{
	struct pd_event ev = { "k32", 0, "block/mx01/google", ":no_entry: google is blocked on mx01\nmore",
		"block/mx01/google", "error", "mx01", "https://runbook.example/x" };
	json_t *j = body(&ev), *p = json_object_get(j, "payload");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(j, "routing_key")), "k32");
	assert_string_equal(json_string_value(json_object_get(j, "event_action")), "trigger");
	assert_string_equal(json_string_value(json_object_get(j, "dedup_key")), "block/mx01/google");
	assert_string_equal(json_string_value(json_object_get(p, "summary")),
	    ":no_entry: google is blocked on mx01");
	assert_string_equal(json_string_value(json_object_get(p, "source")), "mx01");
	assert_string_equal(json_string_value(json_object_get(p, "severity")), "error");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "custom_details"),
	    "text")), ":no_entry: google is blocked on mx01\nmore");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "links"),
	    0), "href")), "https://runbook.example/x");
	json_decref(j);
}

static void
test_resolve_has_only_the_keys(void **state)
{
	struct pd_event ev = { "k32", 1, "stale/mx02", "caught up", "back/mx02", "info", "mx02", "" };
	json_t *j = body(&ev);

	(void)state;
	assert_int_equal(json_object_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(j, "event_action")), "resolve");
	assert_string_equal(json_string_value(json_object_get(j, "dedup_key")), "stale/mx02");
	json_decref(j);
}

/* 1100 two-octet characters: the summary keeps 1024 whole ones. */
static void
test_summary_cut_at_1024_characters(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < 1100; i++)
		strbuf_append(&sb, "\xc3\xa9");
	struct pd_event ev = { "k", 0, "d", strbuf_str(&sb), "d", "warning", "postroute", NULL };
	json_t *j = body(&ev);
	const char *s = json_string_value(json_object_get(json_object_get(j, "payload"), "summary"));
	assert_int_equal(strlen(s), 2048);
	assert_null(json_object_get(j, "links"));
	json_decref(j);
	strbuf_clear(&sb);
}

static void
test_slack_escapes(void **state)
{
	char *b = notify_slack_body("<!channel> & <https://evil|click>");

	(void)state;
	assert_string_equal(b, "{\"text\":\"&lt;!channel&gt; &amp; &lt;https://evil|click&gt;\"}");
	free(b);
}

/* A 2xx is delivered: 0, and the receiver has the body as sent. */
static void
test_post_delivered(void **state)
{
	struct webhook *w = webhook_start();
	struct httpc *h = httpc_new();
	struct strbuf err = STRBUF_INIT;
	char *b;

	(void)state;
	assert_int_equal(notify_http_post(h, "webhook", webhook_url(w), "{\"text\":\"hi\"}", 5000,
	    &err), 0);
	assert_string_equal(strbuf_str(&err), "");
	assert_int_equal(webhook_count(w), 1);
	b = webhook_body(w, 0);
	assert_string_equal(b, "{\"text\":\"hi\"}");
	free(b);
	strbuf_clear(&err);
	httpc_free(h);
	webhook_stop(w);
}

/* Any other status is a failure, worded "label: answered STATUS". */
static void
test_post_refused(void **state)
{
	struct webhook *w = webhook_start();
	struct httpc *h = httpc_new();
	struct strbuf err = STRBUF_INIT;

	(void)state;
	webhook_fail_next(w, 1);
	assert_int_equal(notify_http_post(h, "PagerDuty", webhook_url(w), "{}", 5000, &err), -1);
	assert_string_equal(strbuf_str(&err), "PagerDuty: answered 500");
	strbuf_clear(&err);
	httpc_free(h);
	webhook_stop(w);
}

/* A receiver that cannot be reached: the text (logged, and kept in
 * notify_outbox.last_error) names the channel and the reason, not the
 * URL, whose path is the webhook's secret. */
static void
test_post_error_hides_the_url(void **state)
{
	struct httpc *h = httpc_new();
	struct strbuf err = STRBUF_INIT;
	const char *e;

	(void)state;
	assert_int_equal(notify_http_post(h, "webhook",
	    "http://127.0.0.1:1/services/T000/B000/s3cr3tpath", "{}", 5000, &err), -1);
	e = strbuf_str(&err);
	assert_true(strncmp(e, "webhook: ", 9) == 0);
	assert_non_null(strstr(e, "connect"));
	assert_null(strstr(e, "s3cr3tpath"));
	assert_null(strstr(e, "/services/"));
	strbuf_clear(&err);
	httpc_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trigger_fields),
		cmocka_unit_test(test_resolve_has_only_the_keys),
		cmocka_unit_test(test_summary_cut_at_1024_characters),
		cmocka_unit_test(test_slack_escapes),
		cmocka_unit_test(test_post_delivered),
		cmocka_unit_test(test_post_refused),
		cmocka_unit_test(test_post_error_hides_the_url),
	};

	httpc_global_init();

	return cmocka_run_group_tests(tests, NULL, NULL);
}
