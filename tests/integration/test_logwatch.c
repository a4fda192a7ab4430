/*
 * test_logwatch.c: the closed loop on real parts. Two private Postfix
 * instances, each with an agent following its maillog_file, against the
 * real controller with a local webhook receiver:
 *
 *   mx01 delivers yahoo.test to an smtp-sink that answers 421 4.7.0
 *   [TSS04] ... user complaints: the agent reports a block, the policy
 *   creates an auto route to the healthy relay, the agent applies it and
 *   the deferred mail arrives there; on-call gets the webhook.
 *
 *   mx02 sees the same volume of user-unknown bounces and mailbox-full
 *   deferrals: nothing is failed over. Then one sender jumps from a few
 *   messages to dozens in an interval: exactly one volume event reaches
 *   history, status and the webhook.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "agentrun.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

#define RUNBOOK "https://runbook.example/postroute/blocks"

static struct tl_controller *ctl;
static struct webhook *hook;
static struct pfx_sink *sink_block, *sink_good, *sink_unknown, *sink_full;
static struct pfx *mx1, *mx2;
static struct agentrun *ag1, *ag2;

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static char *
sql(const char *q)
{
	return tl_sql(ctl->conninfo, q);
}

static void
expect_sql(const char *q, const char *want)
{
	tl_expect_sql(ctl->conninfo, q, want);
}

static void
put_relay(const char *name, const struct pfx_sink *s)
{
	char *path = xasprintf("/v1/relays/%s", name);
	char *body = xasprintf("{\"nexthop\": \"%s\"}", s->nexthop);

	api("PUT", path, body);
	free(path), free(body);
}


/* A bounce for no provider: the agent logs "000TAG other bounced" once
 * it has read every line before it (and acted on each). */
static char *
sentinel_line(const char *node, const char *tag)
{
	return xasprintf("2026-11-27T22:30:00+00:00 %s postfix/smtp[9999]: 000%s: "
	    "to=<nobody@example.test>, relay=none, delay=0, delays=0/0/0/0, dsn=5.1.1, "
	    "status=bounced (user unknown)\n", node, tag);
}

/* The same through p's postlogd, into the maillog_file a's agent follows;
 * returns when the agent has read it. */
static void
maillog_sentinel(struct pfx *p, struct agentrun *a, const char *tag)
{
	char *line = sentinel_line("x", tag), *text = strstr(line, "000");
	char *seen = xasprintf("000%s other bounced", tag);

	text[strcspn(text, "\n")] = '\0';
	pfx_postlog(p, "postfix/smtp", text);
	agentrun_await_log(a, seen, 1, 10000);
	free(line), free(seen);
}

static int
group_setup(void **state)
{
	(void)state;
	hook = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\nrunbook_url = %s\n",
	    webhook_url(hook), RUNBOOK);
	ctl = tl_controller_start(ini);
	free(ini);
	sink_block = pfx_sink_start("127.0.1.2", "421 4.7.0 [TSS04] Messages from 127.0.0.1 "
	    "temporarily deferred due to user complaints - 4.16.55.1; see "
	    "https://postmaster.yahooinc.com/error-codes");
	sink_good = pfx_sink_start("127.0.1.3", NULL);
	sink_unknown = pfx_sink_start("127.0.1.4",
	    "550 5.1.1 The email account that you tried to reach does not exist");
	sink_full = pfx_sink_start("127.0.1.5",
	    "452 4.2.2 The email account that you tried to reach is over quota");
	put_relay("r-good", sink_good);
	/* attributed by domain: the sinks are no provider's MX hosts (and
	 * yahoo, from migrate's default catalogue, loses its MX patterns) */
	api("PUT", "/v1/providers/yahoo", "{\"domains\": [\"yahoo.test\"], \"mx_patterns\": []}");
	api("PUT", "/v1/providers/fullmail", "{\"domains\": [\"full.test\"]}");
	mx1 = pfx_start("mx01", "hash", sink_block->nexthop);
	mx2 = pfx_start("mx02", "hash", sink_unknown->nexthop);
	ag1 = agentrun_watching(ctl, "mx01", mx1, "poll_wait = 60s", NULL, NULL);
	ag2 = agentrun_watching(ctl, "mx02", mx2, "poll_wait = 60s", NULL, "volume_interval = 10s\n"
	    "volume_warmup = 0\nvolume_rate_floor = 20\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	assert_int_equal(agentrun_stop(ag1), 0);
	assert_int_equal(agentrun_stop(ag2), 0);
	agentrun_free(ag1), agentrun_free(ag2);
	pfx_stop(mx1), pfx_stop(mx2);
	pfx_sink_stop(sink_block), pfx_sink_stop(sink_good);
	pfx_sink_stop(sink_unknown), pfx_sink_stop(sink_full);
	tl_controller_finish(ctl);
	webhook_stop(hook);
	return 0;
}

