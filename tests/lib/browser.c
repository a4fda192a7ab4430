/*
 * browser.c: the driver child and its line protocol (see browser.h).
 */
#include "browser.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define BROWSER_PYTHON "/usr/bin/python3"
#define BROWSER_START_S 120   /* chromium's first start on a loaded machine */
#define BROWSER_SLACK_S 30    /* on top of a command's own timeout */

struct browser {
	pid_t pid;
	int to, from;             /* the driver's stdin, stdout */
	struct strbuf in;         /* read, not yet a whole line */
	char *dir;                /* profile, driver and chromedriver logs */
	char *log;                /* the driver's stderr */
};

/* The end of the driver's log, for a failure message. */
static char *
browser_log_tail(const struct browser *b)
{
	char *text = tl_read_file(b->log);
	char *tail;

	if (text == NULL)
		return xstrdup("(no driver log)");
	size_t n = strlen(text);
	tail = xstrdup(n > 2000 ? text + n - 2000 : text);
	free(text);
	return tail;
}

/* One line from the driver within timeout_s, parsed; fails the test on
 * a timeout, EOF or a line that is not JSON. */
static json_t *
browser_read(struct browser *b, int timeout_s, const char *what)
{
	time_t deadline = time(NULL) + timeout_s;
	char buf[4096];

	for (;;) {
		const char *s = strbuf_str(&b->in);
		const char *nl = s ? strchr(s, '\n') : NULL;
		if (nl != NULL) {
			json_t *j = json_loadb(s, (size_t)(nl - s), 0, NULL);
			char *rest = xstrdup(nl + 1);
			if (j == NULL)
				fail_msg("browser: %s: not JSON from the driver: %.*s", what, (int)(nl - s), s);
			strbuf_reset(&b->in);
			strbuf_append(&b->in, rest);
			free(rest);
			return j;
		}
		int left = (int)(deadline - time(NULL));
		struct pollfd p = { b->from, POLLIN, 0 };
		if (left <= 0 || (poll(&p, 1, left * 1000) < 0 && errno != EINTR)) {
			char *tail = browser_log_tail(b);
			fail_msg("browser: %s: no answer within %d s; driver log:\n%s", what, timeout_s, tail);
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(b->from, buf, sizeof(buf));
		if (n <= 0) {
			char *tail = browser_log_tail(b);
			fail_msg("browser: %s: the driver exited; its log:\n%s", what, tail);
		}
		strbuf_appendn(&b->in, buf, (size_t)n);
	}
}

/* Sends cmd (stolen) and returns the answer, failing the test unless it
 * says ok. */
static json_t *
browser_cmd(struct browser *b, json_t *cmd, int timeout_s, const char *what)
{
	char *line = json_dumps(cmd, JSON_COMPACT);
	size_t n = strlen(line);

	json_decref(cmd);
	line = xrealloc(line, n + 2);
	line[n++] = '\n';
	if (write(b->to, line, n) != (ssize_t)n)
		fail_msg("browser: %s: cannot write to the driver: %s", what, strerror(errno));
	free(line);
	json_t *r = browser_read(b, timeout_s + BROWSER_SLACK_S, what);
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("browser: %s: %s\n--- the page shows:\n%s\n---", what,
		    json_string_value(json_object_get(r, "error")),
		    json_string_value(json_object_get(r, "page")));
	return r;
}

struct browser *
browser_start(void)
{
	struct browser *b = xcalloc(1, sizeof(*b));
	int in[2], out[2];

	b->dir = tl_mkdtemp("browser");
	b->log = xasprintf("%s/driver.log", b->dir);
	char *script = xasprintf("%s/tests/browser/uidriver.py", tl_srcdir());
	if (pipe(in) != 0 || pipe(out) != 0)
		fail_msg("pipe: %s", strerror(errno));
	if ((b->pid = fork()) == 0) {
		int log = open(b->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(in[0], 0), dup2(out[1], 1), dup2(log, 2);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(log);
		setenv("HOME", b->dir, 1);
		setpgid(0, 0);   /* chromedriver and chromium go with it */
		char *argv[] = { BROWSER_PYTHON, "-B", script, b->dir, NULL };
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]), close(out[1]);
	b->to = in[1], b->from = out[0];
	signal(SIGPIPE, SIG_IGN);
	free(script);
	json_t *r = browser_read(b, BROWSER_START_S, "start");
	if (!json_is_true(json_object_get(r, "ok"))) {
		char *tail = browser_log_tail(b);
		fail_msg("browser: %s\n%s", json_string_value(json_object_get(r, "error")), tail);
	}
	json_decref(r);
	return b;
}

void
browser_open(struct browser *b, const char *url)
{
	json_decref(browser_cmd(b, json_pack("{s:s, s:s}", "op", "open", "url", url), 30, url));
}

json_t *
browser_eval(struct browser *b, const char *js)
{
	json_t *r = browser_cmd(b, json_pack("{s:s, s:s}", "op", "eval", "js", js), 30, js);
	json_t *v = json_incref(json_object_get(r, "value"));

	json_decref(r);
	return v ? v : json_null();
}

char *
browser_eval_text(struct browser *b, const char *js)
{
	json_t *v = browser_eval(b, js);
	char *s = json_is_string(v) ? xstrdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);

	json_decref(v);
	return s;
}

double
browser_wait(struct browser *b, const char *js, int timeout_s, const char *what)
{
	json_t *r = browser_cmd(b, json_pack("{s:s, s:s, s:i}", "op", "wait", "js", js,
	    "timeout", timeout_s), timeout_s, what);
	double s = json_number_value(json_object_get(r, "waited_s"));

	json_decref(r);
	return s;
}

void
browser_type(struct browser *b, const char *css, const char *text)
{
	json_decref(browser_cmd(b, json_pack("{s:s, s:s, s:s}", "op", "type", "css", css,
	    "text", text), 30, css));
}

void
browser_click(struct browser *b, const char *css)
{
	json_decref(browser_cmd(b, json_pack("{s:s, s:s}", "op", "click", "css", css), 30, css));
}

json_t *
browser_console(struct browser *b)
{
	json_t *r = browser_cmd(b, json_pack("{s:s}", "op", "console"), 30, "console");
	json_t *v = json_incref(json_object_get(r, "value"));

	json_decref(r);
	return v;
}

void
browser_stop(struct browser *b)
{
	int status = 0;

	if (b == NULL)
		return;
	/* the driver quits chromium and exits at "quit" or at EOF */
	if (write(b->to, "{\"op\": \"quit\"}\n", 15) != 15)
		fprintf(stderr, "browser: cannot ask the driver to quit: %s\n", strerror(errno));
	pid_t done = 0;
	for (int i = 0; i < 600 && (done = waitpid(b->pid, &status, WNOHANG)) == 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };   /* its exit, at most 60 s */
		nanosleep(&ts, NULL);
	}
	if (done == 0) {
		kill(-b->pid, SIGKILL);
		waitpid(b->pid, &status, 0);
	}
	kill(-b->pid, SIGKILL);   /* a chromium left behind */
	close(b->to), close(b->from);
	strbuf_clear(&b->in);
	free(b->dir), free(b->log), free(b);
}
