/*
 * state.c: the agent's state files (see state.h).
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

void
state_clear(struct state *st)
{
	free(st->text);
	st->text = NULL;
	free(st->hold_text);
	st->hold_text = NULL;
}

/*
 * Opens a state file without following a link and without blocking (a
 * FIFO would hang the agent): it must be a regular file with one link,
 * owned by this process's user, else it is refused with what it is.
 */
static int
state_open(const char *path, int *missing, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat sb;

	*missing = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			*missing = 1;
		else if (errno == ELOOP)
			strbuf_appendf(err, "%s: a symbolic link: refused (state files are never "
			    "followed)", path);
		else
			strbuf_appendf(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
	    sb.st_uid != geteuid()) {
		if (!S_ISREG(sb.st_mode))
			strbuf_appendf(err, "%s: not a regular file: refused", path);
		else if (sb.st_nlink != 1)
			strbuf_appendf(err, "%s: a file with %lu hard links: refused", path,
			    (unsigned long)sb.st_nlink);
		else
			strbuf_appendf(err, "%s: owned by uid %lu, not by uid %lu that writes the "
			    "state: refused", path, (unsigned long)sb.st_uid, (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

static char *
state_read(const char *path, int *missing, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	ssize_t n;
	int fd = state_open(path, missing, err);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_appendn(&sb, buf, (size_t)n);
	if (n < 0) {
		strbuf_appendf(err, "read %s: %s", path, strerror(errno));
		close(fd);
		strbuf_clear(&sb);
		return NULL;
	}
	close(fd);
	if (sb.buf == NULL)
		strbuf_append(&sb, "");
	return strbuf_detach(&sb);
}

/* The optional copy of the hold map. */
static int
state_load_hold(const char *dir, struct state *st, struct strbuf *err)
{
	char *path = xasprintf("%s/hold", dir);
	int missing;

	st->hold_text = state_read(path, &missing, err);
	free(path);
	return st->hold_text == NULL && !missing ? -1 : 0;
}

int
state_load(const char *dir, struct state *st, struct strbuf *err)
{
	char *path = xasprintf("%s/state", dir), *cpath = xasprintf("%s/transport", dir);
	char *text, hex[SHA256_HEX_LEN + 2];
	int missing, rc = -1;
	long long v;

	memset(st, 0, sizeof(*st));
	st->version = -1;
	if ((text = state_read(path, &missing, err)) == NULL) {
		rc = missing ? 0 : -1;
		goto done;
	}
	if (sscanf(text, "version %lld\nsha256 %65s\n", &v, hex) != 2 || v < 0 ||
	    strlen(hex) != SHA256_HEX_LEN) {
		strbuf_appendf(err, "%s: malformed (expected \"version N\" and \"sha256 HEX\")", path);
		goto done;
	}
	if ((st->text = state_read(cpath, &missing, err)) == NULL) {
		if (missing)
			strbuf_appendf(err, "%s: missing (named by %s)", cpath, path);
		goto done;
	}
	st->version = v;
	memcpy(st->sha256, hex, sizeof(st->sha256));
	st->maincf_failed = strstr(text, "\nmaincf failed\n") != NULL;
	if (state_load_hold(dir, st, err) != 0)
		goto done;
	rc = 0;
done:
	if (rc != 0) {
		state_clear(st);
		st->version = -1;
	}
	free(text), free(path), free(cpath);
	return rc;
}

int
state_save(const char *dir, const struct state *st, struct strbuf *err)
{
	char *path = xasprintf("%s/state", dir), *cpath = xasprintf("%s/transport", dir);
	char *text = xasprintf("version %lld\nsha256 %s\n%s", st->version, st->sha256,
	    st->maincf_failed ? "maincf failed\n" : "");
	char *hpath = xasprintf("%s/hold", dir);
	const char *copy = st->text ? st->text : "";
	int rc = -1;

	/* the copies first, the state naming them last; one fsync of dir
	 * after the last rename makes all three renames durable */
	if (atomicfile_write(cpath, copy, strlen(copy), 0644, ATOMICFILE_SYNC_FILE, err) == 0 &&
	    (st->hold_text == NULL || atomicfile_write(hpath, st->hold_text, strlen(st->hold_text),
	    0644, ATOMICFILE_SYNC_FILE, err) == 0) &&
	    atomicfile_write(path, text, strlen(text), 0644, ATOMICFILE_SYNC, err) == 0)
		rc = 0;
	free(path), free(cpath), free(hpath), free(text);
	return rc;
}
