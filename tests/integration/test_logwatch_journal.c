/*
 * test_logwatch_journal.c: the agent with [logwatch] source = journal, on
 * real parts: the real controller and agent, a private Postfix instance
 * for the map, and a REAL journal.
 *
 * Route: a private systemd-journald (tests/lib/journald.h: the real daemon
 * in a mount namespace of its own, its files in a temp directory that the
 * agent reads with journal_directory, through the same sd_journal code as
 * the system journal), written by a process in the control group
 * postroute-test.slice/postfix@-.service, so journald stamps
 * _SYSTEMD_UNIT=postfix@-.service on the entries as it does for Postfix
 * on Debian 12; the agent runs with the default journal_units.
 *
 *   - TSS04 refusals written into the journal while the agent runs: the
 *     controller records the block; the same refusals for another
 *     provider sent with SYSLOG_IDENTIFIER=postfix/smtp by a process of
 *     no Postfix unit (a forgery any local user could make) count for
 *     nothing;
 *   - restart: entries written while the agent is down are read once
 *     after it starts again, none of the earlier ones a second time
 *     (state_dir/logwatch.cursor), also with privilege separation
 *     ([agent] user = nobody: the cursor is in state_dir/user);
 *   - a journal_directory that does not exist, or that the user cannot
 *     read: the agent does not start and says why.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "journald.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct journald *jd;
static struct pfx_sink *sink_good;

static void
api(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

static void
expect_sql(const char *q, const char *want)
{
	tl_expect_sql(ctl->conninfo, q, want);
}

/* n TSS04 refusals to yahoo.test, queue ids NNN<tag>; from the Postfix
 * unit, or (forged) from this process, which is in none. */
static void
refusals(const char *tag, const char *domain, int first, int n, int forged)
{
	for (int i = first; i < first + n; i++) {
		char *m = xasprintf("%03d%s: to=<r%d@%s>, relay=mta6.am0.yahoodns.net"
		    "[67.195.204.73]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.0, status=deferred "
		    "(host mta6.am0.yahoodns.net[67.195.204.73] said: 421 4.7.0 [TSS04] Messages "
		    "from 203.0.113.9 temporarily deferred due to user complaints (in reply to MAIL "
		    "FROM command))", i, tag, i, domain);
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", 7000 + i);
		if (forged)
			journald_send_self(jd, "postfix/smtp", pid, m, strlen(m));
		else
			journald_send(jd, "postfix/smtp", pid, m, strlen(m));
		free(m);
	}
}

/* A bounce with queue id 000<tag>: once the agent logged it, it has read
 * everything written before it. */
static void
sentinel(const char *tag)
{
	char *m = xasprintf("000%s: to=<nobody@example.test>, relay=none, delay=0, "
	    "delays=0/0/0/0, dsn=5.1.1, status=bounced (user unknown)", tag);
	journald_send(jd, "postfix/smtp", "9999", m, strlen(m));
	free(m);
}

static int
following(void *arg)
{
	return agentrun_log_count(arg, "logwatch: following journal in") > 0 &&
	    agentrun_log_count(arg, "logwatch: catalogue of") > 0;
}

static struct agentrun *
journal_agent(const char *node, struct pfx *p, const char *agent_extra)
{
	char *path = xasprintf("/v1/nodes/%s", node);
	char *tok = tl_token(ctl, node, "agent", node);
	char *lw = xasprintf("source = journal\njournal_directory = %s\n", jd->directory);
	struct agentrun *a;

	api("PUT", path, "{\"role\": \"server\"}");
	a = agentrun_new(node, ctl->url, tok, p, agent_extra, NULL);
	agentrun_logwatch(a, lw);
	free(path), free(tok), free(lw);
	return a;
}

static void
start_following(struct agentrun *a)
{
	int before = agentrun_log_count(a, "logwatch: following journal in");

	agentrun_start(a);
	agentrun_await_log(a, "logwatch: following journal in", before + 1, 15000);
	if (!tl_wait_for(following, a, 10000))
		fail_msg("logwatch did not start:\n%s", tl_read_file(a->log));
}

