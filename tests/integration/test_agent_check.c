/*
 * test_agent_check.c: `postroute-agent check` line by line, each failure
 * provoked for real: a private Postfix instance with SMTP AUTH and a hold
 * map (tests/lib/pfx.h), its main.cf edited with postconf -e, the real
 * controller over http and over https (tests/lib/tlspki.h), token files
 * missing, too open, wrong or of another node, a log file missing,
 * unreadable or stale, and command directories without postmap or with
 * a postmap or postqueue that fails. Every case asserts the line a user
 * sees and the exit status; the all-pass case exits 0 and leaves the
 * map directory as it was.
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "journald.h"
#include "pfx.h"
#include "testlib.h"
#include "tlspki.h"
#include "xalloc.h"

static struct tl_controller *ctl, *tls_ctl;
static struct tl_pki *pki;
static struct pfx *mx;
static char *tok, *tok2, *tls_tok;

struct run {
	int rc;
	char *out;
};

static void
api(struct tl_controller *c, const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(c, method, path, c->admin, body));
}

/* Relays, nodes mx01 and mx02, google routed through relay-a for every
 * node and through relay-ip2 (a service master.cf lacks) for mx02. */
static void
fleet(struct tl_controller *c)
{
	api(c, "PUT", "/v1/relays/relay-a", "{\"nexthop\": \"smtp:[127.0.0.2]:2525\"}");
	api(c, "PUT", "/v1/relays/relay-ip2", "{\"nexthop\": \"smtp_ip2:[127.0.0.3]:2525\"}");
	api(c, "PUT", "/v1/nodes/mx01", "{\"role\": \"server\"}");
	api(c, "PUT", "/v1/nodes/mx02", "{\"role\": \"server\"}");
	api(c, "PUT", "/v1/routes/google", "{\"relay\": \"relay-a\", \"reason\": \"test\"}");
	api(c, "PUT", "/v1/routes/google", "{\"scope\": \"mx02\", \"relay\": \"relay-ip2\","
	    " \"reason\": \"test\"}");
}

static int
setup(void **state)
{
	(void)state;
	pki = tl_pki_new();
	tl_tls_client(pki->ca, NULL, NULL);
	char *server = xasprintf("tls_cert = %s\ntls_key = %s\n", pki->server_cert, pki->server_key);
	tls_ctl = tl_controller_start_https(server, NULL);
	free(server);
	fleet(tls_ctl);
	tls_tok = tl_token(tls_ctl, "mx01", "agent", "mx01");
	tl_tls_client(NULL, NULL, NULL);
	ctl = tl_controller_start(NULL);
	fleet(ctl);
	tok = tl_token(ctl, "mx01", "agent", "mx01");
	tok2 = tl_token(ctl, "mx02", "agent", "mx02");
	mx = pfx_start_sasl("mx01", "hash", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pfx_stop(mx);
	tl_controller_free(ctl);
	tl_controller_free(tls_ctl);
	tl_pki_free(pki);
	free(tok), free(tok2), free(tls_tok);
	return 0;
}

static void
set_mtime_ago(const char *path, long seconds)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= seconds;
	tv[1] = tv[0];
	if (utimes(path, tv) != 0)
		fail_msg("utimes %s: %s", path, strerror(errno));
}

/* One main.cf parameter set with postconf -e, main.cf's mtime put 10 s
 * back (a main.cf written within a second stalls Postfix commands). */
static void
main_cf(const char *setting)
{
	char *argv[] = { "/usr/sbin/postconf", "-c", mx->conf_dir, "-e", (char *)setting, NULL };
	char *path = xasprintf("%s/main.cf", mx->conf_dir);
	char *err = NULL;

	if (tl_run(argv, NULL, &err, 30) != 0)
		fail_msg("postconf -e %s: %s", setting, err);
	set_mtime_ago(path, 10);
	free(path), free(err);
}

