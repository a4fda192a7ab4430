/*
 * test_journalsrc.c: the journal source against a REAL journal.
 *
 * Route: a private systemd-journald (tests/lib/journald.h: the real
 * daemon in a mount namespace of its own, writing volatile journal files
 * into a temp directory), fed over its native socket by a writer process
 * that sits in the control group postroute-test.slice/postfix@-.service,
 * so journald itself stamps _SYSTEMD_UNIT=postfix@-.service on the
 * entries, as for a Postfix started by systemd on Debian 12. The source
 * reads the files with journal_directory, through the same sd_journal
 * code as the system journal. (Export files through
 * systemd-journal-remote were not needed: this journal is the real one.)
 *
 * Covered: Postfix lines (tests/data/scan-basic.log and the shared
 * corpus) written as journal entries come out as lines that the parser
 * reads exactly as it reads the file source's lines; entries of no
 * Postfix unit (the test's own, with SYSLOG_IDENTIFIER=postfix/smtp) are
 * not read; hostile MESSAGE fields (NUL, newline, control bytes, invalid
 * UTF-8, 70 kB) are garbage lines or skipped, never a crash; the cursor
 * across close and reopen (none read twice, none skipped), first start
 * at the end, a cursor of a vanished entry, a cursor file of garbage;
 * a missing, non-directory, empty or unreadable journal directory;
 * journal_probe; postroute-agent scan --journal finds the same
 * deliveries as scan of the file the entries came from.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "journald.h"
#include "journalsrc.h"
#include "maillog.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct journald *jd;
static const char *const units[] = { "postfix@-.service", "postfix.service", NULL };

/* Lines a poll delivered, in order. */
struct got {
	char **v;
	size_t *len;
	size_t n;
};

static void
got_line(const char *line, size_t len, void *arg)
{
	struct got *g = arg;

	assert_int_equal(line[len], '\0');
	g->v = xrealloc(g->v, (g->n + 1) * sizeof(*g->v));
	g->len = xrealloc(g->len, (g->n + 1) * sizeof(*g->len));
	g->len[g->n] = len;
	g->v[g->n] = xmalloc(len + 1);
	memcpy(g->v[g->n], line, len + 1);
	g->n++;
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i]);
	free(g->v);
	free(g->len);
	memset(g, 0, sizeof(*g));
}

/* Polls until want lines came (or 10 s), then once more briefly: no more may come. */
static void
read_lines(struct journalsrc *js, size_t want, struct got *g)
{
	struct strbuf err = STRBUF_INIT;

	for (int i = 0; i < 100 && g->n < want; i++)
		if (journalsrc_poll(js, 100, got_line, g, &err) < 0)
			fail_msg("poll: %s", strbuf_str(&err));
	assert_int_equal(journalsrc_poll(js, 300, got_line, g, &err), 0);
	if (g->n != want)
		fail_msg("%zu lines, want %zu (first: %s)", g->n, want, g->n ? g->v[0] : "-");
	strbuf_clear(&err);
}

static struct journalsrc *
open_src(const char *cursor)
{
	struct strbuf err = STRBUF_INIT;
	struct journalsrc *js = journalsrc_open(jd->directory, units, cursor, &err);

	if (js == NULL)
		fail_msg("journalsrc_open: %s", strbuf_str(&err));
	strbuf_clear(&err);
	return js;
}

/* Splits "TS HOST SERVICE[PID]: MESSAGE" (traditional or RFC 3339 TS)
 * into its service, pid and message; 0 when it has no such prefix. */
static int
split_line(const char *line, char *svc, char *pid, const char **msg)
{
	const char *p = line, *b, *e;

	if (*p >= '0' && *p <= '9')
		p = strchr(p, ' ');
	else
		p = strlen(p) > 15 ? p + 15 : NULL;
	if (p == NULL || *p != ' ' || (p = strchr(p + 1, ' ')) == NULL)
		return 0;
	p++;
	if ((b = strchr(p, '[')) == NULL || (e = strchr(b, ']')) == NULL ||
	    strncmp(e, "]: ", 3) != 0 || b - p >= 64 || e - b - 1 >= 16 || memchr(p, ' ', (size_t)(b - p)))
		return 0;
	snprintf(svc, 64, "%.*s", (int)(b - p), p);
	snprintf(pid, 16, "%.*s", (int)(e - b - 1), b + 1);
	*msg = e + 3;
	return 1;
}

