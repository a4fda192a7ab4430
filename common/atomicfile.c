/*
 * atomicfile.c: temp file, fsync, rename, fsync the directory (see
 * atomicfile.h).
 */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

static int
af_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ENOSPC;
		if (n <= 0)
			return -1;
		data += n, len -= (size_t)n;
	}
	return 0;
}

/* fsync by name: a file (O_RDONLY) or a directory. */
static int
af_fsync_path(const char *path, int oflags, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | oflags);

	if (fd < 0 || fsync(fd) != 0) {
		strbuf_appendf(err, "fsync %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static char *
af_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *
atomicfile_temp(const char *path, const char *data, size_t len, mode_t mode, int flags,
    struct strbuf *err)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0) {
		strbuf_appendf(err, "create %s: %s", tmp, strerror(errno));
		free(tmp);
		return NULL;
	}
	if (af_write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 ||
	    ((flags & ATOMICFILE_SYNC_FILE) && fsync(fd) != 0)) {
		strbuf_appendf(err, "write %s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		strbuf_appendf(err, "write %s: %s", path, strerror(errno));
		goto fail;
	}
	return tmp;
fail:
	unlink(tmp);
	free(tmp);
	return NULL;
}

int
atomicfile_commit(const char *tmp, const char *path, int flags, struct strbuf *err)
{
	char *dir;
	int rc;

	if ((flags & ATOMICFILE_SYNC_FILE) && af_fsync_path(tmp, 0, err) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		strbuf_appendf(err, "rename %s to %s: %s", tmp, path, strerror(errno));
		return -1;
	}
	if (!(flags & ATOMICFILE_SYNC_DIR))
		return 0;
	dir = af_dir_of(path);
	rc = af_fsync_path(dir, O_DIRECTORY, err);
	free(dir);
	return rc;
}

int
atomicfile_write(const char *path, const char *data, size_t len, mode_t mode, int flags,
    struct strbuf *err)
{
	char *tmp = atomicfile_temp(path, data, len, mode, flags, err);
	int rc;

	if (tmp == NULL)
		return -1;
	rc = atomicfile_commit(tmp, path, flags & ~ATOMICFILE_SYNC_FILE, err);
	if (rc != 0)
		unlink(tmp);   /* gone when only the directory's fsync failed */
	free(tmp);
	return rc;
}
