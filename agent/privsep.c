/*
 * privsep.c: the root helper and its unprivileged client (see privsep.h).
 *
 * Wire format, both ways on a UNIX stream socketpair, native byte order
 * (same host, same binary): a request is op (1 byte: 'I' install, 'A'
 * activate, 'S' sweep, 'H' hold map, 'R' release), length (uint32) and
 * payload; a reply is rc (1 byte), TIMINGS_N int64 durations (timings.h,
 * -1 for a step that did not run), then the failed step and the error as
 * length-prefixed strings. A release payload is one sender a line,
 * "-SENDER<TAB>EPOCH" taken off the map, "+SENDER" still on it.
 */
#include "privsep.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "holdmap.h"
#include "holdsince.h"
#include "log.h"
#include "maptext.h"
#include "statedir.h"
#include "trustdir.h"
#include "validate.h"
#include "xalloc.h"

#define PRIVSEP_MAX (256U * 1024 * 1024)

static volatile pid_t privsep_child;

static int
ps_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

/* 0 when n bytes were read, 1 at EOF before any, -1 on error. */
static int
ps_read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && got == 0)
			return 1;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
ps_send(int fd, char op, const char *payload, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (ps_write_all(fd, &op, 1) != 0 || ps_write_all(fd, &n, sizeof(n)) != 0 ||
	    ps_write_all(fd, payload, len) != 0)
		return -1;
	return 0;
}

/* A length-prefixed string into a new buffer (NUL-terminated). */
static char *
ps_read_str(int fd)
{
	uint32_t n;
	char *s;

	if (ps_read_all(fd, &n, sizeof(n)) != 0 || n > PRIVSEP_MAX)
		return NULL;
	s = xmalloc((size_t)n + 1);
	if (n > 0 && ps_read_all(fd, s, n) != 0) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

static int
ps_write_str(int fd, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);

	if (ps_write_all(fd, &n, sizeof(n)) != 0)
		return -1;
	return ps_write_all(fd, s, n);
}

/* ---- the helper (root) ---------------------------------------------- */

static int
ps_check_line(const char *line, size_t len, size_t no, struct strbuf *err)
{
	char dom[VALIDATE_DOMAIN_MAX + 2];
	const char *tab = memchr(line, '\t', len), *why;

	if (len > 0 && line[0] == '#') {
		for (size_t i = 0; i < len; i++) {
			if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e) {
				strbuf_appendf(err, "line %zu: comment with a control or non-ASCII byte", no);
				return -1;
			}
		}
		return 0;
	}
	if (tab == NULL || tab == line || len - (size_t)(tab - line) - 1 > VALIDATE_NEXTHOP_MAX ||
	    (size_t)(tab - line) > VALIDATE_DOMAIN_MAX + 1) {
		strbuf_appendf(err, "line %zu: not \"domain<TAB>nexthop\"", no);
		return -1;
	}
	char *d = xstrndup(line, (size_t)(tab - line)), *h = xstrndup(tab + 1, len - (size_t)(tab - line) - 1);
	int bad = 1;
	if ((why = validate_domain(d, dom, sizeof(dom))) != NULL || strcmp(d, dom) != 0)
		strbuf_appendf(err, "line %zu: domain: %s", no, why ? why : "is not lower case");
	else if ((why = validate_nexthop(h)) != NULL)
		strbuf_appendf(err, "line %zu: nexthop: %s", no, why);
	else
		bad = 0;
	free(d), free(h);
	return bad ? -1 : 0;
}

int
privsep_check_text(const char *text, struct strbuf *err)
{
	return maptext_check(text, ps_check_line, err);
}

static int
ps_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Domains, one per line, checked and sorted; returns the count or -1. */
static long
ps_domains(char *payload, char ***out, struct strbuf *err)
{
	char dom[VALIDATE_DOMAIN_MAX + 2], *save = NULL;
	size_t n = 0, cap = 16;
	char **v = xmalloc(cap * sizeof(*v));
	const char *why;

	for (char *d = strtok_r(payload, "\n", &save); d != NULL; d = strtok_r(NULL, "\n", &save)) {
		if ((why = validate_domain(d, dom, sizeof(dom))) != NULL) {
			strbuf_appendf(err, "domain %zu: %s", n, why);
			free(v);
			return -1;
		}
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = d;
	}
	qsort(v, n, sizeof(*v), ps_cmp);
	*out = v;
	return (long)n;
}

