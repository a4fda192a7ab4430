/*
 * datafile.c: where the default rules.conf and providers.conf are (see
 * datafile.h).
 */
#include "datafile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* PREFIX/share/postroute/NAME next to PREFIX/sbin/postroute-agent, if readable. */
static char *
datafile_exe_relative(const char *name)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash, *p;

	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	p = xasprintf("%s/../share/postroute/%s", exe, name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *
datafile_find(const char *name)
{
	const char *env = getenv("POSTROUTE_DATADIR");
	char *p;

	if (env != NULL && *env != '\0') {
		p = xasprintf("%s/%s", env, name);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	p = xasprintf("%s/%s", POSTROUTE_DATADIR, name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	if ((p = datafile_exe_relative(name)) != NULL)
		return p;
	p = xasprintf("deploy/%s", name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