/* Before each test: main.cf names both maps as the agent wants. */
static int
fresh_main_cf(void **state)
{
	(void)state;
	char *t = xasprintf("transport_maps = hash:%s", mx->transport);
	char *h = xasprintf("smtpd_sender_restrictions = check_sasl_access hash:%s", mx->hold);
	main_cf(t);
	main_cf(h);
	free(t), free(h);
	return 0;
}

/* An agent configuration for node on mx: urls, token, extra lines, and
 * the maillog as its log file. */
static struct agentrun *
agent(const char *node, const char *urls, const char *token, const char *agent_extra,
    const char *postfix_extra)
{
	char *pf = xasprintf("hold_map = %s\n%s", mx->hold, postfix_extra ? postfix_extra : "");
	struct agentrun *a = agentrun_new(node, urls, token, mx, agent_extra, pf);
	char *lw = xasprintf("file = %s", mx->maillog);

	agentrun_logwatch(a, lw);
	free(pf), free(lw);
	return a;
}

/* a's configuration again, on mx01 of ctl, with agent_extra and these
 * [logwatch] lines. */
static void
log_config(struct agentrun *a, const char *agent_extra, const char *logwatch)
{
	agentrun_config(a, ctl->url, tok, mx, agent_extra, NULL);
	agentrun_logwatch(a, logwatch);
}

static void
check_run(const struct agentrun *a, const char *arg1, const char *arg2, struct run *r)
{
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "check", "-c", a->conf, (char *)arg1, (char *)arg2, NULL };
	char *err = NULL;

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->rc = tl_run(argv, &r->out, &err, 120);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the output, for the log of a failed run (print_message truncates) */
	printf("--- check%s%s%s%s: exit %d in %ld ms\n%s", arg1 ? " " : "", arg1 ? arg1 : "",
	    arg2 ? " " : "", arg2 ? arg2 : "", r->rc, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000), r->out);
	if (err != NULL && err[0] != '\0')
		printf("stderr: %s\n", err);
	fflush(stdout);   /* before cmocka's own lines */
	free(err), free(bin);
}

/* The line "STATUS NAME: ..." (the first such), or NULL. */
static char *
line_of(const struct run *r, const char *status, const char *name)
{
	char *head = xasprintf("%-4s %s: ", status, name);
	char *found = NULL;

	for (const char *p = r->out; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, head, strlen(head)) == 0) {
			found = xstrndup(p, strcspn(p, "\n"));
			break;
		}
	}
	free(head);
	return found;
}

/* Fails unless there is a "STATUS NAME:" line containing needle. */
static void
expect_line(const struct run *r, const char *status, const char *name, const char *needle)
{
	char *l = line_of(r, status, name);

	if (l == NULL)
		fail_msg("no \"%s %s:\" line in:\n%s", status, name, r->out);
	if (needle != NULL && strstr(l, needle) == NULL)
		fail_msg("\"%s\" not in the line:\n%s\nof:\n%s", needle, l, r->out);
	free(l);
}

static void
expect_exit(const struct run *r, int rc)
{
	if (r->rc != rc)
		fail_msg("check exited %d, not %d:\n%s", r->rc, rc, r->out);
}

/* check with no arguments, which must exit rc. */
static void
check(const struct agentrun *a, int rc, struct run *r)
{
	check_run(a, NULL, NULL, r);
	expect_exit(r, rc);
}

static char *
ls(const char *dir)
{
	char *argv[] = { "/bin/ls", "-A", (char *)dir, NULL };
	char *out = NULL;

	tl_run(argv, &out, NULL, 10);
	return out;
}