static int
first_refusal(void *arg)
{
	(void)arg;
	return pfx_log_count(mx1, "[TSS04]") > 0;
}

static int
hook_says(void *arg)
{
	for (int i = 0; i < webhook_count(hook); i++) {
		char *b = webhook_body(hook, i);
		int yes = b != NULL && strstr(b, arg) != NULL;
		free(b);
		if (yes)
			return 1;
	}
	return 0;
}

/* The webhook message that mentions needle, or fail. */
static char *
hook_find(const char *needle)
{
	if (!tl_wait_for(hook_says, (void *)needle, 10000))
		fail_msg("no webhook message with \"%s\" (%d received)", needle, webhook_count(hook));
	for (int i = 0; i < webhook_count(hook); i++) {
		char *b = webhook_body(hook, i);
		if (b != NULL && strstr(b, needle) != NULL)
			return b;
		free(b);
	}
	return NULL;
}

static void
test_block_reroutes_deferred_mail(void **state)
{
	const int n = 6;

	(void)state;
	for (int i = 0; i < n; i++) {
		char *rcpt = xasprintf("user%d@yahoo.test", i);
		assert_int_equal(pfx_send(mx1, rcpt, "complaints"), 0);
		free(rcpt);
	}
	if (!tl_wait_for(first_refusal, NULL, 15000))
		fail_msg("no refusal logged");
	double t0 = tl_now_s();
	if (!pfx_sink_wait(sink_good, n, 30000))
		fail_msg("%d of %d messages at the healthy relay; agent log:\n%s",
		    pfx_sink_count(sink_good), n, tl_read_file(ag1->log));
	double t1 = tl_now_s();
	print_message("first refusal to all %d messages at the healthy relay: %.2f s\n", n, t1 - t0);

	/* the block, as the agent reported it */
	expect_sql("SELECT node || ' ' || provider || ' ' || class || ' ' || reporter"
	    " FROM blocks WHERE cleared_at IS NULL", "mx01 yahoo reputation mx01");
	expect_sql("SELECT (counts->>'count')::int >= 5 AND jsonb_array_length(samples) > 0"
	    " FROM blocks", "t");
	/* samples carry the reply with the local part masked */
	char *samples = sql("SELECT samples::text FROM blocks");
	assert_non_null(strstr(samples, "[TSS04]"));
	assert_null(strstr(samples, "user0@"));
	free(samples);
	/* the policy's auto route, on mx01 only, through the healthy relay */
	expect_sql("SELECT provider || ' ' || scope || ' ' || relay || ' ' || origin FROM routes",
	    "yahoo mx01 r-good auto");
	char *l = pfx_lookup(mx1, "yahoo.test");
	assert_string_equal(l, sink_good->nexthop);
	free(l);
	assert_int_equal(pfx_deferred(mx1), 0);
	/* mx02 is untouched */
	char *none = pfx_lookup(mx2, "yahoo.test");
	assert_null(none);
	/* on-call is told: node, provider, class, counts, action, runbook */
	char *b = hook_find("yahoo");
	assert_non_null(strstr(b, "mx01"));
	assert_non_null(strstr(b, "reputation"));
	assert_non_null(strstr(b, "r-good"));
	assert_non_null(strstr(b, RUNBOOK));
	free(b);
	/* history: the block and the decision, with the agent as reporter */
	expect_sql("SELECT string_agg(action, ',' ORDER BY id) FROM history"
	    " WHERE action IN ('block.open', 'policy.flip')", "block.open,policy.flip");
}

static int
mx2_classified(void *arg)
{
	(void)arg;
	return agentrun_log_count(ag2, "yahoo bounced class=user_unknown reroutable=no") >= 6 &&
	    agentrun_log_count(ag2, "fullmail deferred class=mailbox_full reroutable=no") >= 6;
}

