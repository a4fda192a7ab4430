/*
 * statedir.c: state_dir root's, STATE_DIR/user the user's, the old
 * layout moved over without following anything (see statedir.h).
 */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "trustdir.h"
#include "xalloc.h"

/* The files the unprivileged side kept directly in state_dir before. */
static const char *const statedir_old[] = { "state", "transport", "hold", "logwatch.offset",
    "logwatch.cursor" };

const char *
statedir_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "of an unknown type";
	}
}

/* Opens state_dir (created if missing) without following a link; makes
 * it root's and 0711 when it is the user's or writable by others. */
static int
sd_open_root(const char *dir, const char *user, uid_t uid, struct strbuf *err)
{
	struct stat sb;
	int fd;

	if (mkdir(dir, 0711) != 0 && errno != EEXIST) {
		strbuf_appendf(err, "state_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		struct stat lb;
		strbuf_appendf(err, "state_dir %s: %s", dir, lstat(dir, &lb) == 0 && !S_ISDIR(lb.st_mode) ?
		    statedir_kind(lb.st_mode) : strerror(errno));
		strbuf_append(err, ": refused (it must be a directory)");
		return -1;
	}
	if (fstat(fd, &sb) != 0 || (sb.st_uid != 0 && sb.st_uid != uid)) {
		strbuf_appendf(err, "state_dir %s: owned by uid %lu, neither root nor %s: refused",
		    dir, (unsigned long)sb.st_uid, user);
		close(fd);
		return -1;
	}
	/* taken back: 0711; root's already: others may need to pass through */
	mode_t want = sb.st_uid != 0 || (sb.st_mode & 022) ? 0711 : (sb.st_mode & 0755) | 0711;
	if (sb.st_uid != 0 || (sb.st_mode & 07777) != want) {
		if ((sb.st_uid != 0 && fchown(fd, 0, 0) != 0) || fchmod(fd, want) != 0) {
			strbuf_appendf(err, "state_dir %s: %s", dir, strerror(errno));
			close(fd);
			return -1;
		}
		if (sb.st_uid != 0)
			log_info("state_dir %s: was %s's, now root's (mode %04o); %s's state is in %s/"
			    STATEDIR_USER, dir, user, (unsigned)want, user, dir);
	}
	return fd;
}

/* Creates STATE_DIR/user for the user: a fresh directory of root's,
 * given away through its descriptor, then renamed to its name. */
static int
sd_create_user(int dfd, const char *dir, uid_t uid, gid_t gid, struct strbuf *err)
{
	char *tmp = xasprintf("%s/" STATEDIR_USER ".new.XXXXXX", dir);
	const char *base = strrchr(tmp, '/') + 1;
	int fd = -1, rc = -1;

	if (mkdtemp(tmp) == NULL ||
	    (fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchown(fd, uid, gid) != 0 || fchmod(fd, 0700) != 0 ||
	    renameat2(dfd, base, dfd, STATEDIR_USER, RENAME_NOREPLACE) != 0) {
		strbuf_appendf(err, "state_dir %s: create %s: %s", dir, STATEDIR_USER, strerror(errno));
		unlinkat(dfd, base, AT_REMOVEDIR);
	} else {
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

/* Opens STATE_DIR/user, creating it when missing: a directory, not a
 * link, owned by the user, or refused. */
static int
sd_open_user(int dfd, const char *dir, const char *user, uid_t uid, gid_t gid,
    struct strbuf *err)
{
	struct stat sb;
	int fd;

	if (fstatat(dfd, STATEDIR_USER, &sb, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT &&
	    sd_create_user(dfd, dir, uid, gid, err) != 0)
		return -1;
	if (fstatat(dfd, STATEDIR_USER, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		strbuf_appendf(err, "%s/" STATEDIR_USER ": %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != uid) {
		if (!S_ISDIR(sb.st_mode))
			strbuf_appendf(err, "%s/" STATEDIR_USER ": %s, not a directory", dir,
			    statedir_kind(sb.st_mode));
		else
			strbuf_appendf(err, "%s/" STATEDIR_USER ": owned by uid %lu, not %s", dir,
			    (unsigned long)sb.st_uid, user);
		strbuf_append(err, ": refused (remove it; the agent creates it)");
		return -1;
	}
	if ((fd = openat(dfd, STATEDIR_USER, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		strbuf_appendf(err, "%s/" STATEDIR_USER ": %s", dir, strerror(errno));
	return fd;
}

/* One file of the old layout: moved when it is a regular file of the
 * user's with one link, left when root's, else what it is appended to
 * bad ("; "-separated) and -1. */
static int
sd_move_old(int dfd, int ufd, const char *dir, const char *name, const char *user, uid_t uid,
    struct strbuf *bad)
{
	struct stat sb;
	char what[64];

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(what, sizeof(what), "%s", strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		snprintf(what, sizeof(what), "%s", statedir_kind(sb.st_mode));
	} else if (sb.st_nlink != 1) {
		snprintf(what, sizeof(what), "a file with %lu hard links", (unsigned long)sb.st_nlink);
	} else if (sb.st_uid == 0) {
		log_info("%s/%s: root's (from a run without [agent] user): left in place; %s's "
		    "state starts without it", dir, name, user);
		return 0;
	} else if (sb.st_uid != uid) {
		snprintf(what, sizeof(what), "owned by uid %lu", (unsigned long)sb.st_uid);
	} else if (renameat2(dfd, name, ufd, name, RENAME_NOREPLACE) == 0) {
		log_info("%s/%s: moved to %s/" STATEDIR_USER "/%s", dir, name, dir, name);
		return 0;
	} else if (errno == EEXIST) {
		log_warnx("%s/%s: left in place: %s/" STATEDIR_USER "/%s exists", dir, name, dir, name);
		return 0;
	} else {
		snprintf(what, sizeof(what), "cannot be moved: %s", strerror(errno));
	}
	strbuf_appendf(bad, "%s%s/%s: %s", bad->len ? "; " : "", dir, name, what);
	return -1;
}

char *
statedir_prepare(const char *state_dir, const char *user, uid_t uid, gid_t gid,
    struct strbuf *err)
{
	struct strbuf bad = STRBUF_INIT;
	int dfd, ufd;

	if (trustdir_check_parent("state_dir", state_dir, err) != 0 ||
	    (dfd = sd_open_root(state_dir, user, uid, err)) < 0)
		return NULL;
	if ((ufd = sd_open_user(dfd, state_dir, user, uid, gid, err)) < 0) {
		close(dfd);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(statedir_old) / sizeof(statedir_old[0]); i++)
		sd_move_old(dfd, ufd, state_dir, statedir_old[i], user, uid, &bad);
	close(ufd), close(dfd);
	if (bad.len > 0) {
		strbuf_appendf(err, "%s: refused (state_dir was writable by %s: root moves only "
		    "regular files of %s's with one link into %s/" STATEDIR_USER ", and follows or "
		    "opens nothing there; remove them)", strbuf_str(&bad), user, user, state_dir);
		strbuf_clear(&bad);
		return NULL;
	}
	return xasprintf("%s/" STATEDIR_USER, state_dir);
}