static void
test_block_from_the_journal(void **state)
{
	(void)state;
	struct pfx *mx = pfx_start("mx05", "hash", sink_good->nexthop);
	struct agentrun *a = journal_agent("mx05", mx, "poll_wait = 60s");

	/* written before the first start: old news, not read */
	refusals("A7F01A", "yahoo.test", 0, 6, 0);
	start_following(a);
	sentinel("B0001");
	agentrun_await_log(a, "000B0001 other bounced", 1, 15000);
	assert_int_equal(agentrun_log_count(a, "A7F01A yahoo deferred"), 0);
	/* forged by a process of no Postfix unit: ignored */
	refusals("F7F01F", "gmail.com", 0, 12, 1);
	/* Postfix's own, while the agent runs: a block */
	refusals("A7F01B", "yahoo.test", 0, 6, 0);
	sentinel("B0002");
	agentrun_await_log(a, "000B0002 other bounced", 1, 15000);
	assert_int_equal(agentrun_log_count(a, "A7F01B yahoo deferred"), 6);
	assert_int_equal(agentrun_log_count(a, "F7F01F"), 0);
	assert_int_equal(journald_count(jd, "F7F01F"), 12);   /* they are in the journal */
	tl_await_sql(ctl->conninfo, "SELECT count(*) FROM blocks WHERE node = 'mx05'", "1", 10000);
	expect_sql("SELECT provider || ' ' || class || ' ' || (counts->>'count') FROM blocks "
	    "WHERE node = 'mx05'", "yahoo reputation 5");
	expect_sql("SELECT count(*) FROM history WHERE action = 'block.open' AND object = 'mx05/yahoo'",
	    "1");
	assert_int_equal(agentrun_stop(a), 0);
	agentrun_free(a);
	pfx_stop(mx);
}

/* Stop, write, start: what was written meanwhile is read once. */
static void
restart_round(struct agentrun *a, const char *cursor_file)
{
	refusals("C7F01C", "yahoo.test", 0, 2, 0);
	sentinel("C0001");
	start_following(a);
	agentrun_await_log(a, "000C0001 other bounced", 1, 15000);
	assert_int_equal(agentrun_log_count(a, "C7F01C yahoo deferred"), 2);
	assert_int_equal(agentrun_stop(a), 0);
	char *c1 = tl_read_file(cursor_file);
	assert_non_null(c1);
	assert_non_null(strstr(c1, "s="));
	/* three while it is down */
	refusals("C7F01D", "yahoo.test", 0, 3, 0);
	sentinel("C0002");
	start_following(a);
	agentrun_await_log(a, "000C0002 other bounced", 1, 15000);
	assert_int_equal(agentrun_log_count(a, "C7F01D yahoo deferred"), 3);
	assert_int_equal(agentrun_log_count(a, "C7F01C yahoo deferred"), 2);
	assert_int_equal(agentrun_log_count(a, "000C0001 other bounced"), 1);
	assert_int_equal(agentrun_log_count(a, "no longer in"), 0);
	assert_int_equal(agentrun_stop(a), 0);
	char *c2 = tl_read_file(cursor_file);
	assert_non_null(c2);
	assert_string_not_equal(c1, c2);
	free(c1), free(c2);
}

static void
test_restart_resumes_from_cursor(void **state)
{
	(void)state;
	struct pfx *mx = pfx_start("mx06", "hash", sink_good->nexthop);
	struct agentrun *a = journal_agent("mx06", mx, "poll_wait = 60s");
	char *cursor = xasprintf("%s/logwatch.cursor", a->state_dir);

	/* a first start saves where it began: what comes before the next is read */
	start_following(a);
	assert_int_equal(agentrun_stop(a), 0);
	restart_round(a, cursor);
	agentrun_free(a);
	pfx_stop(mx);
	free(cursor);
}

