/*
 * pfx.c: private Postfix instances and smtp-sink relays (see pfx.h).
 */
#include "pfx.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static const char pfx_master[] =
    "127.0.0.1:%d inet n - n - - smtpd\n"
    "pickup    unix  n       -       n       60      1       pickup\n"
    "cleanup   unix  n       -       n       -       0       cleanup\n"
    "qmgr      unix  n       -       n       300     1       qmgr\n"
    "rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce    unix  -       -       n       -       0       bounce\n"
    "defer     unix  -       -       n       -       0       bounce\n"
    "trace     unix  -       -       n       -       0       bounce\n"
    "verify    unix  -       -       n       -       1       verify\n"
    "flush     unix  n       -       n       1000?   0       flush\n"
    "proxymap  unix  -       -       n       -       -       proxymap\n"
    "smtp      unix  -       -       n       -       -       smtp\n"
    "relay     unix  -       -       n       -       -       smtp\n"
    "showq     unix  n       -       n       -       -       showq\n"
    "error     unix  -       -       n       -       -       error\n"
    "retry     unix  -       -       n       -       -       error\n"
    "discard   unix  -       -       n       -       -       discard\n"
    "anvil     unix  -       -       n       -       1       anvil\n"
    "scache    unix  -       -       n       -       1       scache\n"
    "postlog   unix-dgram n  -       n       -       1       postlogd\n";

static const char pfx_main[] =
    "compatibility_level = 3.6\n"
    "queue_directory = %s\n"
    "data_directory = %s\n"
    "mail_owner = postfix\n"
    "setgid_group = postdrop\n"
    "myhostname = %s.pfx.test\n"
    "mydomain = pfx.test\n"
    "myorigin = pfx.test\n"
    "mydestination =\n"
    "relay_domains =\n"
    "alias_maps =\n"
    "alias_database =\n"
    "local_recipient_maps =\n"
    "inet_interfaces = 127.0.0.1\n"
    "inet_protocols = ipv4\n"
    "mynetworks = 127.0.0.0/8\n"
    "smtpd_relay_restrictions = permit_mynetworks, reject\n"
    "smtp_dns_support_level = disabled\n"
    "smtp_host_lookup = native\n"
    "smtp_tls_security_level = none\n"
    "smtpd_tls_security_level = none\n"
    "maillog_file = %s\n"
    "maillog_file_prefixes = %s\n"
    "default_transport = %s\n"
    "transport_maps = %s:%s\n"
    "queue_run_delay = 10s\n"
    "minimal_backoff_time = 10s\n"
    "maximal_backoff_time = 60s\n"
    "smtp_connect_timeout = 5s\n"
    "biff = no\n"
    "append_dot_mydomain = no\n";

/* SMTP AUTH for pfx_start_sasl; %s: map type, hold map. */
static const char pfx_main_sasl[] =
    "smtpd_sasl_auth_enable = yes\n"
    "smtpd_sasl_type = cyrus\n"
    "smtpd_sasl_path = smtpd\n"
    "cyrus_sasl_config_path = %s\n"
    "smtpd_sasl_security_options = noanonymous\n"
    "smtpd_sender_restrictions = check_sasl_access %s:%s\n";

static const char pfx_smtpd_conf[] =
    "pwcheck_method: auxprop\n"
    "auxprop_plugin: sasldb\n"
    "sasldb_path: %s/sasldb2\n"
    "mech_list: PLAIN LOGIN\n";

/*
 * Everything started and not yet stopped, so that a test failing half-way
 * (cmocka jumps out of it) leaves no Postfix or smtp-sink running: an
 * atexit handler stops what is left.
 */
#define PFX_LIVE_MAX 64
static struct pfx *pfx_live[PFX_LIVE_MAX];
static struct pfx_sink *pfx_sinks_live[PFX_LIVE_MAX];

static void
pfx_stop_all(void)
{
	for (int i = 0; i < PFX_LIVE_MAX; i++) {
		if (pfx_live[i] != NULL)
			pfx_stop(pfx_live[i]);
		if (pfx_sinks_live[i] != NULL)
			pfx_sink_stop(pfx_sinks_live[i]);
	}
}

static void
pfx_track(void **slots, void *p, void *old)
{
	static int registered;

	if (!registered) {
		atexit(pfx_stop_all);
		registered = 1;
	}
	for (int i = 0; i < PFX_LIVE_MAX; i++) {
		if (slots[i] == old) {
			slots[i] = p;
			return;
		}
	}
}