static void
test_recipient_failures_fail_nothing_over(void **state)
{
	(void)state;
	/* full.test goes through r-full (mailbox full); yahoo.test gets user unknown */
	put_relay("r-full", sink_full);
	api("PUT", "/v1/routes/fullmail", "{\"scope\": \"mx02\", \"relay\": \"r-full\", "
	    "\"reason\": \"test\"}");
	free(pfx_await_lookup(mx2, "full.test", 10000));
	int hooks = webhook_count(hook);
	int decided = agentrun_log_count(ag2, "logwatch: block");
	char *routes = sql("SELECT count(*) FROM routes");
	for (int i = 0; i < 6; i++) {
		char *r1 = xasprintf("gone%d@yahoo.test", i), *r2 = xasprintf("full%d@full.test", i);
		assert_int_equal(pfx_send(mx2, r1, "unknown"), 0);
		assert_int_equal(pfx_send(mx2, r2, "full"), 0);
		free(r1), free(r2);
	}
	if (!tl_wait_for(mx2_classified, NULL, 20000))
		fail_msg("mx02's agent did not classify the failures:\n%s", tl_read_file(ag2->log));
	/* a wrong block is decided on the line that makes it, before the next */
	maillog_sentinel(mx2, ag2, "S0001");
	assert_int_equal(agentrun_log_count(ag2, "logwatch: block"), decided);
	tl_await_sql(ctl->conninfo, "SELECT count(*) FROM notify_outbox WHERE state = 'pending'", "0",
	    10000);   /* whatever was queued for on-call has been posted */
	expect_sql("SELECT count(*) FROM blocks WHERE node = 'mx02'", "0");
	expect_sql("SELECT count(*) FROM routes", routes);
	expect_sql("SELECT count(*) FROM history WHERE action = 'block.open' AND after->>'node' = 'mx02'",
	    "0");
	assert_int_equal(webhook_count(hook), hooks);
	free(routes);
}

static int
surge_recorded(void *arg)
{
	(void)arg;
	char *n = sql("SELECT count(*) FROM history WHERE action = 'volume.surge'");
	int yes = n != NULL && strcmp(n, "0") != 0;
	free(n);
	return yes;
}

static void
test_sender_surge_reported_once(void **state)
{
	(void)state;
	/* sender@origin.test has sent a dozen; now 50 in a burst */
	int bounced = agentrun_log_count(ag2, "yahoo bounced");
	for (int i = 0; i < 50; i++) {
		char *r = xasprintf("burst%d@yahoo.test", i);
		assert_int_equal(pfx_send(mx2, r, "burst"), 0);
		free(r);
	}
	if (!tl_wait_for(surge_recorded, NULL, 20000))
		fail_msg("no volume event:\n%s", tl_read_file(ag2->log));
	/* the burst's every line read: one surge decided, and it was sent */
	agentrun_await_log(ag2, "yahoo bounced", bounced + 50, 20000);
	maillog_sentinel(mx2, ag2, "S0002");
	assert_int_equal(agentrun_log_count(ag2, "logwatch: volume surge of sender@origin.test"), 1);
	expect_sql("SELECT count(*) FROM history WHERE action = 'volume.surge'", "1");
	expect_sql("SELECT (after->>'node') || ' ' || (after->>'sender') FROM history"
	    " WHERE action = 'volume.surge'", "mx02 sender@origin.test");
	expect_sql("SELECT (after->>'rate')::int > 20 AND jsonb_array_length(after->'queue_ids') > 0"
	    " FROM history WHERE action = 'volume.surge'", "t");
	json_t *st = tl_api_ok(ctl, "GET", "/v1/status", ctl->admin, NULL);
	json_t *surges = json_object_get(st, "surges");
	assert_int_equal(json_array_size(surges), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(surges, 0), "sender")),
	    "sender@origin.test");
	json_decref(st);
	char *b = hook_find("sender@origin.test");
	assert_non_null(strstr(b, "mx02"));
	assert_non_null(strstr(b, RUNBOOK));
	free(b);
}

/* Six TSS04 refusals as journalctl -o short-iso prints them, among garbage. */
static void
write_journal(int fd)
{
	static const char fmt[] = "2026-11-27T21:40:%02d+0900 mx03 postfix/smtp[4%03d]: "
	    "%03dA7F01B: to=<user%d@yahoo.test>, relay=mta7.am0.yahoodns.net[67.195.112.72]:25, "
	    "delay=2.4, delays=0.02/0.01/1.2/1.2, dsn=4.7.0, status=deferred (host "
	    "mta7.am0.yahoodns.net[67.195.112.72] said: 421 4.7.0 [TSS04] Messages from "
	    "203.0.113.146 temporarily deferred due to unexpected volume or user complaints - "
	    "4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to RCPT TO "
	    "command))\n";
	char big[70000];

	for (int i = 0; i < 6; i++) {
		char *line = xasprintf(fmt, i, i, i, i);
		assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
		free(line);
		/* garbage between them: binary, an overlong line, a truncated one */
		assert_int_equal(write(fd, "\x01\xff\xfe garbage\n", 12), 12);
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\n';
		assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
		static const char cut[] = "2026-11-27T21:40:00+0900 mx03 postfix/smtp[1]: AB: to=<\n";
		assert_int_equal(write(fd, cut, sizeof(cut) - 1), (ssize_t)sizeof(cut) - 1);
	}
}