/* The Postfix lines of tests/data/scan-basic.log and the corpus. */
static char **
postfix_lines(size_t *n)
{
	char *path = xasprintf("%s/tests/data/scan-basic.log", tl_srcdir());
	char *text = tl_read_file(path), *save = NULL;
	const char *shared = getenv("POSTROUTE_SHARED");
	char **v = NULL;

	assert_non_null(text);
	*n = 0;
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrdup(l);
	}
	free(text), free(path);
	path = xasprintf("%s/corpus/maillog-dev.tsv", shared ? shared : "../shared");
	if ((text = tl_read_file(path)) != NULL) {
		save = NULL;
		for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
			char *tab = strrchr(l, '\t');
			if (tab == NULL || strncmp(l, "provider\t", 9) == 0)
				continue;
			v = xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = xstrdup(tab + 1);
		}
	}
	free(text), free(path);
	return v;
}

static void
same_span(struct maillog_str a, struct maillog_str b, const char *what, const char *line)
{
	if (a.len != b.len || (a.len > 0 && memcmp(a.p, b.p, a.len) != 0))
		fail_msg("%s differs: \"%.*s\" vs \"%.*s\" in %s", what, (int)a.len, a.p, (int)b.len,
		    b.p, line);
}

/* What the detector sees of both lines is the same, but time and host. */
static void
same_record(const char *file_line, const char *journal_line, time_t t0)
{
	struct maillog_clock clk;
	struct maillog_rec a, b;

	maillog_clock_init(&clk, time(NULL));
	enum maillog_kind ka = maillog_parse_line(file_line, strlen(file_line), &clk, &a);
	enum maillog_kind kb = maillog_parse_line(journal_line, strlen(journal_line), &clk, &b);
	if (ka != kb)
		fail_msg("kind %d vs %d: %s | %s", ka, kb, file_line, journal_line);
	if (kb == MAILLOG_REJECT) {      /* garbage in the file is garbage here */
		assert_string_equal(a.error, b.error);
		return;
	}
	same_span(a.service, b.service, "service", journal_line);
	same_span(a.queue_id, b.queue_id, "queue id", journal_line);
	same_span(a.rcpt, b.rcpt, "recipient", journal_line);
	same_span(a.relay_host, b.relay_host, "relay host", journal_line);
	same_span(a.dsn, b.dsn, "dsn", journal_line);
	same_span(a.reply, b.reply, "reply", journal_line);
	same_span(a.sender, b.sender, "sender", journal_line);
	same_span(a.client_ip, b.client_ip, "client ip", journal_line);
	same_span(a.sasl_username, b.sasl_username, "sasl_username", journal_line);
	assert_int_equal(a.status, b.status);
	assert_int_equal(a.reply_code, b.reply_code);
	assert_int_equal(a.stage, b.stage);
	assert_int_equal(a.conn, b.conn);
	assert_int_equal(a.suspended, b.suspended);
	/* the journal's own time of the entry, exact to the second */
	assert_true(b.ts >= t0 - 1 && b.ts <= time(NULL) + 1);
}