/* Writes path with an mtime in the past (a "hot" main.cf stalls commands). */
static void
pfx_write_cold(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp", path);
	struct timeval tv[2];

	tl_write_file(tmp, text);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 10;
	tv[1] = tv[0];
	utimes(tmp, tv);
	if (rename(tmp, path) != 0)
		fail_msg("rename %s: %s", tmp, strerror(errno));
	free(tmp);
}

static void
pfx_run(char *const argv[], const char *what)
{
	char *out = NULL, *err = NULL;
	int rc = tl_run(argv, &out, &err, 60);

	if (rc != 0)
		fail_msg("%s: exit %d: %s%s", what, rc, out, err);
	free(out), free(err);
}

/* main.cf lines for SASL, and its smtpd.conf in DIR/etc/sasl. */
static char *
pfx_sasl_config(struct pfx *p)
{
	char *dir = xasprintf("%s/sasl", p->conf_dir), *conf = xasprintf("%s/smtpd.conf", dir);
	char *text = xasprintf(pfx_smtpd_conf, dir);
	char *lines = xasprintf(pfx_main_sasl, dir, p->map_type, p->hold);

	mkdir(dir, 0755);
	tl_write_file(conf, text);
	free(dir), free(conf), free(text);
	return lines;
}

static void
pfx_config(struct pfx *p, const char *name, const char *default_transport)
{
	char *data = xasprintf("%s/data", p->dir);
	char *base = xasprintf(pfx_main, p->queue_dir, data, name, p->maillog, p->dir,
	    default_transport ? default_transport : "retry:no route", p->map_type, p->transport);
	char *master = xasprintf(pfx_master, p->port), *sasl = NULL, *main_cf;
	char *path;
	struct passwd *pw = getpwnam("postfix");

	mkdir(p->conf_dir, 0755), mkdir(p->queue_dir, 0755), mkdir(data, 0700), mkdir(p->map_dir, 0755);
	if (p->hold != NULL)
		sasl = pfx_sasl_config(p);
	main_cf = xasprintf("%s%s", base, sasl ? sasl : "");
	free(base), free(sasl);
	if (pw == NULL || chown(data, pw->pw_uid, pw->pw_gid) != 0)
		fail_msg("chown %s to postfix: %s", data, strerror(errno));
	path = xasprintf("%s/master.cf", p->conf_dir);
	pfx_write_cold(path, master);
	free(path);
	path = xasprintf("%s/main.cf", p->conf_dir);
	pfx_write_cold(path, main_cf);
	free(path), free(data), free(main_cf), free(master);
}

/*
 * postfix start; when smtpd's port was taken meanwhile (ports come from
 * the range the kernel also gives to outgoing connections, and tests run
 * side by side), again on another port.
 */
static void
pfx_start_listening(struct pfx *p)
{
	char *start[] = { "/usr/sbin/postfix", "-c", p->conf_dir, "start", NULL };
	char *path = xasprintf("%s/master.cf", p->conf_dir);

	for (int tries = 0; tries < 5; tries++) {
		int taken = pfx_log_count(p, "Address already in use");
		char *out = NULL, *err = NULL;
		int rc = tl_run(start, &out, &err, 60);
		if (rc == 0 || pfx_log_count(p, "Address already in use") == taken) {
			if (rc != 0)
				fail_msg("postfix start: exit %d: %s%s (log: %s)", rc, out, err, p->maillog);
			free(out), free(err), free(path);
			return;
		}
		free(out), free(err);
		p->port = tl_free_port();
		char *master = xasprintf(pfx_master, p->port);
		pfx_write_cold(path, master);
		free(master);
	}
	fail_msg("postfix start: no free port (log: %s)", p->maillog);
}

/* An empty map of the instance's type at path. */
static void
pfx_empty_map(const struct pfx *p, const char *path)
{
	char *map = xasprintf("%s:%s", p->map_type, path);
	char *pm[] = { "/usr/sbin/postmap", "-c", p->conf_dir, map, NULL };

	tl_write_file(path, "");
	pfx_run(pm, "postmap");
	free(map);
}

static struct pfx *
pfx_start_opt(const char *name, const char *map_type, const char *default_transport, int sasl)
{
	struct pfx *p = xcalloc(1, sizeof(*p));

	p->dir = tl_mkdtemp(name);
	p->conf_dir = xasprintf("%s/etc", p->dir);
	p->queue_dir = xasprintf("%s/queue", p->dir);
	p->maillog = xasprintf("%s/maillog", p->dir);
	p->map_dir = xasprintf("%s/maps", p->dir);
	p->transport = xasprintf("%s/transport", p->map_dir);
	p->hold = sasl ? xasprintf("%s/hold", p->map_dir) : NULL;
	p->map_type = xstrdup(map_type);
	p->port = tl_free_port();
	pfx_config(p, name, default_transport);
	pfx_empty_map(p, p->transport);
	if (p->hold != NULL)
		pfx_empty_map(p, p->hold);
	pfx_start_listening(p);
	pfx_track((void **)pfx_live, p, NULL);
	return p;
}

