/*
 * agentrun.c: postroute-agent processes for tests (see agentrun.h).
 */
#include "agentrun.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fakectl.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

/* The client identity of tl_tls_client, for the keys extra does not set. */
static void
agentrun_tls_lines(const char *extra, struct strbuf *out)
{
	const char *keys[] = { "ca_file", "client_cert", "client_key" };
	const char *vals[] = { tl_tls_ca(), tl_tls_cert(), tl_tls_key() };

	for (size_t i = 0; i < 3; i++) {
		if (vals[i] != NULL && (extra == NULL || strstr(extra, keys[i]) == NULL))
			strbuf_appendf(out, "%s = %s\n", keys[i], vals[i]);
	}
}

void
agentrun_config(struct agentrun *a, const char *urls, const char *token, const struct pfx *p,
    const char *agent_extra, const char *postfix_extra)
{
	char *tok = xasprintf("%s/token", a->dir);
	char *tokline = xasprintf("%s\n", token);
	static const char *const defaults[] = { "poll_wait = 5s", "retry_min = 200ms",
		"retry_max = 2s", "connect_timeout = 1s", "request_timeout = 5s" };
	struct strbuf dflt = STRBUF_INIT;

	/* test defaults for the keys the caller does not set */
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		size_t k = strcspn(defaults[i], " ");
		char *key = xstrndup(defaults[i], k);
		if (agent_extra == NULL || strstr(agent_extra, key) == NULL)
			strbuf_appendf(&dflt, "%s\n", defaults[i]);
		free(key);
	}
	agentrun_tls_lines(agent_extra, &dflt);
	char *ini = xasprintf(
	    "[agent]\nnode = %s\ncontroller = %s\ntoken_file = %s\nstate_dir = %s\n%s%s\n"
	    "[postfix]\nconfig_directory = %s\ntransport_file = %s\nmap_type = %s\n%s\n",
	    a->node, urls, tok, a->state_dir, strbuf_str(&dflt), agent_extra ? agent_extra : "",
	    p->conf_dir, p->transport, p->map_type, postfix_extra ? postfix_extra : "");
	strbuf_clear(&dflt);

	tl_write_file(tok, tokline);
	chmod(tok, 0600);   /* the agent refuses a token file others can read */
	tl_write_file(a->conf, ini);
	free(tok), free(tokline), free(ini);
}

struct agentrun *
agentrun_new(const char *node, const char *urls, const char *token, const struct pfx *p,
    const char *agent_extra, const char *postfix_extra)
{
	struct agentrun *a = xcalloc(1, sizeof(*a));

	a->dir = tl_mkdtemp("agent");
	a->conf = xasprintf("%s/agent.ini", a->dir);
	a->state_dir = xasprintf("%s/state", a->dir);
	a->log = xasprintf("%s/agent.log", a->dir);
	a->node = xstrdup(node);
	mkdir(a->state_dir, 0755);
	agentrun_config(a, urls, token, p, agent_extra, postfix_extra);
	return a;
}

int
agentrun_once(struct agentrun *a, char **log)
{
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "-c", a->conf, "--once", NULL };
	char *err = NULL;
	int rc = tl_run(argv, NULL, &err, 120);
	FILE *fp = fopen(a->log, "a");

	if (fp != NULL) {
		fprintf(fp, "--- once: exit %d\n%s", rc, err);
		fclose(fp);
	}
	if (log)
		*log = err;
	else
		free(err);
	free(bin);
	return rc;
}

/* Running agents, stopped at exit when a failing test jumped past its
 * agentrun_stop. */
#define AGENTRUN_MAX 32
static struct agentrun *agentrun_live[AGENTRUN_MAX];

static void
agentrun_stop_all(void)
{
	for (int i = 0; i < AGENTRUN_MAX; i++) {
		if (agentrun_live[i] != NULL)
			agentrun_stop(agentrun_live[i]);
	}
}

static void
agentrun_track(struct agentrun *a, struct agentrun *old)
{
	static int registered;

	if (!registered) {
		atexit(agentrun_stop_all);
		registered = 1;
	}
	for (int i = 0; i < AGENTRUN_MAX; i++) {
		if (agentrun_live[i] == old) {
			agentrun_live[i] = a;
			return;
		}
	}
}

void
agentrun_logwatch(struct agentrun *a, const char *lines)
{
	char *old = tl_read_file(a->conf);
	char *conf = xasprintf("%s\n[logwatch]\n%s\n", old, lines);

	tl_write_file(a->conf, conf);
	a->verbose = 1;
	free(old), free(conf);
}

void
agentrun_start(struct agentrun *a)
{
	agentrun_start_input(a, -1);
}

