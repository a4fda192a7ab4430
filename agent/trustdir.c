/*
 * trustdir.c: the ownership walk from "/" (see trustdir.h).
 */
#include "trustdir.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

/* One resolved component: root's, a directory, and only root may write
 * (sticky accepted unless last). */
static int
td_component(const char *what, const char *dir, const char *comp, int last, struct strbuf *err)
{
	struct stat sb;

	if (lstat(comp, &sb) != 0) {
		strbuf_appendf(err, "%s %s: %s: %s", what, dir, comp, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		strbuf_appendf(err, "%s %s: %s is not a directory", what, dir, comp);
		return -1;
	}
	if (sb.st_uid != 0) {
		strbuf_appendf(err, "%s %s: %s is owned by uid %lu, not root: the privileged helper "
		    "writes there as root and trusts no other user's directory", what, dir, comp,
		    (unsigned long)sb.st_uid);
		return -1;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (last || !(sb.st_mode & S_ISVTX))) {
		strbuf_appendf(err, "%s %s: %s (mode %04o) is writable by its group or by others: "
		    "the privileged helper writes there as root", what, dir, comp,
		    (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
trustdir_check(const char *what, const char *dir, struct strbuf *err)
{
	char *real = realpath(dir, NULL);
	int rc;

	if (real == NULL) {
		strbuf_appendf(err, "%s %s: %s", what, dir, strerror(errno));
		return -1;
	}
	/* "/", then "/a", "/a/b", ... up to the whole path */
	rc = td_component(what, dir, "/", strcmp(real, "/") == 0, err);
	for (char *slash = strchr(real + 1, '/'); rc == 0 && slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		rc = td_component(what, dir, real, 0, err);
		*slash = '/';
	}
	if (rc == 0 && strcmp(real, "/") != 0)
		rc = td_component(what, dir, real, 1, err);
	free(real);
	return rc;
}

int
trustdir_check_parent(const char *what, const char *path, struct strbuf *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	int rc = trustdir_check(what, dir, err);

	free(dir);
	return rc;
}