/* Everything in order: exit 0, one ok line per check, nothing left. */
static void
test_all_pass(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	char *before = ls(mx->map_dir), *after;
	struct run r;

	(void)state;
	check(a, 0, &r);
	expect_line(&r, "ok", "config", a->conf);
	expect_line(&r, "ok", "controller", "reachable, http to loopback, no TLS");
	expect_line(&r, "ok", "token", "private (mode 0600, owner root), accepted by");
	expect_line(&r, "ok", "transport_maps", "main.cf names the agent's map hash:");
	expect_line(&r, "ok", "smtpd_sender_restrictions", "names the hold map check_sasl_access hash:");
	expect_line(&r, "ok", "master.cf", "routes through: smtp");
	expect_line(&r, "ok", "log", "readable by root, last written");
	expect_line(&r, "ok", "postmap", "a scratch hash map was built, read back and installed");
	expect_line(&r, "ok", "postqueue", "postqueue -p lists the queue");
	if (strstr(r.out, "check: 9 ok, 0 failed, 0 skipped\n") == NULL)
		fail_msg("summary line missing:\n%s", r.out);
	after = ls(mx->map_dir);
	assert_string_equal(after, before);   /* the scratch map is gone */
	free(before), free(after), free(r.out);
	agentrun_free(a);
}

static void
test_bad_config(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, "colour = blue", NULL);
	struct run r;

	(void)state;
	check(a, 1, &r);
	expect_line(&r, "FAIL", "config", "[agent] colour: unknown key");
	expect_line(&r, "skip", "token", "needs a configuration that loads");
	expect_line(&r, "skip", "postmap", "needs a configuration that loads");
	free(r.out);
	agentrun_free(a);
	/* bad usage */
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "check", "--log-age", "soon", NULL };
	assert_int_equal(tl_run(argv, NULL, NULL, 10), 2);
	free(bin);
}

static void
test_token_missing(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	char *path = xasprintf("%s/token", a->dir);
	struct run r;

	(void)state;
	unlink(path);
	check(a, 1, &r);
	expect_line(&r, "ok", "config", NULL);   /* the token is a line of its own */
	expect_line(&r, "FAIL", "token", "No such file or directory; write this node's agent "
	    "token there, mode 0600 (postrouted token create --name mx01 --role agent --node mx01)");
	expect_line(&r, "skip", "master.cf", "the token file was refused");
	free(r.out), free(path);
	agentrun_free(a);
}

static void
test_token_too_open(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	char *path = xasprintf("%s/token", a->dir);
	char *want = xasprintf("Permissions 0644 for '%s' are too open", path);
	struct run r;

	(void)state;
	assert_int_equal(chmod(path, 0644), 0);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "token", want);
	expect_line(&r, "FAIL", "token", "chmod 600");
	free(r.out), free(path), free(want);
	agentrun_free(a);
}

static void
test_token_refused(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, "prt_not_a_token_of_this_controller", NULL, NULL);
	struct run r;

	(void)state;
	check(a, 1, &r);
	expect_line(&r, "ok", "controller", NULL);
	expect_line(&r, "FAIL", "token", "the controller refused it (");
	expect_line(&r, "FAIL", "token", "HTTP 401");
	expect_line(&r, "FAIL", "token", "the token is unknown or revoked");
	free(r.out);
	/* an agent token of another node */
	agentrun_config(a, ctl->url, tok2, mx, NULL, NULL);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "token", "HTTP 403");
	expect_line(&r, "FAIL", "token", "it is not an agent token of this node");
	free(r.out);
	agentrun_free(a);
}

static void
test_controller_down(void **state)
{
	char *down = xasprintf("http://127.0.0.1:%d", tl_free_port());
	struct agentrun *a = agent("mx01", down, tok, NULL, NULL);
	char *both = xasprintf("%s %s", down, ctl->url);
	struct run r;

	(void)state;
	check(a, 1, &r);
	expect_line(&r, "FAIL", "controller", "Couldn't connect to server");
	expect_line(&r, "FAIL", "controller", "is postrouted running there");
	expect_line(&r, "skip", "token", "no controller answered to confirm it");
	expect_line(&r, "skip", "master.cf", "no controller answered");
	expect_line(&r, "ok", "transport_maps", NULL);   /* the host's own checks still run */
	free(r.out);
	/* one down, one up: a line each, the token confirmed by the second */
	agentrun_config(a, both, tok, mx, NULL, NULL);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "controller", down);
	char *up = xasprintf("%s: reachable", ctl->url);
	expect_line(&r, "ok", "controller", up);
	char *acc = xasprintf("accepted by %s for node mx01", ctl->url);
	expect_line(&r, "ok", "token", acc);
	free(r.out), free(up), free(acc), free(down), free(both);
	agentrun_free(a);
}

