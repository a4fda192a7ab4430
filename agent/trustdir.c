/*
 * trustdir.c: the ownership walk from "/" (see trustdir.h).
 */
#include "trustdir.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

/* symbolic links followed in one walk, as the kernel's MAXSYMLINKS */
#define TD_MAX_LINKS 40

/* One directory on the way: root's, a directory, and only root may write
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

/* "cur/name", without doubling the slash of "/". */
static char *
td_join(const char *cur, const char *name)
{
	return xasprintf("%s%s%s", cur, strcmp(cur, "/") == 0 ? "" : "/", name);
}

static int td_walk(const char *what, const char *dir, const char *path, int *links, char **out,
    struct strbuf *err);

/*
 * The symbolic link at next, found in the checked directory cur: its
 * target walked in turn (the link's directory is root's, so the link
 * stays; in a sticky directory it must be root's too, or its owner could
 * replace it). *out is the directory it resolves to.
 */
static int
td_link(const char *what, const char *dir, const char *cur, const char *next,
    const struct stat *lsb, int *links, char **out, struct strbuf *err)
{
	struct stat csb;
	char target[PATH_MAX];
	ssize_t n;

	if (++*links > TD_MAX_LINKS) {
		strbuf_appendf(err, "%s %s: %s: %s", what, dir, next, strerror(ELOOP));
		return -1;
	}
	if (lsb->st_uid != 0 && (stat(cur, &csb) != 0 || (csb.st_mode & (S_IWGRP | S_IWOTH)))) {
		strbuf_appendf(err, "%s %s: %s is a symbolic link owned by uid %lu in a directory "
		    "others can write: the privileged helper trusts no other user's link", what,
		    dir, next, (unsigned long)lsb->st_uid);
		return -1;
	}
	if ((n = readlink(next, target, sizeof(target) - 1)) < 0) {
		strbuf_appendf(err, "%s %s: %s: %s", what, dir, next, strerror(errno));
		return -1;
	}
	target[n] = '\0';
	char *path = target[0] == '/' ? xstrdup(target) : td_join(cur, target);
	int rc = td_walk(what, dir, path, links, out, err);
	free(path);
	return rc;
}

/*
 * Walks the absolute path from "/" the way the kernel resolves it: every
 * directory a name is looked up in, and every directory a link leads
 * through, must pass td_component (as a directory above the last). *out
 * is the directory path resolves to, without links, "." or "..".
 */
static int
td_walk(const char *what, const char *dir, const char *path, int *links, char **out,
    struct strbuf *err)
{
	char *copy = xstrdup(path), *save = NULL, *cur = xstrdup("/");
	int rc = td_component(what, dir, "/", 0, err);

	for (char *c = strtok_r(copy, "/", &save); rc == 0 && c != NULL; c = strtok_r(NULL, "/", &save)) {
		struct stat lsb;
		char *next = NULL;
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {   /* cur has no link: its parent is its prefix */
			char *slash = strrchr(cur, '/');
			slash[slash == cur] = '\0';
			continue;
		}
		next = td_join(cur, c);
		if (lstat(next, &lsb) != 0) {
			strbuf_appendf(err, "%s %s: %s: %s", what, dir, next, strerror(errno));
			rc = -1;
		} else if (S_ISLNK(lsb.st_mode)) {
			char *to = NULL;
			if ((rc = td_link(what, dir, cur, next, &lsb, links, &to, err)) == 0)
				free(cur), cur = to;
		} else if ((rc = td_component(what, dir, next, 0, err)) == 0) {
			free(cur), cur = next, next = NULL;
		}
		free(next);
	}
	free(copy);
	if (rc != 0) {
		free(cur);
		return -1;
	}
	*out = cur;
	return 0;
}

int
trustdir_check(const char *what, const char *dir, struct strbuf *err)
{
	char *cwd = NULL, *path, *real = NULL;
	int links = 0, rc;

	if (dir[0] != '/' && (cwd = getcwd(NULL, 0)) == NULL) {
		strbuf_appendf(err, "%s %s: %s", what, dir, strerror(errno));
		return -1;
	}
	path = cwd != NULL ? td_join(cwd, dir) : xstrdup(dir);
	/* every directory on the way as one above the last, then the last */
	rc = td_walk(what, dir, path, &links, &real, err);
	if (rc == 0)
		rc = td_component(what, dir, real, 1, err);
	free(real), free(path), free(cwd);
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