static int
mx03_blocked(void *arg)
{
	(void)arg;
	char *n = sql("SELECT count(*) FROM blocks WHERE node = 'mx03' AND provider = 'yahoo'");
	int yes = n != NULL && strcmp(n, "1") == 0;
	free(n);
	return yes;
}

static int
mx03_cleared(void *arg)
{
	(void)arg;
	char *n = sql("SELECT count(*) FROM blocks WHERE node = 'mx03' AND cleared_at IS NOT NULL");
	int yes = n != NULL && strcmp(n, "1") == 0;
	free(n);
	return yes;
}

/* Ten deliveries to yahoo.test through host[ip], 200-209 s after the refusals. */
static void
write_sent(int fd, const char *host, const char *ip)
{
	for (int i = 0; i < 10; i++) {
		char *line = xasprintf("2026-11-27T21:43:%02d+0900 mx03 postfix/smtp[5%03d]: %03dB7F01C: "
		    "to=<ok%d@yahoo.test>, relay=%s[%s]:25, delay=0.4, delays=0.02/0.01/0.2/0.2, "
		    "dsn=2.0.0, status=sent (250 ok dirdel)\n", 20 + i, i, i, i, host, ip);
		assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
		free(line);
	}
}

/* A sentinel line of node written to fd; returns once agent a read it. */
static void
write_sentinel(int fd, struct agentrun *a, const char *node, const char *tag)
{
	char *line = sentinel_line(node, tag), *seen = xasprintf("000%s other bounced", tag);

	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	agentrun_await_log(a, seen, 1, 10000);
	free(line), free(seen);
}

static void
test_standard_input(void **state)
{
	int fd[2];

	(void)state;
	/* file = -: journalctl -f -o short-iso -u postfix | postroute-agent ... */
	struct pfx *mx3 = pfx_start("mx03", "hash", sink_good->nexthop);
	char *tok = tl_token(ctl, "mx03", "agent", "mx03");
	api("PUT", "/v1/nodes/mx03", "{\"role\": \"server\"}");
	struct agentrun *a = agentrun_new("mx03", ctl->url, tok, mx3, "poll_wait = 60s", NULL);
	agentrun_logwatch(a, "file = -\n");
	assert_int_equal(pipe2(fd, O_CLOEXEC), 0);   /* the agent must not hold the write end */
	agentrun_start_input(a, fd[0]);
	close(fd[0]);
	agentrun_await_following(a);
	write_journal(fd[1]);
	if (!tl_wait_for(mx03_blocked, NULL, 10000))
		fail_msg("no block from standard input:\n%s", tl_read_file(a->log));
	expect_sql("SELECT class || ' ' || (counts->>'count') FROM blocks WHERE node = 'mx03'",
	    "reputation 5");
	char *l = pfx_await_lookup(mx3, "yahoo.test", 10000);
	/* r-full carries no auto route yet, r-good one: fewest wins */
	assert_string_equal(l, sink_full->nexthop);
	free(l);
	/* deliveries through the relay the node now routes to say nothing about
	 * the node itself: they do not clear the block */
	write_sent(fd[1], "127.0.1.5", "127.0.1.5");
	write_sentinel(fd[1], a, "mx03", "S0003");   /* on standard input */
	assert_int_equal(agentrun_log_count(a, "logwatch: clear"), 0);
	expect_sql("SELECT count(*) FROM blocks WHERE node = 'mx03' AND cleared_at IS NULL", "1");
	/* successes on the node's own path do */
	write_sent(fd[1], "mta5.am0.yahoodns.net", "67.195.204.72");
	if (!tl_wait_for(mx03_cleared, NULL, 10000))
		fail_msg("no clear:\n%s", tl_read_file(a->log));
	expect_sql("SELECT count(*) FROM history WHERE action = 'block.clear'"
	    " AND object = 'mx03/yahoo'", "1");
	/* the end of the input ends the logwatch, not the agent */
	close(fd[1]);
	agentrun_await_log(a, "end of standard input", 1, 5000);
	assert_int_equal(agentrun_log_count(a, "end of standard input"), 1);
	json_decref(tl_api_ok(ctl, "GET", "/v1/status", ctl->admin, NULL));
	assert_int_equal(agentrun_stop(a), 0);
	agentrun_free(a);
	pfx_stop(mx3);
	free(tok);
}

