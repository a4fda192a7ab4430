/*
 * datafile.c: where the default rules.conf and providers.conf are (see
 * datafile.h).
 */
#include "datafile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* Source-tree levels above the program's directory: bin/, build/asan/bin/. */
#define DATAFILE_SRC_LEVELS 3

/* Take P if readable; otherwise add it to the list of places tried. */
static char *
datafile_try(char *p, struct strbuf *tried)
{
	if (access(p, R_OK) == 0)
		return p;
	strbuf_appendf(tried, "%s%s", tried->len > 0 ? ", " : "", p);
	free(p);
	return NULL;
}

/* The directory of the running program into DIR, or -1. */
static int
datafile_exe_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= size - 1)
		return -1;
	dir[n] = '\0';
	if ((slash = strrchr(dir, '/')) == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

/* Next to the program: an install under another PREFIX, then a source tree. */
static char *
datafile_exe_relative(const char *name, struct strbuf *tried)
{
	char dir[4096];
	char up[3 * DATAFILE_SRC_LEVELS + 1] = "";
	char *p;

	if (datafile_exe_dir(dir, sizeof(dir)) != 0) {
		strbuf_appendf(tried, "%s(the program's own path is unknown)",
		    tried->len > 0 ? ", " : "");
		return NULL;
	}
	if ((p = datafile_try(xasprintf("%s/../share/postroute/%s", dir, name), tried)) != NULL)
		return p;
	for (int i = 0; i < DATAFILE_SRC_LEVELS; i++) {
		strcat(up, "../");
		if ((p = datafile_try(xasprintf("%s/%sdeploy/%s", dir, up, name), tried)) != NULL)
			return p;
	}
	return NULL;
}

char *
datafile_find(const char *name, struct strbuf *err)
{
	struct strbuf tried = STRBUF_INIT;
	const char *env = getenv("POSTROUTE_DATADIR");
	char *p = NULL;

	if (env != NULL && *env != '\0')
		p = datafile_try(xasprintf("%s/%s", env, name), &tried);
	if (p == NULL)
		p = datafile_try(xasprintf("%s/%s", POSTROUTE_DATADIR, name), &tried);
	if (p == NULL)
		p = datafile_exe_relative(name, &tried);
	if (p == NULL)
		strbuf_appendf(err, "no %s (looked in %s)", name, strbuf_str(&tried));
	strbuf_clear(&tried);
	return p;
}