static void
test_tls(void **state)
{
	char *wrong = xasprintf("ca_file = %s", pki->other_ca);
	char *right = xasprintf("ca_file = %s", pki->ca);
	struct agentrun *a = agent("mx01", tls_ctl->url, tls_tok, wrong, NULL);
	struct run r;

	(void)state;
	check(a, 1, &r);
	expect_line(&r, "FAIL", "controller", "check ca_file: it must hold the CA that signed");
	expect_line(&r, "skip", "token", NULL);
	free(r.out);
	agentrun_config(a, tls_ctl->url, tls_tok, mx, right, NULL);
	check_run(a, NULL, NULL, &r);
	char *want = xasprintf("reachable, TLS verified with the CA of ca_file %s", pki->ca);
	expect_line(&r, "ok", "controller", want);
	expect_line(&r, "ok", "token", NULL);
	free(r.out), free(want), free(wrong), free(right);
	agentrun_free(a);
}

static void
test_transport_maps(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	struct run r;
	char *other = xasprintf("%s/other", mx->map_dir);
	char *set;

	(void)state;
	/* not set at all */
	main_cf("transport_maps =");
	check(a, 1, &r);
	expect_line(&r, "FAIL", "transport_maps", "main.cf does not set transport_maps, so Postfix "
	    "does not read the agent's map: add \"transport_maps = hash:");
	expect_line(&r, "ok", "postmap", NULL);
	free(r.out);
	/* another map first */
	set = xasprintf("transport_maps = hash:%s, hash:%s", other, mx->transport);
	main_cf(set);
	check(a, 1, &r);
	char *want = xasprintf("main.cf names hash:%s first; the agent's map hash:%s must come "
	    "first: \"transport_maps = hash:%s, hash:%s\", then postfix reload", other,
	    mx->transport, mx->transport, other);
	expect_line(&r, "FAIL", "transport_maps", want);
	free(r.out), free(set), free(want);
	/* only another map */
	set = xasprintf("transport_maps = hash:%s", other);
	main_cf(set);
	check_run(a, NULL, NULL, &r);
	expect_line(&r, "FAIL", "transport_maps", "but not the agent's map");
	free(r.out), free(set);
	/* the agent's file with another type */
	set = xasprintf("transport_maps = cdb:%s", mx->transport);
	main_cf(set);
	check(a, 1, &r);
	want = xasprintf("main.cf names cdb:%s, but [postfix] map_type is hash", mx->transport);
	expect_line(&r, "FAIL", "transport_maps", want);
	free(r.out), free(set), free(want), free(other);
	/* transport_file reached through a link to main.cf's directory: the same file */
	set = xasprintf("transport_maps = hash:%s", mx->transport);
	main_cf(set);
	struct pfx via = *mx;
	char *link = xasprintf("%s/maps", a->dir);
	assert_int_equal(symlink(mx->map_dir, link), 0);
	via.transport = xasprintf("%s/transport", link);
	agentrun_config(a, ctl->url, tok, &via, NULL, NULL);
	check(a, 0, &r);
	want = xasprintf("main.cf names the agent's map hash:%s first", mx->transport);
	expect_line(&r, "ok", "transport_maps", want);
	free(r.out), free(set), free(want), free(link), free(via.transport);
	agentrun_free(a);
}

