/*
 * scanrun.h: running the real "postroute-agent scan" in unit tests.
 *
 * scanrun_setup fills in the paths of $POSTROUTE_BINDIR/postroute-agent
 * and of a fixture pair tests/data/NAME.log (the input) and NAME.out (the
 * expected output), points POSTROUTE_DATADIR at the source tree's deploy/
 * and sets TZ=UTC, so that the scan reads the tree's rules and providers
 * and prints the same times everywhere. scanrun runs argv with a 60 s
 * timeout and fails the test unless it exits with the status wanted;
 * scanrun_golden fails it unless the output is the fixture's, showing
 * both.
 */
#ifndef POSTROUTE_SCANRUN_H
#define POSTROUTE_SCANRUN_H

struct scanrun_paths {
	char agent[4096];   /* the postroute-agent program */
	char log[4096];     /* tests/data/NAME.log */
	char golden[4096];  /* tests/data/NAME.out */
};

/* Fills in p for the fixture NAME and sets the environment; returns 0 (a
 * cmocka group setup's value). */
int scanrun_setup(struct scanrun_paths *p, const char *name);
/* Runs argv (NULL-terminated) and expects exit status rc; returns its
 * stdout (free it). With err, *err gets its stderr (free it); without,
 * stderr is dropped. */
char *scanrun(char **argv, int rc, char **err);
/* Fails the test unless out is the whole of the file golden; what names
 * the command in the message. */
void scanrun_golden(const char *out, const char *golden, const char *what);

#endif
