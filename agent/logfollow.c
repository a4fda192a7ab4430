/*
 * logfollow.c: follow a log file or standard input (see logfollow.h).
 *
 * Positions are absolute offsets in the open file: pos is just after the
 * last line delivered or skipped (what is saved), rpos where the next
 * read starts. The buffer holds the bytes between them, the start of the
 * line being read, except while a line is being skipped (too long, or
 * the partial line at the end of a file first opened at its end): then
 * the buffer is empty and the bytes up to the next newline are dropped.
 */
#include "logfollow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "monotime.h"
#include "xalloc.h"

enum lf_skip {
	SKIP_NONE,
	SKIP_OVERLONG,      /* counted in stats.overlong when its newline comes */
	SKIP_PARTIAL,       /* the rest of a line begun before we started */
};

struct fileid {
	dev_t dev;
	ino_t ino;
};

struct logfollow {
	char *path;             /* NULL when following a descriptor */
	char *offset_file;      /* NULL: nothing saved */
	char *name;             /* of the open file, for messages */
	int fd;                 /* -1: waiting for path to appear */
	int own_fd;             /* fd is ours to close */
	int eof;                /* descriptor only */
	struct fileid id;       /* of fd */
	off_t pos, rpos;
	char *buf;              /* LOGFOLLOW_BUFSIZE + 1 for a final NUL */
	size_t blen;
	enum lf_skip skip;
	int saved;              /* saved_id and saved_pos are in offset_file */
	struct fileid saved_id;
	off_t saved_pos;
	struct logfollow_stats stats;
};

static int
lf_same(const struct fileid *a, const struct stat *st)
{
	return a->dev == st->st_dev && a->ino == st->st_ino;
}

static void
lf_set_file(struct logfollow *lf, int fd, const struct stat *st, const char *name)
{
	lf->fd = fd;
	lf->own_fd = 1;
	lf->id.dev = st->st_dev;
	lf->id.ino = st->st_ino;
	free(lf->name);
	lf->name = xstrdup(name);
	lf->pos = lf->rpos = 0;
	lf->blen = 0;
	lf->skip = SKIP_NONE;
}

/* Opens a regular file for reading (never blocking on a FIFO); returns
 * the descriptor, or -1 with errno (EINVAL: not a regular file). */
static int
lf_open_regular(int dirfd, const char *name, int flags, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
	int e;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0)
		e = errno;
	else if (!S_ISREG(st->st_mode))
		e = EINVAL;
	else
		return fd;
	close(fd);
	errno = e;
	return -1;
}

/* strerror, with lf_open_regular's EINVAL told as what it means. */
static const char *
lf_strerror(int e)
{
	return e == EINVAL ? "not a regular file" : strerror(e);
}

static int
lf_seek(struct logfollow *lf, off_t off, struct strbuf *err)
{
	if (lseek(lf->fd, off, SEEK_SET) < 0) {
		strbuf_appendf(err, "seek %s: %s", lf->name, strerror(errno));
		return -1;
	}
	lf->pos = lf->rpos = off;
	lf->blen = 0;
	lf->skip = SKIP_NONE;
	return 0;
}

/* ---- lines ---- */

/* Splits the n bytes just read into buf after the held ones. */
static void
lf_consume(struct logfollow *lf, size_t n, logfollow_line_fn *fn, void *arg, long *count)
{
	char *p = lf->buf, *scan = lf->buf + lf->blen, *end = scan + n, *nl;
	off_t base = lf->rpos - (off_t)lf->blen;
	size_t rest;

	lf->rpos += (off_t)n;
	while ((nl = memchr(scan, '\n', (size_t)(end - scan))) != NULL) {
		size_t len = (size_t)(nl - p);
		if (lf->skip != SKIP_NONE) {
			if (lf->skip == SKIP_OVERLONG)
				lf->stats.overlong++;
			lf->skip = SKIP_NONE;
		} else if (len > LOGFOLLOW_LINE_MAX) {
			lf->stats.overlong++;
		} else {
			*nl = '\0';
			fn(p, len, arg);
			lf->stats.lines++;
			(*count)++;
		}
		p = scan = nl + 1;
		lf->pos = base + (p - lf->buf);
	}
	rest = (size_t)(end - p);
	if (lf->skip != SKIP_NONE) {
		lf->blen = 0;
	} else if (rest > LOGFOLLOW_LINE_MAX) {
		lf->skip = SKIP_OVERLONG;
		lf->blen = 0;
	} else {
		memmove(lf->buf, p, rest);
		lf->blen = rest;
	}
}

