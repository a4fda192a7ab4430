/*
 * check.c: `postroute-agent check` (see check.h): the driver, the output
 * lines, and the lines about the configuration, the controller and the
 * token. The Postfix lines are in checkpf.c, the log source in
 * checklog.c.
 */
#include "check.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentconf.h"
#include "checklog.h"
#include "checkpf.h"
#include "confpath.h"
#include "ctlclient.h"
#include "duration.h"
#include "feed.h"
#include "httpc.h"
#include "monotime.h"
#include "secretfile.h"
#include "xalloc.h"

/* A log not written for a day: Postfix logs every start, reload and
 * delivery, so a file that old is not where this Postfix logs. */
#define CHECK_LOG_AGE_MS (24LL * 3600 * 1000)

static const char *const check_words[] = { "ok", "FAIL", "skip" };

void
check_line(struct check *ck, enum check_status st, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *text;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	text = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(text, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	/* one line: line ends become spaces, none before a ";" or at the end */
	char *w = text;
	for (const char *p = text; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			size_t k = strspn(p, "\r\n\t ");
			while (w > text && w[-1] == ' ')
				w--;
			if (p[k] != '\0' && p[k] != ';' && p[k] != ')' && p[k] != ',')
				*w++ = ' ';
			p += k - 1;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	fprintf(ck->out, "%-4s %s: %s\n", check_words[st], name, text);
	fflush(ck->out);
	ck->count[st]++;
	free(text);
}

const char *
check_whoami(void)
{
	static char name[64];
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid %lu", (unsigned long)geteuid());
	return name;
}

/* ---- running a check as another user ---------------------------------- */

static noreturn void
check_child(const struct passwd *pw, int (*fn)(void *, struct strbuf *), void *arg, int fd)
{
	struct strbuf e = STRBUF_INIT;
	int rc = -1;

	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		strbuf_appendf(&e, "cannot become user %s: %s", pw->pw_name, strerror(errno));
	else
		rc = fn(arg, &e);
	if (e.len > 0 && write(fd, e.buf, e.len) < 0)
		rc = -1;
	_exit(rc == 0 ? 0 : 1);
}

/* The child's message and exit; -1 when it overran timeout_ms. */
static int
check_reap(pid_t pid, int fd, long timeout_ms, struct strbuf *err)
{
	long long t0 = monotime_ms();
	char buf[4096];
	int status = 0, ok = 1;

	for (;;) {
		long left = timeout_ms - (long)(monotime_ms() - t0);
		struct pollfd p = { fd, POLLIN, 0 };
		int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			kill(pid, SIGKILL);
			ok = 0;
			break;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_appendn(err, buf, (size_t)n);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!ok)
		strbuf_appendf(err, "no answer within %ld ms", timeout_ms);
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
check_as_user(const char *user, int (*fn)(void *arg, struct strbuf *err), void *arg,
    long timeout_ms, struct strbuf *err)
{
	struct passwd *pw;
	int fd[2];
	pid_t pid;

	if (user == NULL || user[0] == '\0')
		return fn(arg, err);
	if ((pw = getpwnam(user)) == NULL) {
		strbuf_appendf(err, "no such user %s", user);
		return -1;
	}
	if (pw->pw_uid == geteuid())
		return fn(arg, err);
	if (geteuid() != 0) {
		strbuf_appendf(err, "checking as user %s needs root: run check as root, as the "
		    "agent starts", user);
		return -1;
	}
	if (pipe(fd) != 0) {
		strbuf_appendf(err, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		strbuf_appendf(err, "fork: %s", strerror(errno));
		close(fd[0]), close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		check_child(pw, fn, arg, fd[1]);
	}
	close(fd[1]);
	int rc = check_reap(pid, fd[0], timeout_ms, err);
	close(fd[0]);
	return rc;
}

/* ---- config ---------------------------------------------------------- */

/* Loads the configuration as the agent does, but for the token. */
static int
check_config(struct check *ck, const char *given, struct agent_config *cfg)
{
	struct strbuf err = STRBUF_INIT;
	const char *path = confpath_pick(given, CONFPATH_AGENT, &err);
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (path != NULL && agentconf_load_flags(path, cfg, AGENTCONF_NO_TOKEN, &err) == 0)
		rc = 0;
	if (rc == 0) {
		check_line(ck, CHECK_OK, "config", "%s", path);
	} else {
		struct strbuf one = STRBUF_INIT;   /* "FILE:LINE: ..." lines, joined */
		for (const char *p = strbuf_str(&err); *p;) {
			size_t n = strcspn(p, "\n");
			if (n > 0)
				strbuf_appendf(&one, "%s%.*s", one.len ? "; " : "", (int)n, p);
			p += n + (p[n] == '\n');
		}
		check_line(ck, CHECK_FAIL, "config", "%s", strbuf_str(&one));
		strbuf_clear(&one);
	}
	strbuf_clear(&err);
	return rc;
}

/* ---- controller -------------------------------------------------------- */

static void
check_tls_words(const struct agent_config *cfg, const char *url, struct strbuf *out)
{
	if (strncmp(url, "https://", 8) != 0) {
		strbuf_append(out, httpc_url_cleartext_remote(url) ? "http without TLS "
		    "(insecure_http = yes: the token and routes cross the network in cleartext)" :
		    "http to loopback, no TLS");
		return;
	}
	strbuf_appendf(out, "TLS verified with %s%s%s", cfg->ca_file && cfg->ca_file[0] ?
	    "the CA of ca_file " : "the system's CA store", cfg->ca_file ? cfg->ca_file : "",
	    cfg->client_cert[0] ? ", client certificate presented" : "");
}

static void
check_controller(struct check *ck, const struct agent_config *cfg, struct httpc *h,
    const char *base)
{
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	char *url = xasprintf("%.*s/healthz", (int)n, base);
	struct httpc_request req = { .method = "GET", .url = url, .tls = &cfg->tls,
	    .connect_timeout_ms = (long)cfg->connect_timeout_ms,
	    .timeout_ms = (long)cfg->request_timeout_ms };
	struct httpc_response resp = { 0, STRBUF_INIT };
	struct strbuf e = STRBUF_INIT, how = STRBUF_INIT;

	if (httpc_do(h, &req, &resp, &e) != 0) {
		const char *s = strbuf_str(&e);
		int net = strstr(s, "SSL") == NULL && (strstr(s, "connect") != NULL ||
		    strstr(s, "resolve") != NULL || strstr(s, "Timeout") != NULL);
		check_line(ck, CHECK_FAIL, "controller", "%s%s", s, net ? "; is postrouted "
		    "running there, and can this host reach its port?" : "");
	} else if (resp.status != 200) {
		ctlclient_http_error(&resp, url, &how);
		check_line(ck, CHECK_FAIL, "controller", "%s; is this postrouted's URL (with "
		    "tls_client_ca: is client_cert signed by that CA)?", strbuf_str(&how));
	} else {
		check_tls_words(cfg, base, &how);
		check_line(ck, CHECK_OK, "controller", "%s: reachable, %s", base, strbuf_str(&how));
	}
	strbuf_clear(&resp.body);
	strbuf_clear(&e), strbuf_clear(&how);
	free(url);
}

static void
check_controllers(struct check *ck, const struct agent_config *cfg)
{
	struct httpc *h = httpc_new();

	for (size_t i = 0; i < cfg->nurls; i++)
		check_controller(ck, cfg, h, cfg->urls[i]);
	httpc_free(h);
}

/* ---- token ------------------------------------------------------------- */

/* The token file's words: "mode 0600, owner root". */
static void
check_token_file_words(const char *path, struct strbuf *out)
{
	struct stat sb;
	struct passwd *pw;

	if (stat(path, &sb) != 0)
		return;
	pw = getpwuid(sb.st_uid);
	strbuf_appendf(out, " (mode %04o, owner ", (unsigned)(sb.st_mode & 07777));
	if (pw != NULL)
		strbuf_appendf(out, "%s)", pw->pw_name);
	else
		strbuf_appendf(out, "uid %lu)", (unsigned long)sb.st_uid);
}

/* The token of token_file into cfg->token; 0, or -1 after a FAIL line. */
static int
check_token_read(struct check *ck, struct agent_config *cfg)
{
	struct strbuf e = STRBUF_INIT;
	char *tok = secretfile_read_line(cfg->token_file, "token file", &e);
	int missing = tok == NULL && access(cfg->token_file, F_OK) != 0 && errno == ENOENT;

	if (tok != NULL && strpbrk(tok, " \t") != NULL)
		strbuf_appendf(&e, "token file %s: no token on the first line", cfg->token_file);
	if (e.len > 0 && missing)
		check_line(ck, CHECK_FAIL, "token", "%s; write this node's agent token there, mode "
		    "0600 (postrouted token create --name %s --role agent --node %s)", strbuf_str(&e),
		    cfg->node, cfg->node);
	else if (e.len > 0)
		check_line(ck, CHECK_FAIL, "token", "%s", strbuf_str(&e));
	else
		cfg->token = xstrdup(tok);
	if (tok != NULL)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	strbuf_clear(&e);
	return cfg->token != NULL ? 0 : -1;
}

/* What a refusal of the node's feed means, and what to do. */
static void
check_token_refused(struct check *ck, const struct agent_config *cfg,
    const struct httpc_response *resp, const char *url)
{
	struct strbuf why = STRBUF_INIT;

	ctlclient_http_error(resp, url, &why);
	if (resp->status == 401 || resp->status == 403)
		check_line(ck, CHECK_FAIL, "token", "%s: the controller refused it (%s): %s; write "
		    "an agent token of node %s there (postrouted token create --name %s --role agent "
		    "--node %s)", cfg->token_file, strbuf_str(&why), resp->status == 401 ?
		    "the token is unknown or revoked" : "it is not an agent token of this node",
		    cfg->node, cfg->node, cfg->node);
	else if (resp->status == 404)
		check_line(ck, CHECK_FAIL, "token", "%s: the controller has no node %s (%s): add it "
		    "(postroute node add %s --role server|relay) or correct [agent] node",
		    cfg->token_file, cfg->node, strbuf_str(&why), cfg->node);
	else
		check_line(ck, CHECK_FAIL, "token", "%s: the node's feed was refused (%s)",
		    cfg->token_file, strbuf_str(&why));
	strbuf_clear(&why);
}

/* The token line; on acceptance the node's feed goes to cf. */
static void
check_token(struct check *ck, struct agent_config *cfg, struct check_feed *cf)
{
	struct httpc_response resp = { 0, STRBUF_INIT };
	struct strbuf e = STRBUF_INIT, path = STRBUF_INIT, words = STRBUF_INIT;
	struct ctlclient cc;

	if (check_token_read(ck, cfg) != 0) {
		strbuf_append(&cf->why, "the token file was refused (see token)");
		return;
	}
	check_token_file_words(cfg->token_file, &words);
	ctlclient_init(&cc, cfg, NULL, NULL);
	strbuf_append(&path, "/v1/nodes/");
	httpc_escape(&path, cfg->node);
	strbuf_append(&path, "/transport");
	if (ctlclient_call(&cc, "GET", strbuf_str(&path), NULL, (long)cfg->request_timeout_ms, &resp,
	    &e) != 0) {
		check_line(ck, CHECK_SKIP, "token", "%s is private%s; no controller answered to "
		    "confirm it (see controller)", cfg->token_file, strbuf_str(&words));
		strbuf_append(&cf->why, "no controller answered (see controller)");
	} else if (resp.status != 200) {
		check_token_refused(ck, cfg, &resp, ctlclient_url(&cc));
		strbuf_append(&cf->why, "the controller refused the token (see token)");
	} else {
		check_line(ck, CHECK_OK, "token", "%s: private%s, accepted by %s for node %s",
		    cfg->token_file, strbuf_str(&words), ctlclient_url(&cc), cfg->node);
		cf->state = feed_parse(strbuf_str(&resp.body), cfg->node, &cf->f, &cf->why) == 0 ? 1 : -1;
	}
	ctlclient_clear(&cc);
	strbuf_clear(&resp.body);
	strbuf_clear(&e), strbuf_clear(&path), strbuf_clear(&words);
}

/* ---- the command ----------------------------------------------------- */

static void
check_usage(FILE *fp)
{
	fprintf(fp, "usage: postroute-agent check [-c FILE] [--log-age DURATION]\n"
	    "FILE defaults to " CONFPATH_AGENT "; DURATION (default 24h): the longest the log "
	    "may go unwritten\n");
}

/* 0, 1 for help, -1 on a usage error. */
static int
check_parse(int argc, char **argv, const char **conf, long long *age_ms)
{
	*conf = NULL;
	*age_ms = CHECK_LOG_AGE_MS;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			*conf = argv[++i];
		} else if (strcmp(argv[i], "--log-age") == 0 && i + 1 < argc) {
			if (duration_parse_ms(argv[++i], age_ms) != 0 || *age_ms <= 0) {
				fprintf(stderr, "postroute-agent check: --log-age: \"%s\" is not a "
				    "duration such as 30m, 6h or 2d\n", argv[i]);
				return -1;
			}
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return 1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Every line after config, for a configuration that loaded. */
static void
check_all(struct check *ck, struct agent_config *cfg)
{
	struct check_feed cf = { 0 };

	httpc_global_init();
	check_controllers(ck, cfg);
	check_token(ck, cfg, &cf);
	checkpf_maincf(ck, cfg);
	checkpf_services(ck, cfg, &cf);
	checklog_run(ck, cfg);
	checkpf_postmap(ck, cfg);
	checkpf_postqueue(ck, cfg);
	feed_clear(&cf.f);
	strbuf_clear(&cf.why);
}

int
check_main(int argc, char **argv)
{
	struct check ck = { stdout, { 0, 0, 0 }, 0 };
	struct agent_config cfg;
	const char *conf;
	int rc = check_parse(argc, argv, &conf, &ck.log_age_ms);

	if (rc != 0) {
		check_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (check_config(&ck, conf, &cfg) == 0) {
		check_all(&ck, &cfg);
	} else {
		static const char *const rest[] = { "controller", "token", "transport_maps",
			"smtpd_sender_restrictions", "master.cf", "log", "postmap", "postqueue", NULL };
		for (size_t i = 0; rest[i] != NULL; i++)
			check_line(&ck, CHECK_SKIP, rest[i], "needs a configuration that loads (see config)");
	}
	agentconf_free(&cfg);
	fprintf(ck.out, "check: %u ok, %u failed, %u skipped\n", ck.count[CHECK_OK],
	    ck.count[CHECK_FAIL], ck.count[CHECK_SKIP]);
	return ck.count[CHECK_FAIL] > 0 ? 1 : 0;
}
