/*
 * proc.h: run an external command with a fixed argv, a timeout and
 * captured output.
 *
 * NAME
 *	proc - fork/exec without a shell
 *
 * DESCRIPTION
 *	proc_run forks, execs argv[0] (an absolute path: no PATH search, no
 *	shell), feeds stdin_data (or /dev/null) to the child, collects its
 *	stdout and stderr (each capped at PROC_MAX_OUTPUT; the rest is
 *	read and dropped) and waits at most timeout_ms. On timeout the
 *	child's process group is killed with SIGKILL and reaped.
 *
 * OWNERSHIP
 *	struct proc_result owns its two buffers: proc_result_clear.
 *
 * DIAGNOSTICS
 *	proc_run returns 0 when the child ran and exited (whatever its
 *	status), -1 when it could not be started, was killed by a signal or
 *	timed out; err then says which, naming argv[0]. Never fatal.
 *
 * SECURITY
 *	The agent runs Postfix commands as root: argv is built by the
 *	caller from validated values only, the child gets a closed stdin
 *	unless data is given, and no file descriptor of the agent other
 *	than the three standard ones survives the exec: the child closes
 *	every descriptor above 2 (close_range(2), or a close() per possible
 *	descriptor on a kernel without it), whatever its number and whether
 *	or not it was opened close-on-exec.
 */
#ifndef POSTROUTE_PROC_H
#define POSTROUTE_PROC_H

#include "strbuf.h"

#define PROC_MAX_OUTPUT (256L * 1024 * 1024)

struct proc_result {
	int status;           /* exit status when exited, else -1 */
	int signal;           /* terminating signal, or 0 */
	int timed_out;        /* 1 when killed for the timeout */
	long elapsed_ms;
	struct strbuf out;
	struct strbuf err;
};

int proc_run(char *const argv[], const char *stdin_data, long timeout_ms,
    struct proc_result *res, struct strbuf *err);
void proc_result_clear(struct proc_result *res);

/*
 * Runs n commands, at most width at once, stdin and output on /dev/null.
 * status[i] is command i's exit status, or -1 when it was killed by a
 * signal or by the deadline (timeout_ms for the whole batch). Returns how
 * many exited 0. For many short commands whose output does not matter
 * (postqueue -i per queue id).
 */
size_t proc_run_parallel(char **argvs[], size_t n, size_t width, long timeout_ms,
    int *status);

/* Appends argv joined by spaces (for messages). */
void proc_argv_str(char *const argv[], struct strbuf *out);

#endif