/* The EPOCH of a "-sender<TAB>EPOCH" line (tab at tab); NULL when bad. */
static const char *
ps_since(char *tab, long long *since)
{
	char *end;

	if (tab == NULL)
		return "has no start time";
	*tab = '\0';
	errno = 0;
	*since = strtoll(tab + 1, &end, 10);
	return tab[1] < '0' || tab[1] > '9' || *end != '\0' || errno != 0 ? "bad start time" : NULL;
}

/* "-sender<TAB>EPOCH" and "+sender" lines, each checked, into two sorted
 * arrays pointing into payload, and the start of each removed sender's
 * hold (parallel to *rm); -1 on a bad line. */
static int
ps_senders(char *payload, char ***rm, long long **since, size_t *nrm, char ***keep,
    size_t *nkeep, struct strbuf *err)
{
	char *save = NULL, **v[2];
	size_t n[2] = { 0, 0 }, cap[2] = { 16, 16 }, no = 0;
	const char *why = NULL;
	long long t;

	v[0] = xmalloc(cap[0] * sizeof(char *)), v[1] = xmalloc(cap[1] * sizeof(char *));
	for (char *l = strtok_r(payload, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		int k = l[0] == '+';
		no++;
		if ((l[0] != '-' && l[0] != '+') || (l[0] == '-' && (why = ps_since(strchr(l, '\t'), &t))) ||
		    (why = validate_sender(l + 1)) != NULL) {
			strbuf_appendf(err, "sender %zu: %s", no, l[0] != '-' && l[0] != '+' ?
			    "is not marked - or +" : why);
			free(v[0]), free(v[1]);
			return -1;
		}
		for (char *c = l + 1; *c; c++)   /* compared folded, as Postfix does */
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		if (n[k] == cap[k])
			v[k] = xrealloc(v[k], (cap[k] *= 2) * sizeof(char *));
		v[k][n[k]++] = l + 1;
	}
	qsort(v[0], n[0], sizeof(char *), ps_cmp);
	qsort(v[1], n[1], sizeof(char *), ps_cmp);
	*since = xmalloc((n[0] ? n[0] : 1) * sizeof(**since));
	for (size_t i = 0; i < n[0]; i++)    /* checked above, after the sender's NUL */
		(*since)[i] = strtoll(v[0][i] + strlen(v[0][i]) + 1, NULL, 10);
	*rm = v[0], *nrm = n[0], *keep = v[1], *nkeep = n[1];
	return 0;
}

static int
ps_reply(int fd, int rc, const struct timings *t, const char *step, const char *err)
{
	char r = (char)(rc != 0);
	int64_t times[TIMINGS_N];

	for (int i = 0; i < TIMINGS_N; i++)
		times[i] = t->ms[i];
	if (ps_write_all(fd, &r, 1) != 0 || ps_write_all(fd, times, sizeof(times)) != 0 ||
	    ps_write_str(fd, step ? step : "") != 0 || ps_write_str(fd, err) != 0)
		return -1;
	return 0;
}

/*
 * The helper's own record of when each sender went on the hold map,
 * STATE_DIR/hold-since in the root-owned state_dir (holdsince.h): the
 * times the unprivileged side sends are its own to rewrite, so a release
 * frees only mail that arrived after the later of the two, and none of a
 * sender the helper never put on the map. held[0..n) sorted; keep_others
 * as holdsince_merge.
 */
static int
ps_hold_record(const struct agent_config *cfg, char **held, size_t n, int keep_others,
    struct strbuf *err)
{
	struct holdsince h;
	int rc;

	if (holdsince_load(cfg->state_dir, &h, err) != 0)
		return -1;
	holdsince_merge(&h, held, n, (long long)time(NULL), keep_others);
	rc = holdsince_save(cfg->state_dir, &h, err);
	holdsince_clear(&h);
	return rc;
}

/* Raises since[i] to the helper's start of rm[i]'s hold; no start: never. */
static int
ps_hold_since(const struct agent_config *cfg, char **rm, long long *since, size_t nrm,
    struct strbuf *err)
{
	struct holdsince h;

	if (holdsince_load(cfg->state_dir, &h, err) != 0)
		return -1;
	for (size_t i = 0; i < nrm; i++) {
		long long mine = holdsince_get(&h, rm[i]);
		if (mine <= 0)
			log_warnx("hold: %s: the privileged helper has no record of its hold: its "
			    "held mail stays held (postsuper -H releases it by hand)", rm[i]);
		since[i] = mine <= 0 ? LLONG_MAX : mine > since[i] ? mine : since[i];
	}
	holdsince_clear(&h);
	return 0;
}

/* The hold requests: 'H' installs a hold map, 'R' releases held mail. */
static int
ps_handle_hold(const struct agent_config *cfg, char op, char *payload, struct timings *t,
    const char **step, struct strbuf *err)
{
	char **rm = NULL, **keep = NULL;
	long long *since = NULL;
	size_t nrm, nkeep;
	int rc = -1;

	if (op == 'H' && holdmap_check_text(payload, err) == 0) {
		size_t n = holdmap_senders(payload, &keep);
		if (ps_hold_record(cfg, keep, n, 1, err) == 0)   /* before the map holds anything */
			rc = apply_hold_install(cfg, payload, t, step, err);
		holdmap_senders_free(keep, n);
	} else if (op == 'R' && ps_senders(payload, &rm, &since, &nrm, &keep, &nkeep, err) == 0) {
		if (ps_hold_since(cfg, rm, since, nrm, err) == 0 &&
		    (rc = apply_hold_release(cfg, rm, since, nrm, keep, nkeep, step, err)) == 0)
			rc = ps_hold_record(cfg, keep, nkeep, 0, err);   /* the released go */
		free(rm), free(keep), free(since);
	}
	return rc;
}

/*
 * The directories the helper writes in or runs from, root's alone
 * (trustdir.h): checked at start and again before each request, since
 * root opens, renames and runs postmap there by name. op 0 checks all.
 */
static int
ps_trusted(const struct agent_config *cfg, char op, struct strbuf *err)
{
	if (trustdir_check("[postfix] command_directory", cfg->command_directory, err) != 0 ||
	    trustdir_check("[postfix] config_directory", cfg->config_directory, err) != 0)
		return -1;
	if ((op == 0 || op == 'I') &&
	    trustdir_check_parent("[postfix] transport_file", cfg->transport_file, err) != 0)
		return -1;
	if ((op == 0 || op == 'H') && cfg->hold_map[0] != '\0' &&
	    trustdir_check_parent("[postfix] hold_map", cfg->hold_map, err) != 0)
		return -1;
	return 0;
}

int
privsep_trusted(const struct agent_config *cfg, struct strbuf *err)
{
	return ps_trusted(cfg, 0, err);
}

/* One request, once its directories passed ps_trusted. */
static int
ps_dispatch(const struct agent_config *cfg, char op, char *payload, struct timings *t,
    const char **step, struct strbuf *err)
{
	char **domains = NULL;
	long n;
	int rc = -1;

	if (op == 'I' && privsep_check_text(payload, err) == 0) {
		rc = apply_install(cfg, payload, t, step, err);
	} else if (op == 'A' && (n = ps_domains(payload, &domains, err)) >= 0) {
		rc = apply_activate(cfg, domains, (size_t)n, t, step, err);
		free(domains);
	} else if (op == 'S' && (n = ps_domains(payload, &domains, err)) >= 0) {
		rc = apply_sweep(cfg, domains, (size_t)n, t, step, err);
		free(domains);
	} else if (op == 'H' || op == 'R') {
		rc = ps_handle_hold(cfg, op, payload, t, step, err);
	} else if (op != 'I' && op != 'A' && op != 'S') {
		strbuf_appendf(err, "unknown request %d", op);
	}
	return rc;
}

static int
ps_handle(const struct agent_config *cfg, int fd, char op, char *payload)
{
	struct timings t;
	struct strbuf err = STRBUF_INIT;
	const char *step = "helper";
	int rc = -1;

	timings_init(&t);
	if (ps_trusted(cfg, op, &err) == 0)
		rc = ps_dispatch(cfg, op, payload, &t, &step, &err);
	if (rc != 0 && strcmp(step, "helper") == 0)
		strbuf_append(&err, " (refused by the privileged helper)");
	int w = ps_reply(fd, rc, &t, step, strbuf_str(&err));
	strbuf_clear(&err);
	return w;
}

static void
ps_forward(int sig)
{
	if (privsep_child > 0)
		kill(privsep_child, sig);
}

static noreturn void
ps_serve(const struct agent_config *cfg, int fd)
{
	struct sigaction sa;
	int status = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ps_forward;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;) {
		char op;
		if (ps_read_all(fd, &op, 1) != 0)
			break;
		char *payload = ps_read_str(fd);
		if (payload == NULL)
			break;
		int w = ps_handle(cfg, fd, op, payload);
		free(payload);
		if (w != 0)
			break;
	}
	close(fd);
	while (waitpid(privsep_child, &status, 0) < 0 && errno == EINTR)
		;
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

static void ps_applier(struct applier *a, int fd);   /* the client, below */

/* ---- start and drop ----------------------------------------------------- */

static noreturn void
ps_drop_failed(const char *what)
{
	log_fatal("privsep: %s", what);
}

static void
ps_drop(const char *user, uid_t uid, gid_t gid)
{
	if (initgroups(user, gid) != 0)
		ps_drop_failed("initgroups");
	if (setgid(gid) != 0)
		ps_drop_failed("setgid");
	if (setuid(uid) != 0)
		ps_drop_failed("setuid");
	if (setuid(0) == 0 || geteuid() == 0)
		log_fatalx("privsep: root could be regained after dropping to %s", user);
}

int
privsep_start(struct agent_config *cfg, struct applier *a, struct strbuf *err)
{
	struct passwd *pw;
	char *user_dir;
	int sv[2];
	pid_t pid;

	if (geteuid() != 0) {
		strbuf_appendf(err, "[agent] user = %s needs the agent to start as root", cfg->user);
		return -1;
	}
	if ((pw = getpwnam(cfg->user)) == NULL || pw->pw_uid == 0) {
		strbuf_appendf(err, "[agent] user: %s: %s", cfg->user,
		    pw ? "is root" : "no such user");
		return -1;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (ps_trusted(cfg, 0, err) != 0 ||
	    (user_dir = statedir_prepare(cfg->state_dir, cfg->user, uid, gid, err)) == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || (pid = fork()) < 0) {
		strbuf_appendf(err, "privsep: %s", strerror(errno));
		free(user_dir);
		return -1;
	}
	if (pid > 0) {
		close(sv[1]);
		free(user_dir);
		privsep_child = pid;
		ps_serve(cfg, sv[0]);
	}
	close(sv[0]);
	ps_drop(cfg->user, uid, gid);
	free(cfg->state_dir);   /* the unprivileged side keeps its state in STATE_DIR/user */
	cfg->state_dir = user_dir;
	ps_applier(a, sv[1]);
	return 0;
}

/* ---- the client (unprivileged): an applier (applier.h) ------------------ */

/* One request and its reply; t (may be NULL) gets the steps that ran. */
static int
ps_call(int fd, char op, const char *payload, struct timings *t, const char **step,
    struct strbuf *err)
{
	static char step_buf[32];
	int64_t times[TIMINGS_N];
	char rc;

	*step = "helper";
	if (ps_send(fd, op, payload, strlen(payload)) != 0 || ps_read_all(fd, &rc, 1) != 0 ||
	    ps_read_all(fd, times, sizeof(times)) != 0) {
		strbuf_append(err, "privileged helper: gone");
		return -1;
	}
	char *s = ps_read_str(fd), *e = ps_read_str(fd);
	if (s == NULL || e == NULL) {
		free(s), free(e);
		strbuf_append(err, "privileged helper: gone");
		return -1;
	}
	for (int i = 0; t != NULL && i < TIMINGS_N; i++)
		if (times[i] >= 0)
			t->ms[i] = (long)times[i];
	snprintf(step_buf, sizeof(step_buf), "%s", s);
	*step = step_buf;
	if (rc != 0)
		strbuf_append(err, e);
	free(s), free(e);
	return rc ? -1 : 0;
}

/* A request whose payload is one domain a line. */
static int
ps_call_domains(int fd, char op, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < nmoved; i++)
		strbuf_appendf(&sb, "%s\n", moved[i]);
	rc = ps_call(fd, op, sb.buf ? sb.buf : "", t, step, err);
	strbuf_clear(&sb);
	return rc;
}

static int
ps_install(const struct applier *a, const char *text, struct timings *t, const char **step,
    struct strbuf *err)
{
	return ps_call(a->fd, 'I', text, t, step, err);
}

static int
ps_hold_install(const struct applier *a, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	return ps_call(a->fd, 'H', text, t, step, err);
}

static int
ps_activate(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	return ps_call_domains(a->fd, 'A', moved, nmoved, t, step, err);
}

static int
ps_sweep(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	return ps_call_domains(a->fd, 'S', moved, nmoved, t, step, err);
}

static int
ps_release(const struct applier *a, char **removed, const long long *since, size_t nremoved,
    char **held, size_t nheld, const char **step, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < nremoved; i++)
		strbuf_appendf(&sb, "-%s\t%lld\n", removed[i], since[i]);
	for (size_t i = 0; i < nheld; i++)
		strbuf_appendf(&sb, "+%s\n", held[i]);
	rc = ps_call(a->fd, 'R', sb.buf ? sb.buf : "", NULL, step, err);
	strbuf_clear(&sb);
	return rc;
}

static const struct applier_ops ps_applier_ops = {
	ps_install, ps_hold_install, ps_activate, ps_sweep, ps_release,
};

static void
ps_applier(struct applier *a, int fd)
{
	a->ops = &ps_applier_ops;
	a->cfg = NULL;
	a->fd = fd;
}