void
agentrun_start_input(struct agentrun *a, int input)
{
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());

	if ((a->pid = fork()) == 0) {
		int fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int in = input >= 0 ? input : open("/dev/null", O_RDONLY);
		dup2(in, 0), dup2(fd, 1), dup2(fd, 2);
		if (a->verbose)
			execl(bin, bin, "-c", a->conf, "-v", (char *)NULL);
		else
			execl(bin, bin, "-c", a->conf, (char *)NULL);
		_exit(127);
	}
	free(bin);
	agentrun_track(a, NULL);
	/* a configuration error ends it at once: say so here, with its log */
	for (int i = 0; i < 10; i++) {
		int status;
		if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
			a->pid = 0;
			fail_msg("postroute-agent exited at start: %s", tl_read_file(a->log));
		}
		usleep(10000);
	}
}

int
agentrun_stop(struct agentrun *a)
{
	int status = 0;

	if (a->pid <= 0)
		return 0;
	agentrun_track(NULL, a);
	kill(a->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
			a->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(20000);
	}
	kill(a->pid, SIGKILL);
	waitpid(a->pid, &status, 0);
	a->pid = 0;
	return 128 + SIGKILL;
}

void
agentrun_free(struct agentrun *a)
{
	if (a == NULL)
		return;
	agentrun_stop(a);
	agentrun_track(NULL, a);
	free(a->dir), free(a->conf), free(a->state_dir), free(a->log), free(a->node);
	free(a);
}

void
agentrun_env_clear(struct agentrun_env *e)
{
	agentrun_free(e->agent);
	fakectl_stop(e->ctl);
	pfx_stop(e->pfx);
	e->agent = NULL, e->ctl = NULL, e->pfx = NULL;
}

int
agentrun_log_count(const struct agentrun *a, const char *needle)
{
	return pfx_file_count(a->log, needle);
}

struct agentrun_seen {
	const struct agentrun *a;
	const char *needle;
	int n;
};

static int
agentrun_has_logged(void *arg)
{
	struct agentrun_seen *w = arg;

	return agentrun_log_count(w->a, w->needle) >= w->n;
}

void
agentrun_await_log(const struct agentrun *a, const char *needle, int n, int timeout_ms)
{
	struct agentrun_seen w = { a, needle, n };

	if (!tl_wait_for(agentrun_has_logged, &w, timeout_ms))
		fail_msg("%s: \"%s\" logged %d time(s), wanted %d:\n%s", a->node, needle,
		    agentrun_log_count(a, needle), n, tl_read_file(a->log));
}

void
agentrun_await_following(const struct agentrun *a)
{
	agentrun_await_log(a, "logwatch: following", 1, 10000);
	agentrun_await_log(a, "logwatch: catalogue of", 1, 10000);
}

static void
agentrun_script(const char *path, const char *script)
{
	tl_write_file(path, script);
	if (chmod(path, 0755) != 0)
		fail_msg("chmod %s: %s", path, strerror(errno));
}

char *
agentrun_commands(const char *postmap_script, const char *postqueue_script)
{
	char *dir = tl_mkdtemp("cmd");
	const char *tools[] = { "postconf", "postfix", "postqueue" };

	for (size_t i = 0; i < 3; i++) {
		char *from = xasprintf("/usr/sbin/%s", tools[i]), *to = xasprintf("%s/%s", dir, tools[i]);
		if (i == 2 && postqueue_script != NULL)
			agentrun_script(to, postqueue_script);
		else if (symlink(from, to) != 0)
			fail_msg("symlink %s: %s", to, strerror(errno));
		free(from), free(to);
	}
	if (postmap_script != NULL) {
		char *pm = xasprintf("%s/postmap", dir);
		agentrun_script(pm, postmap_script);
		free(pm);
	}
	return dir;
}

/* PUT /v1/nodes/NODE (role server) on c; returns a new agent token of it. */
static char *
agentrun_enrol(struct tl_controller *c, const char *node)
{
	char *path = xasprintf("/v1/nodes/%s", node);

	json_decref(tl_api_ok(c, "PUT", path, c->admin, "{\"role\": \"server\"}"));
	free(path);
	return tl_token(c, node, "agent", node);
}

struct agentrun *
agentrun_node(struct tl_controller *c, const char *node, const char *agent_extra, struct pfx **pfx)
{
	char *tok = agentrun_enrol(c, node);
	struct agentrun *a;

	*pfx = pfx_start(node, "hash", NULL);
	a = agentrun_new(node, c->url, tok, *pfx, agent_extra, NULL);
	agentrun_start(a);
	free(tok);
	return a;
}

struct agentrun *
agentrun_watching(struct tl_controller *c, const char *node, const struct pfx *p,
    const char *agent_extra, const char *postfix_extra, const char *logwatch_extra)
{
	char *tok = agentrun_enrol(c, node);
	struct agentrun *a = agentrun_new(node, c->url, tok, p, agent_extra, postfix_extra);
	char *lw = xasprintf("file = %s\n%s", p->maillog, logwatch_extra ? logwatch_extra : "");

	agentrun_logwatch(a, lw);
	agentrun_start(a);
	agentrun_await_following(a);
	free(tok), free(lw);
	return a;
}