/* n TSS04 refusals for mx04, numbered from first, appended to path. */
static void
append_refusals(const char *path, int first, int n)
{
	char *old = tl_read_file(path);
	struct strbuf sb = STRBUF_INIT;

	strbuf_append(&sb, old ? old : "");
	for (int i = first; i < first + n; i++)
		strbuf_appendf(&sb, "2026-11-27T22:00:%02d+00:00 mx04 postfix/smtp[7%03d]: %03dC7F01D: "
		    "to=<r%d@yahoo.test>, relay=mta6.am0.yahoodns.net[67.195.204.73]:25, delay=1, "
		    "delays=0/0/0.5/0.5, dsn=4.7.0, status=deferred (host mta6.am0.yahoodns.net"
		    "[67.195.204.73] said: 421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily "
		    "deferred due to user complaints (in reply to MAIL FROM command))\n", i, i, i, i);
	tl_write_file(path, strbuf_str(&sb));
	strbuf_clear(&sb);
	free(old);
}

/* A sentinel line appended to path; returns once the agent read it. */
static void
file_sentinel(const char *path, struct agentrun *a, const char *tag)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	write_sentinel(fd, a, "mx04", tag);
	close(fd);
}

static void
test_restart_resumes_at_saved_offset(void **state)
{
	(void)state;
	struct pfx *mx4 = pfx_start("mx04", "hash", sink_good->nexthop);
	char *tok = tl_token(ctl, "mx04", "agent", "mx04");
	char *dir = tl_mkdtemp("log"), *log = xasprintf("%s/mail.log", dir);
	api("PUT", "/v1/nodes/mx04", "{\"role\": \"server\"}");
	tl_write_file(log, "");
	struct agentrun *a = agentrun_new("mx04", ctl->url, tok, mx4, "poll_wait = 60s", NULL);
	char *lw = xasprintf("file = %s\n", log);
	agentrun_logwatch(a, lw);
	agentrun_start(a);
	agentrun_await_following(a);
	/* four refusals: one short of a block */
	append_refusals(log, 0, 4);
	agentrun_await_log(a, "C7F01D yahoo deferred", 4, 5000);
	assert_int_equal(agentrun_log_count(a, "C7F01D yahoo deferred"), 4);
	assert_int_equal(agentrun_stop(a), 0);
	/* one more while it is down: after the restart only that one is read */
	append_refusals(log, 4, 1);
	agentrun_start(a);
	file_sentinel(log, a, "S0004");   /* read after every line it reads again */
	assert_int_equal(agentrun_log_count(a, "C7F01D yahoo deferred"), 5);
	expect_sql("SELECT count(*) FROM blocks WHERE node = 'mx04'", "0");
	assert_int_equal(agentrun_stop(a), 0);
	/* five while it is down, across a rename rotation: all read, a block */
	append_refusals(log, 5, 2);
	char *rotated = xasprintf("%s.1", log);
	assert_int_equal(rename(log, rotated), 0);
	tl_write_file(log, "");
	append_refusals(log, 7, 3);
	agentrun_start(a);
	file_sentinel(log, a, "S0005");
	assert_int_equal(agentrun_log_count(a, "C7F01D yahoo deferred"), 10);
	tl_await_sql(ctl->conninfo, "SELECT count(*) FROM blocks WHERE node = 'mx04'", "1", 10000);
	expect_sql("SELECT counts->>'count' FROM blocks WHERE node = 'mx04'", "5");
	assert_int_equal(agentrun_stop(a), 0);
	agentrun_free(a);
	pfx_stop(mx4);
	free(tok), free(dir), free(log), free(lw), free(rotated);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_reroutes_deferred_mail),
		cmocka_unit_test(test_recipient_failures_fail_nothing_over),
		cmocka_unit_test(test_sender_surge_reported_once),
		cmocka_unit_test(test_standard_input),
		cmocka_unit_test(test_restart_resumes_at_saved_offset),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
