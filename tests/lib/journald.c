/*
 * journald.c: a private systemd-journald and a writer in a unit's control
 * group (see journald.h).
 */
#include "journald.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <systemd/sd-journal.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define JOURNALD_BIN "/lib/systemd/systemd-journald"
#define JOURNALD_DGRAM_MAX (1024 * 1024)

static const char journald_conf[] =
    "[Journal]\n"
    "Storage=volatile\n"
    "RateLimitIntervalSec=0\n"
    "RateLimitBurst=0\n"
    "ReadKMsg=no\n"
    "Audit=no\n"
    "ForwardToSyslog=no\n"
    "ForwardToKMsg=no\n"
    "ForwardToConsole=no\n"
    "ForwardToWall=no\n"
    "RuntimeMaxUse=512M\n";

/* In the child: a namespace of its own, the test's directories over the
 * paths journald uses, then journald. Never returns. */
static void
journald_exec(const struct journald *jd)
{
	char *run = xasprintf("%s/run", jd->dir), *log = xasprintf("%s/log", jd->dir);
	char *out = xasprintf("%s/journald.log", jd->dir);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0)
		dup2(fd, 1), dup2(fd, 2);
	/* a test that fails or crashes leaves no journald behind */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		_exit(125);
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0 ||
	    mkdir("/run/systemd", 0755) != 0 || mkdir("/run/log", 0755) != 0 ||
	    mount(run, "/run/systemd", NULL, MS_BIND, NULL) != 0 ||
	    mount(log, "/run/log", NULL, MS_BIND, NULL) != 0) {
		fprintf(stderr, "journald: private mounts: %s\n", strerror(errno));
		_exit(126);
	}
	execl(JOURNALD_BIN, "systemd-journald", (char *)NULL);
	fprintf(stderr, "journald: exec %s: %s\n", JOURNALD_BIN, strerror(errno));
	_exit(127);
}

static int
journald_ready(void *arg)
{
	const struct journald *jd = arg;
	char *pat = xasprintf("%s/*/system.journal", jd->directory);
	glob_t g;
	int ok = access(jd->socket, F_OK) == 0 && glob(pat, 0, NULL, &g) == 0;

	if (ok)
		globfree(&g);
	free(pat);
	return ok || waitpid(jd->pid, NULL, WNOHANG) != 0;
}