/* The file ends here for good: its unterminated last line is a line. */
static void
lf_flush(struct logfollow *lf, logfollow_line_fn *fn, void *arg, long *count)
{
	if (lf->skip == SKIP_OVERLONG)
		lf->stats.overlong++;
	else if (lf->skip == SKIP_NONE && lf->blen > 0) {
		lf->buf[lf->blen] = '\0';
		fn(lf->buf, lf->blen, arg);
		lf->stats.lines++;
		(*count)++;
	}
	lf->skip = SKIP_NONE;
	lf->blen = 0;
	lf->pos = lf->rpos;
}

/* How much the next read may take: the free buffer, within the budget. */
static size_t
lf_room(const struct logfollow *lf, size_t budget)
{
	size_t room = LOGFOLLOW_BUFSIZE - lf->blen;

	return room < budget ? room : budget;
}

/* Reads the open file to its end; returns 0 there, 1 when the batch
 * budget ran out first, -1 on error. */
static int
lf_drain(struct logfollow *lf, size_t *budget, logfollow_line_fn *fn, void *arg,
    long *count, struct strbuf *err)
{
	for (;;) {
		ssize_t n;

		if (*budget == 0)
			return 1;
		n = read(lf->fd, lf->buf + lf->blen, lf_room(lf, *budget));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			strbuf_appendf(err, "read %s: %s", lf->name, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		*budget -= (size_t)n;
		lf_consume(lf, (size_t)n, fn, arg, count);
	}
}

/* ---- files ---- */

/* path appeared: read it from its start. Returns 1, 0 (still missing), -1. */
static int
lf_open_new(struct logfollow *lf, struct strbuf *err)
{
	struct stat st;
	int fd = lf_open_regular(AT_FDCWD, lf->path, 0, &st);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		strbuf_appendf(err, "open %s: %s", lf->path, lf_strerror(errno));
		return -1;
	}
	lf_set_file(lf, fd, &st, lf->path);
	return 1;
}

/* Shorter than what we read: copytruncate. Starts again at 0. */
static int
lf_check_truncated(struct logfollow *lf, logfollow_line_fn *fn, void *arg, long *count,
    struct strbuf *err)
{
	struct stat st;

	if (fstat(lf->fd, &st) != 0) {
		strbuf_appendf(err, "stat %s: %s", lf->name, strerror(errno));
		return -1;
	}
	if (st.st_size >= lf->rpos)
		return 0;
	lf_flush(lf, fn, arg, count);
	lf->stats.truncations++;
	return lf_seek(lf, 0, err);
}

/* Has path moved on to another file? When it has, the old file is read to
 * its end (writers append to it until they reopen) and the new one opened
 * at 0. Returns 1 (switched), 0 (not), 2 (budget ran out while reading the
 * old file: not switched yet), -1. */
