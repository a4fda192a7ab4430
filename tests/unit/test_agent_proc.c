/*
 * test_agent_proc.c: child processes with timeouts, the state file,
 * postqueue -j selection and the retry backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "postfix.h"
#include "proc.h"
#include "state.h"
#include "sync.h"
#include "testlib.h"
#include "xalloc.h"

static void
test_proc_output(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "cat; echo out; echo err >&2; exit 3", NULL };
	struct proc_result r;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(proc_run(argv, "in\n", 5000, &r, &err), 0);
	assert_int_equal(r.status, 3);
	assert_string_equal(strbuf_str(&r.out), "in\nout\n");
	assert_string_equal(strbuf_str(&r.err), "err\n");
	assert_int_equal(err.len, 0);
	proc_result_clear(&r);
	strbuf_clear(&err);
}

static void
test_proc_timeout(void **state)
{
	/* the grandchild keeps the pipes open: the whole group must die */
	char *argv[] = { "/bin/sh", "-c", "sleep 30 & sleep 30", NULL };
	struct proc_result r;
	struct strbuf err = STRBUF_INIT;
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(proc_run(argv, NULL, 300, &r, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(r.timed_out);
	assert_string_equal(strbuf_str(&err), "/bin/sh: timed out after 300 ms (killed)");
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 3000);
	proc_result_clear(&r);
	strbuf_clear(&err);
}

static void
test_proc_background_grandchild(void **state)
{
	/* like postfix-script's "postsuper &": the child's exit ends the wait */
	char *argv[] = { "/bin/sh", "-c", "sleep 5 & echo done; echo warn >&2", NULL };
	struct proc_result r;
	struct strbuf err = STRBUF_INIT;
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(proc_run(argv, NULL, 10000, &r, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(r.status, 0);
	assert_string_equal(strbuf_str(&r.out), "done\n");
	assert_string_equal(strbuf_str(&r.err), "warn\n");
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 2000);
	proc_result_clear(&r);
	strbuf_clear(&err);
}

static void
test_proc_missing(void **state)
{
	char *argv[] = { "/nonexistent/postmap", "-s", NULL };
	struct proc_result r;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(proc_run(argv, NULL, 1000, &r, &err), -1);
	assert_string_equal(strbuf_str(&err), "/nonexistent/postmap: cannot execute: No such file or directory");
	proc_result_clear(&r);
	strbuf_clear(&err);
}

static void
test_proc_signal(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	struct proc_result r;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(proc_run(argv, NULL, 5000, &r, &err), -1);
	assert_int_equal(r.signal, 9);
	assert_string_equal(strbuf_str(&err), "/bin/sh: killed by signal 9");
	proc_result_clear(&r);
	strbuf_clear(&err);
}

static void
test_proc_parallel(void **state)
{
	char *a0[] = { "/bin/sh", "-c", "exit 0", NULL }, *a1[] = { "/bin/sh", "-c", "exit 3", NULL };
	char *a2[] = { "/bin/sh", "-c", "sleep 30", NULL }, *a3[] = { "/nonexistent", NULL };
	char **argvs[] = { a0, a1, a0, a2, a0, a3, a0 };
	int status[7];
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(proc_run_parallel(argvs, 7, 3, 500, status), 4);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(status[0], 0);
	assert_int_equal(status[1], 3);
	assert_int_equal(status[3], -1);    /* killed at the deadline */
	assert_int_equal(status[5], 127);   /* cannot execute */
	assert_int_equal(status[6], 0);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 3000);
}