static int
journald_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 8 * 1024 * 1024;

	if (s < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* The cgroup v2 hierarchy journald reads units from. */
static const char *
journald_cgroup_root(void)
{
	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
		return "/sys/fs/cgroup/unified";
	if (access("/sys/fs/cgroup/cgroup.procs", F_OK) == 0)
		return "/sys/fs/cgroup";
	return NULL;
}

/* The writer: joins the unit's control group, then forwards each
 * datagram from the test to journald and answers with errno (0: sent). */
static void
journald_writer(const struct journald *jd, int fd)
{
	char *procs = xasprintf("%s/cgroup.procs", jd->cgroup), pid[32];
	char *buf = xmalloc(JOURNALD_DGRAM_MAX);
	int out = open(procs, O_WRONLY | O_CLOEXEC), s;
	ssize_t n;

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (out < 0 || write(out, pid, strlen(pid)) < 0 || (s = journald_connect(jd->socket)) < 0) {
		unsigned char e = (unsigned char)errno;
		(void)!write(fd, &e, 1);
		_exit(1);
	}
	close(out);
	unsigned char ok = 0;
	(void)!write(fd, &ok, 1);
	while ((n = recv(fd, buf, JOURNALD_DGRAM_MAX, 0)) > 0) {
		unsigned char e = send(s, buf, (size_t)n, 0) == n ? 0 : (unsigned char)errno;
		if (write(fd, &e, 1) != 1)
			break;
	}
	_exit(0);
}

static void
journald_start_writer(struct journald *jd, const char *unit)
{
	const char *root = journald_cgroup_root();
	int sv[2], big = JOURNALD_DGRAM_MAX;
	unsigned char e = 0;

	if (root == NULL)
		fail_msg("journald: no cgroup v2 hierarchy (/sys/fs/cgroup/unified or /sys/fs/cgroup)");
	char *slice = xasprintf("%s/postroute-test.slice", root);
	jd->cgroup = xasprintf("%s/%s", slice, unit);
	if ((mkdir(slice, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(jd->cgroup, 0755) != 0 && errno != EEXIST))
		fail_msg("journald: mkdir %s: %s", jd->cgroup, strerror(errno));
	free(slice);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		fail_msg("socketpair: %s", strerror(errno));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if ((jd->writer = fork()) == 0) {
		/* only its own socket: another journald's writer socket held
		 * here would keep that writer from seeing its end */
		if (dup2(sv[1], 3) != 3 || close_range(4, ~0U, 0) != 0)
			_exit(1);
		journald_writer(jd, 3);
	}
	close(sv[1]);
	jd->wfd = sv[0];
	if (read(jd->wfd, &e, 1) != 1 || e != 0)
		fail_msg("journald: the writer cannot join %s or reach %s: %s", jd->cgroup,
		    jd->socket, strerror(e));
}

struct journald *
journald_start(const char *unit)
{
	struct journald *jd = xcalloc(1, sizeof(*jd));

	jd->wfd = -1;
	if (access(JOURNALD_BIN, X_OK) != 0)
		fail_msg("%s: %s (package systemd)", JOURNALD_BIN, strerror(errno));
	jd->dir = tl_mkdtemp("journald");
	jd->directory = xasprintf("%s/log/journal", jd->dir);
	jd->socket = xasprintf("%s/run/journal/socket", jd->dir);
	char *run = xasprintf("%s/run", jd->dir), *log = xasprintf("%s/log", jd->dir);
	char *dropin = xasprintf("%s/run/journald.conf.d", jd->dir);
	char *conf = xasprintf("%s/zz-postroute-test.conf", dropin);
	if (mkdir(run, 0755) != 0 || mkdir(log, 0755) != 0 || mkdir(dropin, 0755) != 0)
		fail_msg("mkdir in %s: %s", jd->dir, strerror(errno));
	tl_write_file(conf, journald_conf);
	free(run), free(log), free(dropin), free(conf);
	if ((jd->pid = fork()) == 0)
		journald_exec(jd);
	if (!tl_wait_for(journald_ready, jd, 10000) || waitpid(jd->pid, NULL, WNOHANG) != 0) {
		char *p = xasprintf("%s/journald.log", jd->dir);
		fail_msg("journald did not start (needs root and mount namespaces):\n%s",
		    tl_read_file(p));
	}
	if (unit != NULL)
		journald_start_writer(jd, unit);
	return jd;
}

static void
journald_field(struct strbuf *sb, const char *key, const char *val, size_t len)
{
	uint64_t le = htole64((uint64_t)len);

	strbuf_append(sb, key);
	strbuf_appendc(sb, '\n');
	strbuf_appendn(sb, (const char *)&le, sizeof(le));
	strbuf_appendn(sb, val, len);
	strbuf_appendc(sb, '\n');
}

static void
journald_entry(struct strbuf *sb, const char *ident, const char *pid, const char *msg,
    size_t len)
{
	strbuf_append(sb, "PRIORITY=6\nSYSLOG_FACILITY=2\n");
	if (ident != NULL)
		journald_field(sb, "SYSLOG_IDENTIFIER", ident, strlen(ident));
	if (pid != NULL)
		journald_field(sb, "SYSLOG_PID", pid, strlen(pid));
	journald_field(sb, "MESSAGE", msg, len);
}

void
journald_send(struct journald *jd, const char *ident, const char *pid, const char *msg,
    size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char e = 0;

	if (jd->writer == 0)
		fail_msg("journald_send: no writer");
	journald_entry(&sb, ident, pid, msg, len);
	if (send(jd->wfd, sb.buf, sb.len, 0) != (ssize_t)sb.len || read(jd->wfd, &e, 1) != 1 ||
	    e != 0)
		fail_msg("journald_send: %s", strerror(e ? e : errno));
	strbuf_clear(&sb);
}

void
journald_send_self(struct journald *jd, const char *ident, const char *pid, const char *msg,
    size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	int s = journald_connect(jd->socket);

	journald_entry(&sb, ident, pid, msg, len);
	if (s < 0 || send(s, sb.buf, sb.len, 0) != (ssize_t)sb.len)
		fail_msg("journald_send_self: %s", strerror(errno));
	close(s);
	strbuf_clear(&sb);
}

int
journald_count(const struct journald *jd, const char *needle)
{
	sd_journal *j;
	const void *d;
	size_t n;
	int count = 0;

	if (sd_journal_open_directory(&j, jd->directory, 0) < 0)
		return -1;
	while (sd_journal_next(j) > 0)
		if (sd_journal_get_data(j, "MESSAGE", &d, &n) >= 0 &&
		    memmem(d, n, needle, strlen(needle)) != NULL)
			count++;
	sd_journal_close(j);
	return count;
}

struct journald_seen {
	const struct journald *jd;
	const char *needle;
	int n;
};

static int
journald_has(void *arg)
{
	struct journald_seen *s = arg;

	return journald_count(s->jd, s->needle) >= s->n;
}

void
journald_await(const struct journald *jd, const char *needle, int n, int timeout_ms)
{
	struct journald_seen s = { jd, needle, n };

	if (!tl_wait_for(journald_has, &s, timeout_ms))
		fail_msg("%d journal entries with \"%s\", wanted %d", journald_count(jd, needle),
		    needle, n);
}

void
journald_stop(struct journald *jd)
{
	if (jd == NULL)
		return;
	if (jd->writer > 0) {
		close(jd->wfd);
		kill(jd->writer, SIGTERM);
		waitpid(jd->writer, NULL, 0);
		rmdir(jd->cgroup);      /* the slice may be another test's too: left */
	}
	kill(jd->pid, SIGTERM);
	waitpid(jd->pid, NULL, 0);
	free(jd->dir), free(jd->directory), free(jd->socket), free(jd->cgroup);
	free(jd);
}
