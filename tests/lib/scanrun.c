/*
 * scanrun.c: running the real "postroute-agent scan" in unit tests (see
 * scanrun.h): the fixture paths, the exit status and the golden output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scanrun.h"
#include "testlib.h"

int
scanrun_setup(struct scanrun_paths *p, const char *name)
{
	char datadir[4096];

	snprintf(p->agent, sizeof(p->agent), "%s/postroute-agent", tl_bindir());
	snprintf(p->log, sizeof(p->log), "%s/tests/data/%s.log", tl_srcdir(), name);
	snprintf(p->golden, sizeof(p->golden), "%s/tests/data/%s.out", tl_srcdir(), name);
	snprintf(datadir, sizeof(datadir), "%s/deploy", tl_srcdir());
	setenv("POSTROUTE_DATADIR", datadir, 1);
	setenv("TZ", "UTC", 1);
	return 0;
}

char *
scanrun(char **argv, int rc, char **err)
{
	char *out = NULL, *e = NULL;
	int got = tl_run(argv, &out, &e, 60);

	if (got != rc)
		fail_msg("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", argv[0], got, rc, out, e);
	if (err != NULL)
		*err = e;
	else
		free(e);
	return out;
}

void
scanrun_golden(const char *out, const char *golden, const char *what)
{
	char *want = tl_read_file(golden);

	assert_non_null(want);
	if (strcmp(out, want) != 0)
		fail_msg("%s differs from %s\n--- got ---\n%s--- want ---\n%s", what, golden, out, want);
	free(want);
}