static void
test_entries_read_as_file_lines(void **state)
{
	(void)state;
	char *dir = tl_mkdtemp("jsrc"), *cur = xasprintf("%s/cursor", dir);
	struct journalsrc *js = open_src(cur);
	size_t n, sent = 0;
	char **lines = postfix_lines(&n), host[256], svc[64], pid[16];
	const char *msg;
	time_t t0 = time(NULL);
	struct got g = { 0 };

	assert_true(n > 50);
	gethostname(host, sizeof(host));
	for (size_t i = 0; i < n; i++) {
		if (!split_line(lines[i], svc, pid, &msg)) {
			free(lines[i]);
			memmove(lines + i, lines + i + 1, (n - i - 1) * sizeof(*lines));
			n--, i--;
			continue;       /* no syslog prefix: no journal entry either */
		}
		journald_send(jd, svc, pid, msg, strlen(msg));
		/* the same from a process of no unit: not Postfix's log */
		if (i % 10 == 0)
			journald_send_self(jd, svc, pid, msg, strlen(msg));
		sent++;
	}
	read_lines(js, sent, &g);
	for (size_t i = 0; i < n; i++) {
		/* "2026-...+00:00 HOST " then exactly the file line's "SERVICE[PID]: MESSAGE" */
		split_line(lines[i], svc, pid, &msg);
		char *needle = xasprintf(" %s[", svc);
		const char *tail = strstr(lines[i], needle) + 1;
		free(needle);
		const char *jt = strchr(g.v[i], ' ');
		assert_non_null(jt);
		if (strncmp(jt + 1, host, strlen(host)) != 0 || jt[1 + strlen(host)] != ' ' ||
		    strcmp(jt + 2 + strlen(host), tail) != 0)
			fail_msg("line %zu:\n  file:    %s\n  journal: %s", i, lines[i], g.v[i]);
		same_record(lines[i], g.v[i], t0);
	}
	assert_int_equal(journalsrc_stats(js)->lines, sent);
	assert_string_equal(journalsrc_warning(js), "");
	journalsrc_close(js);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines), free(cur), free(dir);
	got_free(&g);
}

static const char good[] = "AB12CD34EF: to=<u@yahoo.test>, relay=mta5.am0.yahoodns.net"
    "[67.195.204.72]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.0, status=deferred (host "
    "mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages from 203.0.113.9 "
    "temporarily deferred due to user complaints (in reply to MAIL FROM command))";

static void
test_hostile_messages(void **state)
{
	(void)state;
	struct journalsrc *js = open_src(NULL);
	static const char nul[] = "AB12CD34EF: to=<a@b.test>\0, status=deferred (x)";
	/* control bytes and invalid UTF-8 make garbage; the last two are merely useless */
	static const char *const bad[] = {
		"AB12CD34EF: to=<a@b.test>, relay=x[1.2.3.4]:25, dsn=4.7.0,\nstatus=deferred (421 4.7.0 x)",
		"\x1b[31mAB12CD34EF\x07: to=<a@b.test>, status=deferred (x)",
		"AB12CD34EF: to=<\xff\xfe@b.test>, relay=x[1.2.3.4]:25, dsn=4.7.0, status=deferred (\xc3)",
		"AB12CD34EF: to=<",
		"",
	};
	const size_t ngarbage = 3;
	size_t nbad = sizeof(bad) / sizeof(bad[0]);
	char *huge = xmalloc(70000);
	struct got g = { 0 };
	struct maillog_clock clk;
	struct maillog_rec rec;

	memset(huge, 'x', 70000);
	journald_send(jd, "postfix/smtp", "1", nul, sizeof(nul) - 1);
	journald_send(jd, "postfix/smtp", "1", huge, 70000);
	for (size_t i = 0; i < nbad; i++)
		journald_send(jd, "postfix/smtp", "1", bad[i], strlen(bad[i]));
	journald_send(jd, "postfix smtp", "1", good, strlen(good));   /* a space in the identifier */
	journald_send(jd, "postfix/smtp", "12\n34", good, strlen(good));
	journald_send(jd, "postfix/smtp", "4242", good, strlen(good));
	/* the huge one is skipped, every other one is a line */
	read_lines(js, 1 + nbad + 3, &g);
	assert_int_equal(journalsrc_stats(js)->overlong, 1);
	maillog_clock_init(&clk, time(NULL));
	/* the NUL is in the line, which is not cut there */
	assert_int_equal(g.len[0], strlen(g.v[0]) + sizeof(nul) - 1 - strlen(nul));
	for (size_t i = 0; i + 1 < g.n; i++) {
		enum maillog_kind k = maillog_parse_line(g.v[i], g.len[i], &clk, &rec);
		if (i <= ngarbage || i > nbad ? k != MAILLOG_REJECT : k == MAILLOG_DELIVERY)
			fail_msg("line %zu read as %d: %s", i, k, g.v[i]);
	}
	assert_int_equal(maillog_parse_line(g.v[g.n - 1], strlen(g.v[g.n - 1]), &clk, &rec),
	    MAILLOG_DELIVERY);
	assert_non_null(strstr(g.v[g.n - 1], " postfix/smtp[4242]: AB12CD34EF: to=<u@yahoo.test>"));
	journalsrc_close(js);
	got_free(&g);
	free(huge);
}