static void
test_state_roundtrip(void **state)
{
	char *dir = tl_mkdtemp("state");
	struct state st, back;
	struct strbuf err = STRBUF_INIT;
	const char *text = "# h\na.com\tsmtp:\n";

	(void)state;
	assert_int_equal(state_load(dir, &st, &err), 0);   /* nothing yet */
	assert_int_equal(st.version, -1);
	assert_null(st.text);
	st.version = 42;
	st.text = xstrdup(text);
	sha256_hex(text, strlen(text), st.sha256);
	assert_int_equal(state_save(dir, &st, &err), 0);
	assert_int_equal(state_load(dir, &back, &err), 0);
	assert_int_equal(back.version, 42);
	assert_string_equal(back.text, text);
	assert_string_equal(back.sha256, st.sha256);
	state_clear(&back);
	state_clear(&st);

	/* a damaged state file is an error, not "nothing applied" */
	char *path = xasprintf("%s/state", dir);
	tl_write_file(path, "version x\n");
	assert_int_equal(state_load(dir, &back, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "malformed"));
	assert_int_equal(back.version, -1);
	/* no temp files left behind */
	char *argv[] = { "/bin/sh", "-c", "ls \"$0\" | grep -c tmp", dir, NULL };
	char *out = NULL;
	tl_run(argv, &out, NULL, 10);
	assert_string_equal(out, "0\n");
	free(out), free(path), free(dir);
	strbuf_clear(&err);
}

static void
test_postqueue_select(void **state)
{
	static const char jsonl[] =
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"9D655A721F4\", \"recipients\": "
	    "[{\"address\": \"u@yahoo.test\", \"delay_reason\": \"x\"}, {\"address\": \"v@Gmail.Test\"}]}\n"
	    "{\"queue_name\": \"active\", \"queue_id\": \"AAAA1\", \"recipients\": [{\"address\": \"u@gmail.test\"}]}\n"
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"BBBB2\", \"recipients\": [{\"address\": \"u@other.test\"}]}\n"
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"CCCC3\", \"recipients\": [{\"address\": \"u@mx.sub.gmail.test\"}]}\n"
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"DD;rm\", \"recipients\": [{\"address\": \"u@gmail.test\"}]}\n"
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"EEEE5\", \"recipients\": [{\"address\": \"u@googlemail.test\"}]}\n"
	    /* skipped at a reload while being delivered, then deferred: waits in incoming */
	    "{\"queue_name\": \"incoming\", \"queue_id\": \"FFFF6\", \"recipients\": "
	    "[{\"address\": \"u@gmail.test\", \"delay_reason\": \"451 try again\"}]}\n"
	    /* new mail, never tried: the queue manager takes it anyway */
	    "{\"queue_name\": \"incoming\", \"queue_id\": \"GGGG7\", \"recipients\": [{\"address\": \"u@gmail.test\"}]}\n"
	    "{\"queue_name\": \"hold\", \"queue_id\": \"HHHH8\", \"recipients\": "
	    "[{\"address\": \"u@gmail.test\", \"delay_reason\": \"x\"}]}\n"
	    "not json\n"
	    "\n";
	char *domains[] = { ".gmail.test", "gmail.test", "googlemail.test" };   /* sorted */
	char **ids;
	size_t bad, n = postfix_queue_select(jsonl, domains, 3, &ids, &bad);

	(void)state;
	assert_int_equal(n, 4);
	assert_string_equal(ids[0], "9D655A721F4");
	assert_string_equal(ids[1], "CCCC3");
	assert_string_equal(ids[2], "EEEE5");
	assert_string_equal(ids[3], "FFFF6");
	assert_int_equal(bad, 1);
	postfix_ids_free(ids, n);
	assert_true(postfix_domain_moved("x@gmail.test", domains, 3));
	assert_true(postfix_domain_moved("x@a.b.gmail.test", domains, 3));
	assert_false(postfix_domain_moved("x@notgmail.test", domains, 3));
	assert_false(postfix_domain_moved("x@sub.googlemail.test", domains, 3));
	assert_false(postfix_domain_moved("nodomain", domains, 3));
}

static void
test_backoff(void **state)
{
	unsigned seed = 1;

	(void)state;
	for (unsigned n = 0; n < 12; n++) {
		long want = 1000L << (n > 5 ? 5 : n);
		if (want > 30000)
			want = 30000;
		for (int k = 0; k < 50; k++) {
			long d = sync_backoff_ms(1000, 30000, n, &seed);
			assert_true(d >= want / 2 && d <= want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_output),
		cmocka_unit_test(test_proc_timeout),
		cmocka_unit_test(test_proc_background_grandchild),
		cmocka_unit_test(test_proc_missing),
		cmocka_unit_test(test_proc_signal),
		cmocka_unit_test(test_proc_parallel),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_postqueue_select),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