static void
test_hold_map(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	struct run r;

	(void)state;
	main_cf("smtpd_sender_restrictions = permit_mynetworks");
	check(a, 1, &r);
	expect_line(&r, "FAIL", "smtpd_sender_restrictions", "main.cf does not name the hold map "
	    "hash:");
	expect_line(&r, "FAIL", "smtpd_sender_restrictions", "so a held sender's mail is delivered");
	expect_line(&r, "ok", "transport_maps", NULL);
	free(r.out);
	char *set = xasprintf("smtpd_sender_restrictions = permit_sasl_authenticated, "
	    "check_sasl_access hash:%s", mx->hold);
	main_cf(set);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "smtpd_sender_restrictions", "main.cf has permit_sasl_authenticated "
	    "before the hold map");
	free(r.out), free(set);
	/* no hold_map: not checked */
	agentrun_config(a, ctl->url, tok, mx, NULL, NULL);
	check(a, 0, &r);
	expect_line(&r, "skip", "smtpd_sender_restrictions", "[postfix] hold_map is not set");
	free(r.out);
	agentrun_free(a);
}

/* mx02's feed routes google through smtp_ip2, which mx's master.cf lacks. */
static void
test_service_missing(void **state)
{
	struct agentrun *a = agent("mx02", ctl->url, tok2, NULL, NULL);
	struct run r;

	(void)state;
	check(a, 1, &r);
	expect_line(&r, "FAIL", "master.cf", "routes through services that");
	expect_line(&r, "FAIL", "master.cf", "master.cf lacks: smtp_ip2 (gmail.com)");
	expect_line(&r, "ok", "token", "for node mx02");
	free(r.out);
	agentrun_free(a);
}

static void
test_log(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	char *missing = xasprintf("%s/nope.log", a->dir), *old = xasprintf("%s/old.log", a->dir);
	char *lw = xasprintf("file = %s", missing);
	struct run r;

	(void)state;
	/* missing: main.cf's maillog_file is named */
	log_config(a, NULL, lw);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "log", "nope.log: No such file or directory: set [logwatch] file to "
	    "the file Postfix logs to");
	char *hint = xasprintf("(main.cf's maillog_file, %s)", mx->maillog);
	expect_line(&r, "FAIL", "log", hint);
	free(r.out), free(lw), free(hint);
	/* stale: older than --log-age */
	tl_write_file(old, "Dec  1 10:00:00 mx01 postfix/qmgr[1]: ABC: removed\n");
	set_mtime_ago(old, 3 * 3600);
	lw = xasprintf("file = %s", old);
	log_config(a, NULL, lw);
	check_run(a, "--log-age", "1h", &r);
	expect_exit(&r, 1);
	expect_line(&r, "FAIL", "log", "old.log: last written 3 h ago, more than 60 min (--log-age): "
	    "Postfix does not log there now");
	free(r.out);
	check_run(a, NULL, NULL, &r);   /* 24 h by default */
	expect_exit(&r, 0);
	expect_line(&r, "ok", "log", "last written 3 h ago");
	free(r.out);
	/* unreadable by the agent's user (root can read it) */
	chmod(old, 0600);
	log_config(a, "user = nobody", lw);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "log", "old.log: not readable by nobody (Permission denied): give "
	    "nobody read access");
	expect_line(&r, "ok", "postmap", "as root (the helper of user nobody)");
	free(r.out);
	chmod(old, 0644);
	check_run(a, NULL, NULL, &r);
	expect_line(&r, "ok", "log", "readable by nobody");
	free(r.out);
	/* no log detector: skipped */
	agentrun_config(a, ctl->url, tok, mx, NULL, NULL);
	check_run(a, NULL, NULL, &r);
	expect_line(&r, "skip", "log", "[logwatch] file is not set");
	free(r.out), free(lw), free(missing), free(old);
	agentrun_free(a);
}

static int
journal_has_entry(void *arg)
{
	return journald_count(arg, "check-journal-probe") > 0;
}

