/*
 * proc.c: fork/exec with pipes, poll and a deadline (see proc.h).
 *
 * An exec failure is reported through a close-on-exec pipe so that the
 * caller can tell "binary missing" (-1, errno text) from "exited 127".
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monotime.h"

void
proc_argv_str(char *const argv[], struct strbuf *out)
{
	for (size_t i = 0; argv[i] != NULL; i++)
		strbuf_appendf(out, "%s%s", i ? " " : "", argv[i]);
}

void
proc_result_clear(struct proc_result *res)
{
	strbuf_clear(&res->out);
	strbuf_clear(&res->err);
}

/* Closes every descriptor from lo to hi (inclusive) in a forked child:
 * close_range(2), or one close per possible descriptor where the kernel
 * lacks it (ENOSYS, before Linux 5.9). */
static void
proc_close_span(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0 || errno != ENOSYS)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	unsigned top = max > 0 && (unsigned long)max - 1 < hi ? (unsigned)max - 1 : hi;
	if (max <= 0)
		top = 65535 < hi ? 65535 : hi;
	for (unsigned fd = lo; fd <= top; fd++)
		close((int)fd);
}

/* Nothing the agent has open reaches the command: every descriptor above
 * 2 is closed, but keep (the exec error report, close-on-exec), or -1. */
static void
proc_close_inherited(int keep)
{
	if (keep < 3) {
		proc_close_span(3, ~0U);
		return;
	}
	proc_close_span(3, (unsigned)keep - 1);
	proc_close_span((unsigned)keep + 1, ~0U);
}

static void
proc_child(char *const argv[], int in, int out, int err, int report)
{
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	proc_close_inherited(report);
	execv(argv[0], argv);
	int e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Reads what is there from fd into sb (capped); clears *open at EOF. */
static void
proc_drain(int fd, struct strbuf *sb, int *open)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		if (sb->len + (size_t)n <= PROC_MAX_OUTPUT)
			strbuf_appendn(sb, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(fd);
		*open = 0;
	}
}

/* Writes what it can of data to fd; closes it when done. */
static void
proc_feed(int fd, const char *data, size_t len, size_t *off, int *open)
{
	ssize_t n = write(fd, data + *off, len - *off);

	if (n > 0)
		*off += (size_t)n;
	if ((n < 0 && errno != EINTR && errno != EAGAIN) || *off >= len) {
		close(fd);
		*open = 0;
	}
}

static int
proc_pipes(int p[4][2])
{
	for (int i = 0; i < 4; i++) {
		if (pipe2(p[i], O_CLOEXEC) != 0) {
			for (int j = 0; j < i; j++)
				close(p[j][0]), close(p[j][1]);
			return -1;
		}
	}
	return 0;
}

/* Reads what is left in a non-blocking pipe after the child exited. */
static void
proc_drain_rest(int fd, struct strbuf *sb, int *open)
{
	for (int i = 0; *open && i < 1024; i++) {
		size_t before = sb->len;
		proc_drain(fd, sb, open);
		if (*open && sb->len == before)
			break;   /* EAGAIN: a background grandchild holds the pipe */
	}
}

/*
 * Feeds stdin, collects output, until both pipes close, the child exits or
 * the deadline passes. The child's own exit ends the wait even when a
 * process it left in the background (postfix-script runs "postsuper &")
 * still holds the pipes. Returns 1 with *status when the child was reaped.
 */
static int
proc_loop(pid_t pid, int p[4][2], const char *data, long deadline,
    struct proc_result *res, int *status)
{
	int in_open = data != NULL, out_open = 1, err_open = 1, reaped = 0;
	size_t off = 0, len = data ? strlen(data) : 0;