static void
send_numbered(const char *tag, int first, int n)
{
	for (int i = first; i < first + n; i++) {
		char *m = xasprintf("%s %d", tag, i);
		journald_send(jd, "postfix/smtp", "7", m, strlen(m));
		free(m);
	}
}

/* Every line is "... TAG N": the numbers read, in order. */
static void
expect_numbers(const struct got *g, const char *tag, int first, int n)
{
	assert_int_equal(g->n, (size_t)n);
	for (int i = 0; i < n; i++) {
		char *want = xasprintf(": %s %d", tag, first + i);
		size_t wl = strlen(want), gl = strlen(g->v[i]);
		if (gl < wl || strcmp(g->v[i] + gl - wl, want) != 0)
			fail_msg("line %d: %s, want ...%s", i, g->v[i], want);
		free(want);
	}
}

static void
test_cursor_across_restarts(void **state)
{
	(void)state;
	char *dir = tl_mkdtemp("jsrc"), *cur = xasprintf("%s/logwatch.cursor", dir);
	struct strbuf err = STRBUF_INIT;
	struct got g = { 0 };

	/* entries older than the first start are not read */
	send_numbered("old", 0, 3);
	journald_await(jd, "old 2", 1, 10000);
	struct journalsrc *js = open_src(cur);
	char *first = tl_read_file(cur);
	assert_non_null(first);        /* the starting point is saved at once */
	assert_non_null(strstr(first, "s="));
	read_lines(js, 0, &g);
	send_numbered("restart", 0, 3);
	read_lines(js, 3, &g);
	expect_numbers(&g, "restart", 0, 3);
	got_free(&g);
	assert_int_equal(journalsrc_save(js, &err), 0);
	journalsrc_close(js);
	/* written while stopped: read once after the restart, nothing twice */
	send_numbered("restart", 3, 2);
	js = open_src(cur);
	read_lines(js, 2, &g);
	expect_numbers(&g, "restart", 3, 2);
	got_free(&g);
	journalsrc_close(js);
	js = open_src(cur);
	read_lines(js, 0, &g);
	assert_string_equal(journalsrc_warning(js), "");
	journalsrc_close(js);
	/* the file is replaced by rename, never left half-written */
	char *text = tl_read_file(cur);
	assert_non_null(text);
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text), free(first), free(cur), free(dir);
	strbuf_clear(&err);
}

static void
test_cursor_gone_or_garbage(void **state)
{
	(void)state;
	char *dir = tl_mkdtemp("jsrc"), *cur = xasprintf("%s/logwatch.cursor", dir);
	struct got g = { 0 };
	int total;

	send_numbered("gone", 0, 2);
	journald_await(jd, "gone 1", 1, 10000);
	/* an entry of another journal, older than all of this one (vacuumed):
	 * every Postfix entry of this journal is after it */
	tl_write_file(cur, "s=0123456789abcdef0123456789abcdef;i=5;b=0123456789abcdef0123456789abcdef;"
	    "m=1;t=1;x=1\n");
	struct journalsrc *js = open_src(cur);
	assert_int_equal(journalsrc_stats(js)->cursor_gone, 1);
	assert_non_null(strstr(journalsrc_warning(js), "no longer in"));
	struct strbuf err = STRBUF_INIT;
	for (int i = 0; i < 100 && journalsrc_poll(js, 100, got_line, &g, &err) > 0; i++)
		;
	strbuf_clear(&err);
	total = (int)g.n;
	assert_true(total >= 2);
	assert_non_null(strstr(g.v[g.n - 1], ": gone 1"));
	got_free(&g);
	journalsrc_close(js);
	/* a file that holds no cursor: from the end, with a warning */
	static const char *const garbage[] = { "garbage\n", "", "s=1;i=\x01\n", "no newline" };
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		tl_write_file(cur, garbage[i]);
		js = open_src(cur);
		assert_int_equal(journalsrc_stats(js)->cursor_invalid, 1);
		assert_non_null(strstr(journalsrc_warning(js), "holds no journal cursor"));
		read_lines(js, 0, &g);
		send_numbered("after-garbage", (int)i, 1);
		read_lines(js, 1, &g);
		expect_numbers(&g, "after-garbage", (int)i, 1);
		got_free(&g);
		journalsrc_close(js);
	}
	free(cur), free(dir);
}

