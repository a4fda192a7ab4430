/*
 * secretfile.c: token files checked like ssh checks a private key (see
 * secretfile.h).
 */
#include "secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define SECRETFILE_LINE_MAX 4096

/* The reader or root: the only owners trusted with a secret. */
static int
sf_owner_ok(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

static int
sf_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The name before opening: a link must be the reader's or root's. */
static int
sf_check_name(const char *path, const char *what, const struct stat *lsb, struct strbuf *err)
{
	if (S_ISLNK(lsb->st_mode) && !sf_owner_ok(lsb->st_uid)) {
		strbuf_appendf(err, "Symbolic link '%s' is owned by uid %lu, not by you (uid %lu) or "
		    "root. It is required that your %s cannot be replaced by others. This %s is "
		    "refused.", path, (unsigned long)lsb->st_uid, (unsigned long)geteuid(), what, what);
		return -1;
	}
	return 0;
}

/* The opened file: the name still the one checked (lsb: before opening;
 * a link swapped for a file, or a file for another, in between is
 * refused), a regular file, its owner and mode. */
static int
sf_check(const char *path, const char *what, const struct stat *lsb, int fd, struct strbuf *err)
{
	struct stat now, sb;

	if (fstat(fd, &sb) != 0) {
		strbuf_appendf(err, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (lstat(path, &now) != 0 || !sf_same(lsb, &now) ||
	    (!S_ISLNK(lsb->st_mode) && !sf_same(lsb, &sb))) {
		strbuf_appendf(err, "%s %s: replaced while it was being opened: refused", what, path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		strbuf_appendf(err, "%s %s: not a regular file: refused", what, path);
		return -1;
	}
	if (!sf_owner_ok(sb.st_uid)) {
		strbuf_appendf(err, "'%s' is owned by uid %lu, not by you (uid %lu) or root. It is "
		    "required that your %s is not controlled by others. This %s is refused.", path,
		    (unsigned long)sb.st_uid, (unsigned long)geteuid(), what, what);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		strbuf_appendf(err, "Permissions %04o for '%s' are too open. It is required that "
		    "your %s is not accessible by others. This %s is refused (chmod 600 '%s').",
		    (unsigned)(sb.st_mode & 07777), path, what, what, path);
		return -1;
	}
	return 0;
}

char *
secretfile_read_stream(FILE *fp, const char *what, struct strbuf *err)
{
	char line[SECRETFILE_LINE_MAX];
	size_t len;

	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
	    line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (len == 0) {
		strbuf_appendf(err, "%s: the first line is empty", what);
		return NULL;
	}
	char *s = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return s;
}

char *
secretfile_read_line(const char *path, const char *what, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT;
	struct stat lsb;
	FILE *fp;
	char *s;
	int fd;

	if (lstat(path, &lsb) != 0) {
		strbuf_appendf(err, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (sf_check_name(path, what, &lsb, err) != 0)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0) {
		strbuf_appendf(err, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (sf_check(path, what, &lsb, fd, err) != 0) {
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		strbuf_appendf(err, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		return NULL;
	}
	setvbuf(fp, NULL, _IONBF, 0);   /* no copy of the secret in a stdio buffer */
	strbuf_appendf(&name, "%s %s", what, path);
	s = secretfile_read_stream(fp, strbuf_str(&name), err);
	fclose(fp);
	strbuf_clear(&name);
	return s;
}