struct pfx *
pfx_start(const char *name, const char *map_type, const char *default_transport)
{
	return pfx_start_opt(name, map_type, default_transport, 0);
}

struct pfx *
pfx_start_sasl(const char *name, const char *map_type, const char *default_transport)
{
	return pfx_start_opt(name, map_type, default_transport, 1);
}

int
pfx_sasl_user(const struct pfx *p, const char *login, const char *password)
{
	const char *at = strrchr(login, '@');
	char *db = xasprintf("%s/sasl/sasldb2", p->conf_dir), *user, *realm;
	struct passwd *pw = getpwnam("postfix");
	int rc;

	if (at == NULL)
		fail_msg("pfx_sasl_user: %s: no realm", login);
	user = xstrndup(login, (size_t)(at - login)), realm = xstrdup(at + 1);
	char *argv[] = { "/usr/sbin/saslpasswd2", "-p", "-c", "-f", db, "-u", realm, user, NULL };
	int fd[2];
	pid_t pid;
	if (pipe(fd) != 0)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		dup2(fd[0], 0);
		close(fd[0]), close(fd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[0]);
	if (write(fd[1], password, strlen(password)) != (ssize_t)strlen(password))
		print_error("saslpasswd2: short write\n");
	close(fd[1]);
	waitpid(pid, &rc, 0);
	rc = WIFEXITED(rc) && WEXITSTATUS(rc) == 0 ? 0 : -1;
	/* smtpd reads it as postfix */
	if (rc == 0 && (pw == NULL || chown(db, pw->pw_uid, pw->pw_gid) != 0))
		rc = -1;
	free(db), free(user), free(realm);
	return rc;
}

struct pfx_upload {
	const char *text;
	size_t off, len;
};

static size_t
pfx_curl_read(char *buf, size_t size, size_t n, void *arg)
{
	struct pfx_upload *u = arg;
	size_t k = u->len - u->off < size * n ? u->len - u->off : size * n;

	memcpy(buf, u->text + u->off, k);
	u->off += k;
	return k;
}

int
pfx_submit(const struct pfx *p, const char *login, const char *password, const char *from,
    const char *rcpt, const char *subject)
{
	char *url = xasprintf("smtp://127.0.0.1:%d", p->port);
	char *env_from = xasprintf("<%s>", from), *env_rcpt = xasprintf("<%s>", rcpt);
	char *msg = xasprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\ntest\r\n", from, rcpt,
	    subject);
	struct pfx_upload up = { msg, 0, strlen(msg) };
	struct curl_slist *rcpts = curl_slist_append(NULL, env_rcpt);
	CURL *c = curl_easy_init();
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERNAME, login);
	curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, pfx_curl_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		print_message("submit as %s: %s\n", login, curl_easy_strerror(rc));
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	free(url), free(env_from), free(env_rcpt), free(msg);
	return rc == CURLE_OK ? 0 : -1;
}

/* Occurrences of needle in text (0 for NULL text). */
static int
pfx_count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *q = text; q != NULL && (q = strstr(q, needle)) != NULL; q++)
		n++;
	return n;
}

int
pfx_queue_count(const struct pfx *p, const char *queue_name)
{
	char *argv[] = { "/usr/sbin/postqueue", "-c", p->conf_dir, "-j", NULL };
	char *out = NULL, *needle = queue_name ? xasprintf("\"queue_name\": \"%s\"", queue_name)
	    : xstrdup("\"queue_name\": \"");
	int n;

	tl_run(argv, &out, NULL, 30);
	n = pfx_count(out, needle);
	free(out), free(needle);
	return n;
}

void
pfx_stop(struct pfx *p)
{
	if (p == NULL)
		return;
	pfx_track((void **)pfx_live, NULL, p);
	char *argv[] = { "/usr/sbin/postfix", "-c", p->conf_dir, "stop", NULL };
	char *out = NULL, *err = NULL;
	tl_run(argv, &out, &err, 30);
	free(out), free(err);
	free(p->dir), free(p->conf_dir), free(p->queue_dir), free(p->maillog);
	free(p->map_dir), free(p->transport), free(p->hold), free(p->map_type);
	free(p);
}

