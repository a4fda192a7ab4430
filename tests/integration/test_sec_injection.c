/*
 * test_sec_injection.c: what a reporter sends cannot inject into the
 * on-call channel, the database or the logs (issue 10, finding 8).
 *
 * A real controller with a local webhook receiver: Slack markup in a
 * sender and in a failed step's stderr reaches the webhook escaped
 * (&amp; &lt; &gt;); control characters in an event's samples and a
 * report's error are not stored; a report's step outside the agent's
 * fixed set is refused with 400; a newline in a field never splits a
 * log line, neither in the controller's log nor through log.c itself.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "sanitize.h"
#include "seed.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct webhook *hook;
static char *detector, *agent;

static int
setup(void **state)
{
	(void)state;
	hook = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\n", webhook_url(hook));
	ctl = tl_controller_start(ini);
	free(ini);
	seed_servers(ctl, 1);
	seed_providers(ctl, 1);
	detector = tl_token(ctl, "detector-1", "detector", "*");
	agent = tl_token(ctl, "mx01", "agent", "mx01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	webhook_stop(hook);
	free(detector), free(agent);
	return 0;
}

/* The "text" of the first webhook message whose text contains needle. */
static char *
hook_text_now(const char *needle)
{
	for (int i = 0; i < webhook_count(hook); i++) {
		char *b = webhook_body(hook, i);
		json_t *j = json_loads(b, 0, NULL);
		const char *text = json_string_value(json_object_get(j, "text"));
		char *hit = text && strstr(text, needle) ? xstrdup(text) : NULL;
		json_decref(j);
		free(b);
		if (hit)
			return hit;
	}
	return NULL;
}

struct hook_seen {
	const char *needle;
	char *text;
};

static int
hook_has(void *arg)
{
	struct hook_seen *s = arg;

	return (s->text = hook_text_now(s->needle)) != NULL;
}

/* The same, waited for. */
static char *
hook_text(const char *needle)
{
	struct hook_seen s = { needle, NULL };

	if (!tl_wait_for(hook_has, &s, 10000))
		fail_msg("no webhook message containing \"%s\" (%d received)", needle, webhook_count(hook));
	return s.text;
}

static char *
controller_log(void)
{
	char *path = xasprintf("%s/postrouted.log", ctl->dir);
	char *log = tl_read_file(path);

	free(path);
	return log ? log : xstrdup("");
}

/* Slack markup in a volume event's sender arrives escaped. */
static void
test_slack_escaping_of_a_sender(void **state)
{
	(void)state;
	json_decref(tl_api_ok(ctl, "POST", "/v1/events", detector,
	    "{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"<!channel>&<https://evil.example|x>\","
	    "\"rate\":900,\"baseline\":3}"));
	char *text = hook_text("sudden volume surge");
	assert_non_null(strstr(text, "sender &lt;!channel&gt;&amp;&lt;https://evil.example|x&gt; on mx01"));
	assert_null(strchr(text, '<'));
	assert_null(strchr(text, '>'));
	free(text);
}

/* A failed report: its stderr is stored and sent without controls and
 * with Slack markup escaped; its log line stays one line. */
static void
test_failed_report_error(void **state)
{
	(void)state;
	json_t *body = json_pack("{s:i, s:s, s:s, s:s}", "version", 0, "status", "failed",
	    "step", "postmap",
	    "error", "postmap: fatal: <!here> & co\npostrouted[1]: error: FORGED LINE\x1b[2J\r\x07" "end");
	char *b = json_dumps(body, 0);
	json_decref(body);
	json_decref(tl_api_ok(ctl, "POST", "/v1/nodes/mx01/report", agent, b));
	free(b);
	tl_expect_sql(ctl->conninfo, "SELECT last_error FROM nodes WHERE name = 'mx01'",
	    "postmap: postmap: fatal: <!here> & co postrouted[1]: error: FORGED LINE[2J end");
	char *text = hook_text("failed to apply routing version 0");
	assert_non_null(strstr(text, "at step postmap: postmap: fatal: &lt;!here&gt; &amp; co"
	    " postrouted[1]: error: FORGED LINE[2J end"));
	free(text);
	char *log = controller_log();
	assert_non_null(strstr(log, "FORGED LINE"));
	assert_null(strstr(log, "\npostrouted[1]: error: FORGED"));
	assert_null(strchr(log, '\x1b'));
	free(log);
}

/* Control characters in an event's samples are not stored anywhere. */
static void
test_event_samples_stripped(void **state)
{
	(void)state;
	json_decref(tl_api_ok(ctl, "POST", "/v1/events", detector,
	    "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"reputation\","
	    "\"count\":3,\"attempts\":3,\"samples\":[\"421 4.7.0 try\\nlater\\u001b[31m\\u0085 \\u00e9t\\u00e9\"]}"));
	tl_expect_sql(ctl->conninfo, "SELECT samples->>0 FROM blocks WHERE node = 'mx01'",
	    "421 4.7.0 try later[31m \u00e9t\u00e9");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM history WHERE after::text ~ '\\\\u00(0|1|7f)|\\\\n'",
	    "0");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM history WHERE after::text LIKE '%try later[31m%'",
	    "2");
}

/* A step outside the agent's set is refused, naming the field; nothing changes. */
static void
test_bad_step_refused(void **state)
{
	static const char *const steps[] = { "postmap; rm -rf /", "POSTMAP", "", "x\ny",
		"a-very-long-step-name-that-is-not-one-of-ours" };
	json_t *j = NULL;

	(void)state;
	char *before = tl_sql(ctl->conninfo, "SELECT last_report_at::text FROM nodes WHERE name = 'mx01'");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		json_t *body = json_pack("{s:i, s:s, s:s, s:s}", "version", 0, "status", "failed",
		    "step", steps[i], "error", "boom");
		char *b = json_dumps(body, 0);
		json_decref(body);
		assert_int_equal(tl_api(ctl, "POST", "/v1/nodes/mx01/report", agent, b, &j), 400);
		const char *e = json_string_value(json_object_get(j, "error"));
		assert_non_null(e);
		assert_true(strncmp(e, "step: must be one of feed, validate, mastercf,", 46) == 0);
		json_decref(j);
		free(b);
	}
	tl_expect_sql(ctl->conninfo, "SELECT last_report_at::text FROM nodes WHERE name = 'mx01'", before);
	free(before);
	assert_true(sanitize_step_known("requeue"));
	assert_false(sanitize_step_known("requeue "));
}

/* log.c writes one line, whatever a field holds. */
static void
test_log_line_stays_one_line(void **state)
{
	int fds[2];
	char buf[4096];
	ssize_t n, got = 0;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		log_init("testlog");
		log_warnx("sender %s done", "bob\nx[1]: error: forged\r\x1b[31m\x7f\tz");
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	buf[got] = '\0';
	char *want = xasprintf("testlog[%d]: warning: sender bob\\nx[1]: error: forged\\r\\x1b[31m\\x7f\\tz done\n",
	    (int)pid);
	assert_string_equal(buf, want);
	free(want);
	/* a long text is cut at a whole escape */
	char out[8];
	assert_int_equal(log_escape("ab\ncd", out, sizeof(out)), 6);
	assert_string_equal(out, "ab\\ncd");
	assert_int_equal(log_escape("abcde\x01", out, sizeof(out)), 5);
	assert_string_equal(out, "abcde");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slack_escaping_of_a_sender),
		cmocka_unit_test(test_failed_report_error),
		cmocka_unit_test(test_event_samples_stripped),
		cmocka_unit_test(test_bad_step_refused),
		cmocka_unit_test(test_log_line_stays_one_line),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
