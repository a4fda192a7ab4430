/*
 * test_sec_child_fds.c: security finding "children close every inherited
 * descriptor". The agent runs Postfix commands as root; a descriptor the
 * agent left open without close-on-exec (a socket, the helper's socketpair,
 * a state file) must not reach them. Descriptors are leaked on purpose,
 * one low and one far above 1024 (the old code closed 3..1023 only), and
 * each way the agent starts a command (proc_run, proc_run_parallel) is
 * asked what its child can see.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "proc.h"
#include "testlib.h"
#include "xalloc.h"

#define HIGH_FD 1500

struct leak {
	char *marker;   /* a file whose name shows up in ls -l /proc/self/fd */
	int low, high;
};

/* Opens the marker file twice without O_CLOEXEC: at the lowest free
 * number and at HIGH_FD. */
static void
leak_open(struct leak *l)
{
	struct rlimit rl;
	char *dir = tl_mkdtemp("fds");

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur <= HIGH_FD) {
		if (rl.rlim_max <= HIGH_FD)
			skip();
		rl.rlim_cur = HIGH_FD + 1;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	l->marker = xasprintf("%s/leaked-descriptor-marker", dir);
	tl_write_file(l->marker, "x\n");
	l->low = open(l->marker, O_RDONLY);   /* no O_CLOEXEC, on purpose */
	assert_true(l->low > 2);
	assert_int_equal(dup2(l->low, HIGH_FD), HIGH_FD);   /* dup2 clears FD_CLOEXEC */
	l->high = HIGH_FD;
	assert_int_equal(fcntl(l->high, F_GETFD) & FD_CLOEXEC, 0);
	free(dir);
}

static void
leak_close(struct leak *l)
{
	close(l->low), close(l->high);
	free(l->marker);
}

static void
test_proc_run_closes_inherited(void **state)
{
	struct leak l;
	struct proc_result r;
	struct strbuf err = STRBUF_INIT;
	char *ls[] = { "/bin/ls", "-l", "/proc/self/fd/", NULL };

	(void)state;
	leak_open(&l);
	assert_int_equal(proc_run(ls, NULL, 10000, &r, &err), 0);
	assert_int_equal(r.status, 0);
	if (strstr(strbuf_str(&r.out), "leaked-descriptor-marker") != NULL)
		fail_msg("the child sees the agent's descriptors:\n%s", strbuf_str(&r.out));
	/* and with data on standard input (another pipe set-up) */
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("/proc/self/fd/%d", i ? l.high : l.low);
		char *t[] = { "/usr/bin/test", "-e", path, NULL };
		struct proc_result tr;
		assert_int_equal(proc_run(t, "input\n", 10000, &tr, &err), 0);
		if (tr.status == 0)
			fail_msg("descriptor %d reached the child", i ? l.high : l.low);
		assert_int_equal(tr.status, 1);
		proc_result_clear(&tr);
		free(path);
	}
	/* the check itself can see a descriptor the child does inherit: 0 */
	char *t0[] = { "/usr/bin/test", "-e", "/proc/self/fd/0", NULL };
	struct proc_result tr0;
	assert_int_equal(proc_run(t0, "input\n", 10000, &tr0, &err), 0);
	assert_int_equal(tr0.status, 0);
	proc_result_clear(&tr0);
	proc_result_clear(&r);
	strbuf_clear(&err);
	leak_close(&l);
}

static void
test_parallel_closes_inherited(void **state)
{
	struct leak l;
	int status[3];

	(void)state;
	leak_open(&l);
	char *low = xasprintf("/proc/self/fd/%d", l.low), *high = xasprintf("/proc/self/fd/%d", l.high);
	char *a0[] = { "/usr/bin/test", "-e", low, NULL };
	char *a1[] = { "/usr/bin/test", "-e", high, NULL };
	char *a2[] = { "/usr/bin/test", "-e", "/proc/self/fd/2", NULL };
	char **argvs[] = { a0, a1, a2 };
	assert_int_equal(proc_run_parallel(argvs, 3, 3, 10000, status), 1);
	assert_int_equal(status[0], 1);   /* absent */
	assert_int_equal(status[1], 1);
	assert_int_equal(status[2], 0);   /* standard error is there */
	free(low), free(high);
	leak_close(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_run_closes_inherited),
		cmocka_unit_test(test_parallel_closes_inherited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