/* journalsrc_open's error for directory, as user (NULL: this one). */
static char *
open_error(const char *directory, const char *user)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct strbuf err = STRBUF_INIT;
		struct passwd *pw = user ? getpwnam(user) : NULL;
		if (user != NULL && (pw == NULL || setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0))
			_exit(3);
		struct journalsrc *js = journalsrc_open(directory, units, NULL, &err);
		(void)!write(p[1], strbuf_str(&err), err.len);
		_exit(js == NULL ? 0 : 1);
	}
	close(p[1]);
	char buf[1024];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	int st;
	close(p[0]);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("journalsrc_open(%s) as %s: exit %d", directory, user ? user : "root",
		    WEXITSTATUS(st));
	buf[n > 0 ? n : 0] = '\0';
	return xstrdup(buf);
}

static void
test_bad_directory_and_units(void **state)
{
	(void)state;
	char *dir = tl_mkdtemp("jsrc"), *missing = xasprintf("%s/nothing", dir);
	char *file = xasprintf("%s/file", dir), *e;
	struct strbuf err = STRBUF_INIT;

	tl_write_file(file, "x");
	e = open_error(missing, NULL);
	assert_non_null(strstr(e, missing));
	assert_non_null(strstr(e, "No such file or directory"));
	free(e);
	e = open_error(file, NULL);
	assert_non_null(strstr(e, "not a directory"));
	free(e);
	e = open_error(dir, NULL);       /* no journal file in it */
	assert_non_null(strstr(e, "no journal file could be read"));
	free(e);
	/* the journal's files are root's, 0640 in 0750 directories */
	e = open_error(jd->directory, "nobody");
	if (strstr(e, "no journal file could be read") == NULL && strstr(e, "Permission denied") == NULL)
		fail_msg("as nobody: %s", e);
	assert_non_null(strstr(e, "systemd-journal"));
	free(e);
	/* unit names */
	static const char *const badunits[] = { "", " , ", "postfix@-.service;reboot",
	    "postfix", "a b\x01.service", "../x.service" };
	for (size_t i = 0; i < sizeof(badunits) / sizeof(badunits[0]); i++) {
		char **u = journalsrc_units(badunits[i], &err);
		if (u != NULL)
			fail_msg("unit list \"%s\" accepted", badunits[i]);
		assert_true(err.len > 0);
		strbuf_reset(&err);
	}
	char **u = journalsrc_units("postfix@-.service, postfix@postfix-out.service postfix.service", &err);
	assert_non_null(u);
	assert_string_equal(u[1], "postfix@postfix-out.service");
	assert_null(u[3]);
	journalsrc_units_free(u);
	strbuf_clear(&err);
	free(dir), free(missing), free(file);
}

static void
test_probe(void **state)
{
	(void)state;
	struct strbuf err = STRBUF_INIT;
	static const char *const none[] = { "nothing-here.service", NULL };
	time_t last = 1;

	send_numbered("probe", 0, 1);
	journald_await(jd, "probe 0", 1, 10000);
	assert_int_equal(journal_probe(jd->directory, units, &last, &err), 0);
	assert_true(last >= time(NULL) - 60 && last <= time(NULL) + 1);
	/* readable, but nothing of these units: no time */
	assert_int_equal(journal_probe(jd->directory, none, &last, &err), 0);
	assert_int_equal(last, 0);
	assert_int_equal(journal_probe("/nonexistent/journal", units, &last, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "/nonexistent/journal"));
	strbuf_clear(&err);
}

/* scan's delivery lines without "line" and "node" (entries count as
 * lines; the node is the journal's host name). */