/* source = journal, on a private journald (tests/lib/journald.h): no entry
 * of the units yet, an entry, and a journal the agent's user cannot read. */
static void
test_log_journal(void **state)
{
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, NULL);
	struct journald *jd = journald_start("postfix@-.service");
	char *lw = xasprintf("source = journal\njournal_directory = %s", jd->directory);
	const char *msg = "check-journal-probe: statistics: max connection rate 1/60s";
	struct run r;

	(void)state;
	log_config(a, NULL, lw);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "log", "has no entry of postfix@-.service postfix.service: Postfix "
	    "does not log there under these units");
	free(r.out);
	journald_send(jd, "postfix/anvil", "42", msg, strlen(msg));
	assert_true(tl_wait_for(journal_has_entry, jd, 10000));
	check(a, 0, &r);
	char *ok = xasprintf("journal: %s: readable by root, newest entry of", jd->directory);
	expect_line(&r, "ok", "log", ok);
	free(r.out), free(ok);
	/* the agent's user may not read the journal's directory */
	assert_int_equal(chmod(jd->directory, 0700), 0);
	log_config(a, "user = nobody", lw);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "log", "not readable by nobody");
	expect_line(&r, "FAIL", "log", "adduser nobody systemd-journal");
	free(r.out), free(lw);
	journald_stop(jd);
	agentrun_free(a);
}

static void
test_postmap_postqueue(void **state)
{
	char *none = agentrun_commands(NULL, NULL);
	char *bad = agentrun_commands("#!/bin/sh\necho 'postmap: fatal: cannot open map' >&2\nexit 1\n",
	    "#!/bin/sh\necho 'postqueue: fatal: Queue report unavailable' >&2\nexit 75\n");
	char *extra = xasprintf("command_directory = %s", none);
	struct agentrun *a = agent("mx01", ctl->url, tok, NULL, extra);
	char *before = ls(mx->map_dir), *after;
	struct run r;

	(void)state;
	check(a, 1, &r);
	expect_line(&r, "FAIL", "postmap", "postmap: cannot execute: No such file or directory; set "
	    "[postfix] command_directory to the directory of postmap");
	expect_line(&r, "ok", "transport_maps", NULL);   /* postconf is there */
	expect_line(&r, "ok", "postqueue", NULL);
	free(r.out), free(extra);
	extra = xasprintf("command_directory = %s", bad);
	agentrun_free(a);
	a = agent("mx01", ctl->url, tok, NULL, extra);
	check(a, 1, &r);
	expect_line(&r, "FAIL", "postmap", "failed at postmap: postmap hash:");
	expect_line(&r, "FAIL", "postmap", "exit 1: postmap: fatal: cannot open map");
	expect_line(&r, "FAIL", "postqueue", "postqueue -p: exit 75: postqueue: fatal: Queue report "
	    "unavailable");
	after = ls(mx->map_dir);
	assert_string_equal(after, before);
	free(r.out), free(extra), free(none), free(bad), free(before), free(after);
	agentrun_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_all_pass, fresh_main_cf),
		cmocka_unit_test_setup(test_bad_config, fresh_main_cf),
		cmocka_unit_test_setup(test_token_missing, fresh_main_cf),
		cmocka_unit_test_setup(test_token_too_open, fresh_main_cf),
		cmocka_unit_test_setup(test_token_refused, fresh_main_cf),
		cmocka_unit_test_setup(test_controller_down, fresh_main_cf),
		cmocka_unit_test_setup(test_tls, fresh_main_cf),
		cmocka_unit_test_setup(test_transport_maps, fresh_main_cf),
		cmocka_unit_test_setup(test_hold_map, fresh_main_cf),
		cmocka_unit_test_setup(test_service_missing, fresh_main_cf),
		cmocka_unit_test_setup(test_log, fresh_main_cf),
		cmocka_unit_test_setup(test_log_journal, fresh_main_cf),
		cmocka_unit_test_setup(test_postmap_postqueue, fresh_main_cf),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