/* Journal files readable by nobody, the way group systemd-journal makes them. */
static void
open_journal_to_all(const char *dir)
{
	char *argv[] = { "/bin/chmod", "-R", "a+rX", (char *)dir, NULL };

	assert_int_equal(tl_run(argv, NULL, NULL, 10), 0);
}

static void
test_restart_with_privsep(void **state)
{
	(void)state;
	struct pfx *mx = pfx_start("mx07", "hash", sink_good->nexthop);
	struct agentrun *a = journal_agent("mx07", mx, "poll_wait = 60s\nuser = nobody");
	char *cursor = xasprintf("%s/user/logwatch.cursor", a->state_dir);
	struct stat st;

	open_journal_to_all(jd->directory);
	start_following(a);
	assert_int_equal(agentrun_stop(a), 0);
	restart_round(a, cursor);
	/* written by the unprivileged side, in its own directory only */
	assert_int_equal(stat(cursor, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	char *root_side = xasprintf("%s/logwatch.cursor", a->state_dir);
	assert_int_equal(access(root_side, F_OK), -1);
	agentrun_free(a);
	pfx_stop(mx);
	free(cursor), free(root_side);
}

/* The agent's exit status and stderr with this journal_directory. */
static int
run_with_directory(const char *node, struct pfx *mx, const char *dir, const char *agent_extra,
    char **err)
{
	struct agentrun *a = journal_agent(node, mx, agent_extra);
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *conf = tl_read_file(a->conf), *jdl = xasprintf("journal_directory = %s\n", jd->directory);
	char *at = strstr(conf, jdl);
	assert_non_null(at);
	*at = '\0';
	char *text = xasprintf("%sjournal_directory = %s\n%s", conf, dir, at + strlen(jdl));
	tl_write_file(a->conf, text);
	char *argv[] = { bin, "-c", a->conf, NULL };
	int rc = tl_run(argv, NULL, err, 20);
	agentrun_free(a);
	free(bin), free(conf), free(jdl), free(text);
	return rc;
}

static void
test_unreadable_journal(void **state)
{
	(void)state;
	struct pfx *mx = pfx_start("mx08", "hash", sink_good->nexthop);
	char *dir = tl_mkdtemp("nojournal"), *missing = xasprintf("%s/none", dir), *err = NULL;
	char *closed = xasprintf("%s/closed", dir);

	assert_int_equal(run_with_directory("mx08", mx, missing, "poll_wait = 60s", &err), 1);
	if (strstr(err, "logwatch: journal directory") == NULL || strstr(err, missing) == NULL ||
	    strstr(err, "No such file or directory") == NULL)
		fail_msg("%s", err);
	free(err);
	/* a directory nobody may read, with [agent] user = nobody */
	assert_int_equal(mkdir(closed, 0700), 0);
	assert_int_equal(run_with_directory("mx09", mx, closed, "poll_wait = 60s\nuser = nobody", &err), 1);
	if (strstr(err, closed) == NULL || strstr(err, "cannot read it: Permission denied") == NULL)
		fail_msg("%s", err);
	free(err);
	pfx_stop(mx);
	free(dir), free(missing), free(closed);
}

static int
group_setup(void **state)
{
	(void)state;
	jd = journald_start("postfix@-.service");
	ctl = tl_controller_start("");
	sink_good = pfx_sink_start("127.0.1.3", NULL);
	char *body = xasprintf("{\"nexthop\": \"%s\"}", sink_good->nexthop);
	api("PUT", "/v1/relays/r-good", body);
	free(body);
	/* attributed by domain, as in test_logwatch */
	api("PUT", "/v1/providers/yahoo", "{\"domains\": [\"yahoo.test\"], \"mx_patterns\": []}");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	pfx_sink_stop(sink_good);
	tl_controller_finish(ctl);
	journald_stop(jd);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_from_the_journal),
		cmocka_unit_test(test_restart_resumes_from_cursor),
		cmocka_unit_test(test_restart_with_privsep),
		cmocka_unit_test(test_unreadable_journal),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