static int
pfx_connects(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	inet_pton(AF_INET, ip, &sa.sin_addr);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static pid_t
pfx_sink_spawn(const struct pfx_sink *s, const char *name, const char *reject_reply,
    int delay_s)
{
	char *pattern = xasprintf("%s/%%Y%%m%%d%%H%%M%%S.", s->dir);
	char *addr = xasprintf("%s:%d", s->ip, s->port);
	char *wait = xasprintf("MAIL:%d", delay_s);
	const char *argv[24];
	int n = 0;
	pid_t pid;

	argv[n++] = "smtp-sink", argv[n++] = "-4", argv[n++] = "-u", argv[n++] = "nobody";
	argv[n++] = "-h", argv[n++] = name;
	if (reject_reply != NULL && reject_reply[0] == '5')
		argv[n++] = "-f", argv[n++] = "RCPT", argv[n++] = "-B", argv[n++] = reject_reply;
	else if (reject_reply != NULL)
		argv[n++] = "-r", argv[n++] = "RCPT", argv[n++] = "-b", argv[n++] = reject_reply;
	if (delay_s > 0)
		argv[n++] = "-W", argv[n++] = wait;
	argv[n++] = "-d", argv[n++] = pattern, argv[n++] = addr, argv[n++] = "64";
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		setpgid(0, 0);
		execv("/usr/sbin/smtp-sink", (char *const *)argv);
		_exit(127);
	}
	free(pattern), free(addr), free(wait);
	return pid;
}

/* 1 when the sink listens, 0 when it exited (port taken), else fails. */
static int
pfx_sink_ready(struct pfx_sink *s)
{
	for (int i = 0; i < 250; i++) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
			return 0;
		if (pfx_connects(s->ip, s->port)) {
			usleep(20000);   /* still alive: the listener is ours */
			if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
				return 0;
			return 1;
		}
		usleep(20000);
	}
	fail_msg("smtp-sink on %s:%d does not listen", s->ip, s->port);
	return 0;
}

struct pfx_sink *
pfx_sink_start(const char *ip, const char *reject_reply)
{
	return pfx_sink_start_slow(ip, reject_reply, 0);
}

struct pfx_sink *
pfx_sink_start_slow(const char *ip, const char *reject_reply, int delay_s)
{
	struct pfx_sink *s = xcalloc(1, sizeof(*s));
	struct passwd *pw = getpwnam("nobody");
	static int seq;

	s->dir = tl_mkdtemp("sink");
	if (pw == NULL || chown(s->dir, pw->pw_uid, pw->pw_gid) != 0)
		fail_msg("chown %s: %s", s->dir, strerror(errno));
	s->ip = xstrdup(ip);
	char *name = xasprintf("sink%d-%d", (int)getpid(), ++seq);
	/* a port free on 127.0.0.1 may be taken on another 127.x address by a
	 * test running beside this one: try a few */
	for (int tries = 0; tries < 10; tries++) {
		s->port = tl_free_port();
		if (pfx_connects(s->ip, s->port))
			continue;
		s->pid = pfx_sink_spawn(s, name, reject_reply, delay_s);
		if (pfx_sink_ready(s)) {
			s->nexthop = xasprintf("smtp:[%s]:%d", ip, s->port);
			pfx_track((void **)pfx_sinks_live, s, NULL);
			free(name);
			return s;
		}
	}
	fail_msg("smtp-sink on %s: no port found", ip);
	return NULL;
}

void
pfx_sink_stop(struct pfx_sink *s)
{
	if (s == NULL)
		return;
	pfx_track((void **)pfx_sinks_live, NULL, s);
	kill(-s->pid, SIGTERM);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	free(s->dir), free(s->ip), free(s->nexthop);
	free(s);
}

int
pfx_sink_count(const struct pfx_sink *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n;
}

struct pfx_sink_wait {
	const struct pfx_sink *s;
	int n;
};

static int
pfx_sink_has(void *arg)
{
	struct pfx_sink_wait *w = arg;

	return pfx_sink_count(w->s) >= w->n;
}

int
pfx_sink_wait(const struct pfx_sink *s, int n, int timeout_ms)
{
	struct pfx_sink_wait w = { s, n };

	return tl_wait_for(pfx_sink_has, &w, timeout_ms);
}