	fcntl(p[1][0], F_SETFL, O_NONBLOCK);
	fcntl(p[2][0], F_SETFL, O_NONBLOCK);
	if (in_open)
		fcntl(p[0][1], F_SETFL, O_NONBLOCK);
	else
		close(p[0][1]);
	if (in_open && len == 0)
		close(p[0][1]), in_open = 0;
	while (out_open || err_open || in_open) {
		struct pollfd fds[3] = {
			{ out_open ? p[1][0] : -1, POLLIN, 0 },
			{ err_open ? p[2][0] : -1, POLLIN, 0 },
			{ in_open ? p[0][1] : -1, POLLOUT, 0 },
		};
		long left = deadline - monotime_ms();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			res->timed_out = 1;
			break;
		}
		if (poll(fds, 3, (int)(left > 20 ? 20 : left)) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			proc_drain(p[1][0], &res->out, &out_open);
		if (fds[1].revents)
			proc_drain(p[2][0], &res->err, &err_open);
		if (fds[2].revents)
			proc_feed(p[0][1], data, len, &off, &in_open);
		if (waitpid(pid, status, WNOHANG) == pid) {
			reaped = 1;
			proc_drain_rest(p[1][0], &res->out, &out_open);
			proc_drain_rest(p[2][0], &res->err, &err_open);
			break;
		}
	}
	if (out_open)
		close(p[1][0]);
	if (err_open)
		close(p[2][0]);
	if (in_open)
		close(p[0][1]);
	return reaped;
}

/* Waits for pid; after a timeout kill, reaps it at once. */
static int
proc_reap(pid_t pid, long deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (monotime_ms() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return 1;
		}
		usleep(1000);
	}
}

int
proc_run(char *const argv[], const char *stdin_data, long timeout_ms,
    struct proc_result *res, struct strbuf *err)
{
	int p[4][2], status = 0, exec_errno = 0;
	long start = monotime_ms(), deadline = start + timeout_ms;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (proc_pipes(p) != 0) {
		strbuf_appendf(err, "%s: pipe: %s", argv[0], strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		strbuf_appendf(err, "%s: fork: %s", argv[0], strerror(errno));
		for (int i = 0; i < 4; i++)
			close(p[i][0]), close(p[i][1]);
		return -1;
	}
	if (pid == 0) {
		if (stdin_data == NULL) {
			int null = open("/dev/null", O_RDONLY);
			proc_child(argv, null, p[1][1], p[2][1], p[3][1]);
		}
		proc_child(argv, p[0][0], p[1][1], p[2][1], p[3][1]);
	}
	setpgid(pid, pid);
	close(p[0][0]), close(p[1][1]), close(p[2][1]), close(p[3][1]);
	int reaped = proc_loop(pid, p, stdin_data, deadline, res, &status);
	if (read(p[3][0], &exec_errno, sizeof(exec_errno)) != (ssize_t)sizeof(exec_errno))
		exec_errno = 0;
	close(p[3][0]);
	if (!reaped && proc_reap(pid, res->timed_out ? 0 : deadline, &status) > 0)
		res->timed_out = 1;
	res->elapsed_ms = monotime_ms() - start;
	if (exec_errno != 0) {
		strbuf_appendf(err, "%s: cannot execute: %s", argv[0], strerror(exec_errno));
		return -1;
	}
	if (res->timed_out) {
		strbuf_appendf(err, "%s: timed out after %ld ms (killed)", argv[0], timeout_ms);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		strbuf_appendf(err, "%s: killed by signal %d", argv[0], res->signal);
		return -1;
	}
	res->status = WEXITSTATUS(status);
	return 0;
}

static pid_t
proc_spawn_quiet(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		proc_close_inherited(-1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* Reaps what finished; returns how many did. */
static size_t
proc_reap_some(pid_t *pids, size_t n, int *status, size_t *ok)
{
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		int st;
		if (pids[i] <= 0 || waitpid(pids[i], &st, WNOHANG) != pids[i])
			continue;
		status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		*ok += status[i] == 0;
		pids[i] = 0;
		done++;
	}
	return done;
}

size_t
proc_run_parallel(char **argvs[], size_t n, size_t width, long timeout_ms, int *status)
{
	pid_t *pids = calloc(n ? n : 1, sizeof(*pids));
	long deadline = monotime_ms() + timeout_ms;
	size_t next = 0, running = 0, ok = 0;

	if (pids == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		status[i] = -1;
	while (next < n || running > 0) {
		while (running < width && next < n) {
			pids[next] = proc_spawn_quiet(argvs[next]);
			running += pids[next] > 0;
			next++;
		}
		running -= proc_reap_some(pids, next, status, &ok);
		if (running > 0 && monotime_ms() >= deadline)
			break;
		if (running > 0)
			usleep(500);
	}
	for (size_t i = 0; i < next; i++) {
		if (pids[i] > 0) {
			kill(-pids[i], SIGKILL);
			kill(pids[i], SIGKILL);
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	free(pids);
	return ok;
}