static int
lf_check_rotated(struct logfollow *lf, size_t *budget, logfollow_line_fn *fn, void *arg,
    long *count, struct strbuf *err)
{
	struct stat st;
	int fd, r;

	if (stat(lf->path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		strbuf_appendf(err, "stat %s: %s", lf->path, strerror(errno));
		return -1;
	}
	if (lf_same(&lf->id, &st))
		return 0;
	if ((fd = lf_open_regular(AT_FDCWD, lf->path, 0, &st)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		strbuf_appendf(err, "open %s: %s", lf->path, lf_strerror(errno));
		return -1;
	}
	if ((r = lf_drain(lf, budget, fn, arg, count, err)) != 0) {
		close(fd);
		return r < 0 ? -1 : 2;
	}
	lf_flush(lf, fn, arg, count);
	close(lf->fd);
	lf_set_file(lf, fd, &st, lf->path);
	lf->stats.rotations++;
	return 1;
}

static int
lf_rotated_name(const char *base, const char *name)
{
	static const char *const packed[] = { ".gz", ".xz", ".bz2", ".zst" };
	size_t blen = strlen(base), nlen = strlen(name);

	if (nlen == blen + 2 && strncmp(name, base, blen) == 0 && strcmp(name + blen, ".1") == 0)
		return 1;
	if (nlen <= blen + 1 || strncmp(name, base, blen) != 0 || name[blen] != '-')
		return 0;
	for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++) {
		size_t slen = strlen(packed[i]);
		if (nlen > slen && strcmp(name + nlen - slen, packed[i]) == 0)
			return 0;
	}
	return 1;
}

/* The file the offset names, rotated while we were stopped: path.1 or a
 * dateext path-*. Returns 1 with it open as lf's file, 0 when not found,
 * -1 on error. */
static int
lf_find_rotated(struct logfollow *lf, const struct fileid *id, struct strbuf *err)
{
	const char *slash = strrchr(lf->path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    slash == lf->path ? xstrdup("/") : xstrndup(lf->path, (size_t)(slash - lf->path));
	const char *base = slash == NULL ? lf->path : slash + 1;
	char *one = xasprintf("%s.1", base), *name;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int dfd, fd, found = -1;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			found = 0;
		else
			strbuf_appendf(err, "open %s: %s", dir, strerror(errno));
		goto done;
	}
	name = one;
	if (fstatat(dfd, one, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
	    !lf_same(id, &st)) {
		name = NULL;
		if ((d = fdopendir(dfd)) == NULL) {
			strbuf_appendf(err, "open %s: %s", dir, strerror(errno));
			goto done;
		}
		errno = 0;
		while ((de = readdir(d)) != NULL) {
			if (lf_rotated_name(base, de->d_name) &&
			    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) && lf_same(id, &st)) {
				name = de->d_name;
				break;
			}
			errno = 0;
		}
		if (name == NULL && errno != 0) {
			strbuf_appendf(err, "read %s: %s", dir, strerror(errno));
			goto done;
		}
	}
	found = 0;
	if (name != NULL && (fd = lf_open_regular(dfd, name, O_NOFOLLOW, &st)) >= 0) {
		if (lf_same(id, &st)) {
			char *full = xasprintf("%s/%s", dir, name);
			lf_set_file(lf, fd, &st, full);
			free(full);
			found = 1;
		} else
			close(fd);
	}
done:
	if (d != NULL)
		closedir(d);
	else if (dfd >= 0)
		close(dfd);
	free(dir), free(one);
	return found;
}

/* ---- the offset file ---- */

static int
lf_parse_num(const char **p, uintmax_t max, uintmax_t *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoumax(*p, &end, 10);
	if (errno != 0 || *v > max)
		return -1;
	*p = end;
	return 0;
}

/* "DEV INO OFFSET\n", exactly. Returns 1 with the values, 0 when there is
 * none that can be used (stats.offset_invalid when it was there). */
static int
lf_load_offset(struct logfollow *lf, struct fileid *id, off_t *off)
{
	const uintmax_t off_max = sizeof(off_t) >= 8 ? (uintmax_t)INT64_MAX : (uintmax_t)INT32_MAX;
	char text[128];
	const char *p = text;
	uintmax_t dev, ino, o;
	ssize_t n;
	int fd = open(lf->offset_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (errno != ENOENT)
			lf->stats.offset_invalid = 1;
		return 0;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n > 0) {
		text[n] = '\0';
		if (lf_parse_num(&p, (uintmax_t)(dev_t)-1, &dev) == 0 && *p++ == ' ' &&
		    lf_parse_num(&p, (uintmax_t)(ino_t)-1, &ino) == 0 && *p++ == ' ' &&
		    lf_parse_num(&p, off_max, &o) == 0 && strcmp(p, "\n") == 0) {
			id->dev = (dev_t)dev;
			id->ino = (ino_t)ino;
			*off = (off_t)o;
			return 1;
		}
	}
	lf->stats.offset_invalid = 1;
	return 0;
}

static int
lf_write_offset(struct logfollow *lf, int sync, struct strbuf *err)
{
	char text[128];
	int len = snprintf(text, sizeof(text), "%ju %ju %jd\n", (uintmax_t)lf->id.dev,
	    (uintmax_t)lf->id.ino, (intmax_t)lf->pos);

	return atomicfile_write(lf->offset_file, text, (size_t)len, 0600,
	    sync ? ATOMICFILE_SYNC : 0, err);
}

static int
lf_save(struct logfollow *lf, int sync, struct strbuf *err)
{
	if (lf->offset_file == NULL || lf->fd < 0)
		return 0;
	if (lf->saved && lf->saved_id.dev == lf->id.dev && lf->saved_id.ino == lf->id.ino &&
	    lf->saved_pos == lf->pos)
		return 0;
	if (lf_write_offset(lf, sync, err) != 0)
		return -1;
	lf->saved = 1;
	lf->saved_id = lf->id;
	lf->saved_pos = lf->pos;
	return 0;
}

/* ---- the interface ---- */

static struct logfollow *
lf_alloc(void)
{
	struct logfollow *lf = xcalloc(1, sizeof(*lf));

	lf->fd = -1;
	lf->buf = xmalloc(LOGFOLLOW_BUFSIZE + 1);
	return lf;
}

static struct logfollow *
lf_free(struct logfollow *lf)
{
	if (lf->own_fd && lf->fd >= 0)
		close(lf->fd);
	free(lf->path), free(lf->offset_file), free(lf->name), free(lf->buf);
	free(lf);
	return NULL;
}

struct logfollow *
logfollow_open_fd(int fd, const char *name)
{
	struct logfollow *lf = lf_alloc();

	lf->fd = fd;
	lf->name = xstrdup(name);
	return lf;
}

/* Where a file without a usable offset starts: its end, or after the
 * line it ends inside. */
static int
lf_start_at_end(struct logfollow *lf, off_t size, struct strbuf *err)
{
	char last;

	if (lf_seek(lf, size, err) != 0)
		return -1;
	if (size > 0 && pread(lf->fd, &last, 1, size - 1) == 1 && last != '\n')
		lf->skip = SKIP_PARTIAL;
	return 0;
}

static int
lf_start(struct logfollow *lf, struct strbuf *err)
{
	struct fileid id;
	struct stat st;
	off_t off;
	int fd, have, r;

	have = lf->offset_file != NULL && lf_load_offset(lf, &id, &off);
	if ((fd = lf_open_regular(AT_FDCWD, lf->path, 0, &st)) < 0 &&
	    errno != ENOENT && errno != ENOTDIR) {
		strbuf_appendf(err, "open %s: %s", lf->path, lf_strerror(errno));
		return -1;
	}
	if (fd >= 0)
		lf_set_file(lf, fd, &st, lf->path);
	if (!have)
		return fd < 0 ? 0 : lf_start_at_end(lf, st.st_size, err);
	lf->saved = 1;
	lf->saved_id = id;
	lf->saved_pos = off;
	if (fd < 0 || !lf_same(&id, &st)) {
		if ((r = lf_find_rotated(lf, &id, err)) < 0)
			return -1;
		if (r == 0) {
			/* gone: the file at path, if any, from its start */
			lf->stats.rotations++;
			return 0;
		}
		if (fd >= 0)
			close(fd);
		if (fstat(lf->fd, &st) != 0) {
			strbuf_appendf(err, "stat %s: %s", lf->name, strerror(errno));
			return -1;
		}
	}
	if (st.st_size < off) {
		lf->stats.truncations++;
		off = 0;
	}
	return lf_seek(lf, off, err);
}

struct logfollow *
logfollow_open(const char *path, const char *offset_file, struct strbuf *err)
{
	struct logfollow *lf;

	if (strcmp(path, "-") == 0)
		return logfollow_open_fd(STDIN_FILENO, "standard input");
	lf = lf_alloc();
	lf->path = xstrdup(path);
	lf->name = xstrdup(path);
	lf->offset_file = offset_file ? xstrdup(offset_file) : NULL;
	if (lf_start(lf, err) != 0)
		return lf_free(lf);     /* without saving: the offset stays as it was */
	return lf;
}

static long
lf_poll_fd(struct logfollow *lf, int timeout_ms, logfollow_line_fn *fn, void *arg,
    struct strbuf *err)
{
	long long deadline = monotime_ms() + timeout_ms;
	size_t budget = LOGFOLLOW_BATCH;
	long count = 0;

	while (!lf->eof && budget > 0) {
		struct pollfd pfd = { .fd = lf->fd, .events = POLLIN };
		long long left = deadline - monotime_ms();
		ssize_t n;
		int r;

		r = poll(&pfd, 1, count > 0 || left < 0 ? 0 : (int)left);
		if (r < 0 && errno == EINTR)
			break;
		if (r < 0) {
			strbuf_appendf(err, "poll %s: %s", lf->name, strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		n = read(lf->fd, lf->buf + lf->blen, lf_room(lf, budget));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			strbuf_appendf(err, "read %s: %s", lf->name, strerror(errno));
			return -1;
		}
		if (n == 0) {
			lf_flush(lf, fn, arg, &count);
			lf->eof = 1;
			break;
		}
		budget -= (size_t)n;
		lf_consume(lf, (size_t)n, fn, arg, &count);
	}
	return count;
}

static long
lf_poll_file(struct logfollow *lf, int timeout_ms, logfollow_line_fn *fn, void *arg,
    struct strbuf *err)
{
	long long deadline = monotime_ms() + timeout_ms, left;
	size_t budget = LOGFOLLOW_BATCH;
	long count = 0;
	int r;

	for (;;) {
		if (lf->fd < 0 && lf_open_new(lf, err) < 0)
			return -1;
		if (lf->fd >= 0) {
			if (lf_check_truncated(lf, fn, arg, &count, err) != 0)
				return -1;
			if ((r = lf_check_rotated(lf, &budget, fn, arg, &count, err)) < 0)
				return -1;
			if (r == 2)
				return count;
			if ((r = lf_drain(lf, &budget, fn, arg, &count, err)) != 0)
				return r < 0 ? -1 : count;
		}
		if (count > 0 || (left = deadline - monotime_ms()) <= 0)
			return count;
		if (left > LOGFOLLOW_CHECK_MS)
			left = LOGFOLLOW_CHECK_MS;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		if (nanosleep(&ts, NULL) != 0)
			return count;   /* a signal: let the caller look at its flags */
	}
}

long
logfollow_poll(struct logfollow *lf, int timeout_ms, logfollow_line_fn *fn, void *arg,
    struct strbuf *err)
{
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (lf->path == NULL)
		return lf_poll_fd(lf, timeout_ms, fn, arg, err);
	return lf_poll_file(lf, timeout_ms, fn, arg, err);
}

int
logfollow_eof(const struct logfollow *lf)
{
	return lf->eof;
}

int
logfollow_save(struct logfollow *lf, struct strbuf *err)
{
	return lf_save(lf, 0, err);
}

const struct logfollow_stats *
logfollow_stats(const struct logfollow *lf)
{
	return &lf->stats;
}

struct logfollow *
logfollow_close(struct logfollow *lf)
{
	struct strbuf ignored = STRBUF_INIT;

	if (lf == NULL)
		return NULL;
	lf_save(lf, 1, &ignored);
	strbuf_clear(&ignored);
	return lf_free(lf);
}