int
pfx_send(const struct pfx *p, const char *rcpt, const char *subject)
{
	char *msg = xasprintf("From: sender@origin.test\nTo: %s\nSubject: %s\n\ntest\n", rcpt,
	    subject);
	int fd[2], status = -1;
	pid_t pid;

	if (pipe(fd) != 0)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		dup2(fd[0], 0);
		close(fd[0]), close(fd[1]);
		execl("/usr/sbin/sendmail", "sendmail", "-C", p->conf_dir, "-f", "sender@origin.test",
		    rcpt, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	if (write(fd[1], msg, strlen(msg)) != (ssize_t)strlen(msg))
		print_error("sendmail: short write\n");
	close(fd[1]);
	waitpid(pid, &status, 0);
	free(msg);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
pfx_file_count(const char *path, const char *needle)
{
	char *text = tl_read_file(path);
	int n = pfx_count(text, needle);

	free(text);
	return n;
}

int
pfx_log_count(const struct pfx *p, const char *needle)
{
	return pfx_file_count(p->maillog, needle);
}

/* A wait on a count of p's: log lines with name, or messages in queue name. */
struct pfx_count_wait {
	const struct pfx *p;
	const char *name;
	int n;
};

static int
pfx_log_has(void *arg)
{
	struct pfx_count_wait *w = arg;

	return pfx_log_count(w->p, w->name) >= w->n;
}

int
pfx_await_log(const struct pfx *p, const char *needle, int n, int timeout_ms)
{
	struct pfx_count_wait w = { p, needle, n };

	return tl_wait_for(pfx_log_has, &w, timeout_ms);
}

int
pfx_reloads(const struct pfx *p)
{
	return pfx_log_count(p, "reload -- version");
}

int
pfx_deferred(const struct pfx *p)
{
	return pfx_queue_count(p, "deferred");
}

void
pfx_postlog(const struct pfx *p, const char *tag, const char *text)
{
	char *argv[] = { "/usr/sbin/postlog", "-c", p->conf_dir, "-t", (char *)tag, (char *)text, NULL };
	int rc = tl_run(argv, NULL, NULL, 30);

	if (rc != 0 || !pfx_await_log(p, text, 1, 10000))
		fail_msg("postlog \"%s\": exit %d, not in %s", text, rc, p->maillog);
}

int
pfx_reload_requests(const struct pfx *p)
{
	static int marks;
	char *mark = xasprintf("barrier %d.%d", (int)getpid(), ++marks);

	pfx_postlog(p, "postroute-test", mark);
	free(mark);
	return pfx_log_count(p, "refreshing the Postfix mail system");
}

struct pfx_lookup_wait {
	const struct pfx *p;
	const char *key;
	char *value;
};

static int
pfx_lookup_has(void *arg)
{
	struct pfx_lookup_wait *w = arg;

	return (w->value = pfx_lookup(w->p, w->key)) != NULL;
}

char *
pfx_await_lookup(const struct pfx *p, const char *key, int timeout_ms)
{
	struct pfx_lookup_wait w = { p, key, NULL };

	if (!tl_wait_for(pfx_lookup_has, &w, timeout_ms))
		fail_msg("%s not in %s:%s", key, p->map_type, p->transport);
	return w.value;
}

char *
pfx_lookup(const struct pfx *p, const char *key)
{
	char *map = xasprintf("%s:%s", p->map_type, p->transport);
	char *argv[] = { "/usr/sbin/postmap", "-c", p->conf_dir, "-q", (char *)key, map, NULL };
	char *out = NULL;
	int rc = tl_run(argv, &out, NULL, 30);

	free(map);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static int
pfx_queue_has(void *arg)
{
	struct pfx_count_wait *w = arg;

	return pfx_queue_count(w->p, w->name) == w->n;
}

void
pfx_await_queue(const struct pfx *p, const char *queue_name, int n, int timeout_ms)
{
	struct pfx_count_wait w = { p, queue_name, n };

	if (!tl_wait_for(pfx_queue_has, &w, timeout_ms))
		fail_msg("%d message(s) in the %s queue, wanted %d (log: %s)",
		    pfx_queue_count(p, queue_name), queue_name, n, p->maillog);
}

static int
pfx_settled(void *arg)
{
	const struct pfx *p = arg;

	return pfx_queue_count(p, NULL) == pfx_queue_count(p, "hold");
}

void
pfx_await_settled(const struct pfx *p, int timeout_ms)
{
	if (!tl_wait_for(pfx_settled, (void *)p, timeout_ms))
		fail_msg("%d message(s) still queued outside the hold queue (log: %s)",
		    pfx_queue_count(p, NULL) - pfx_queue_count(p, "hold"), p->maillog);
}