static char *
scan_output(char *const argv[], int want_rc)
{
	char *out = NULL, *err = NULL;
	int rc = tl_run(argv, &out, &err, 60);
	struct strbuf sb = STRBUF_INIT;
	char *save = NULL;

	if (rc != want_rc)
		fail_msg("scan exited %d, want %d: %s", rc, want_rc, err);
	for (char *l = strtok_r(out, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		static const char delivery[] = "{\"type\":\"delivery\",";
		if (strncmp(l, delivery, sizeof(delivery) - 1) != 0)
			continue;       /* events depend on the times */
		char *a = strstr(l, "\"line\":"), *b = a ? strstr(a, "\"provider\":") : NULL;
		if (a == NULL || b == NULL)
			fail_msg("scan output: %s", l);
		strbuf_appendn(&sb, l, (size_t)(a - l));
		strbuf_append(&sb, b);
		strbuf_appendc(&sb, '\n');
	}
	free(out), free(err);
	return strbuf_detach(&sb);
}

static void
test_scan_journal(void **state)
{
	(void)state;
	/* a journal of its own, from another Postfix instance's unit */
	struct journald *j2 = journald_start("postfix@postfix-out.service");
	char *dir = tl_mkdtemp("jscan"), *log = xasprintf("%s/mail.log", dir);
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	size_t n;
	char **lines = postfix_lines(&n), svc[64], pid[16];
	const char *msg;
	struct strbuf file = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (!split_line(lines[i], svc, pid, &msg))
			continue;
		strbuf_appendf(&file, "%s\n", lines[i]);
		journald_send(j2, svc, pid, msg, strlen(msg));
	}
	tl_write_file(log, strbuf_str(&file));
	journald_await(j2, msg, 1, 10000);
	char *fargv[] = { bin, "scan", log, NULL };
	char *jargv[] = { bin, "scan", "--journal", j2->directory, "--units",
	    "postfix@postfix-out.service", NULL };
	char *from_file = scan_output(fargv, 0), *from_journal = scan_output(jargv, 0);
	assert_non_null(strstr(from_journal, "\"type\":\"delivery\""));
	/* the same deliveries, in the same order (events depend on the times) */
	char *f = from_file, *jj = from_journal, *fe, *je;
	size_t deliveries = 0;
	while ((f = strstr(f, "{\"type\":\"delivery\"")) != NULL) {
		jj = strstr(jj, "{\"type\":\"delivery\"");
		assert_non_null(jj);
		fe = strchr(f, '\n'), je = strchr(jj, '\n');
		if (fe - f != je - jj || memcmp(f, jj, (size_t)(fe - f)) != 0)
			fail_msg("file: %.*s\njournal: %.*s", (int)(fe - f), f, (int)(je - jj), jj);
		f = fe, jj = je, deliveries++;
	}
	assert_null(strstr(jj, "{\"type\":\"delivery\""));
	assert_true(deliveries > 20);
	/* the default units are not this instance's: nothing */
	char *dargv[] = { bin, "scan", "--journal", j2->directory, NULL };
	char *none = scan_output(dargv, 0);
	assert_string_equal(none, "");
	/* errors */
	char *out = NULL, *err = NULL;
	char *bad1[] = { bin, "scan", "--journal", "/nonexistent/journal", NULL };
	assert_int_equal(tl_run(bad1, &out, &err, 30), 1);
	assert_non_null(strstr(err, "journal directory /nonexistent/journal: No such file or directory"));
	free(out), free(err);
	char *bad2[] = { bin, "scan", "--journal", j2->directory, log, NULL };
	assert_int_equal(tl_run(bad2, &out, &err, 30), 2);
	assert_non_null(strstr(err, "one or the other"));
	free(out), free(err);
	char *bad3[] = { bin, "scan", "--journal", j2->directory, "--units", "postfix", NULL };
	assert_int_equal(tl_run(bad3, &out, &err, 30), 1);
	assert_non_null(strstr(err, "unit \"postfix\" has no unit type suffix"));
	free(out), free(err);
	journald_stop(j2);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines), free(dir), free(log), free(bin), free(from_file), free(from_journal), free(none);
	strbuf_clear(&file);
}

static int
setup(void **state)
{
	(void)state;
	jd = journald_start("postfix@-.service");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	journald_stop(jd);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_read_as_file_lines),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_cursor_across_restarts),
		cmocka_unit_test(test_cursor_gone_or_garbage),
		cmocka_unit_test(test_bad_directory_and_units),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_scan_journal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
