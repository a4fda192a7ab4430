/*
 * tokenbatch.c: `postrouted token create --batch`: tokens for a list of
 * nodes, written to one file each, in one transaction (see tokenbatch.h).
 *
 * Owns the parsed list, the descriptor of the out-dir and the files it
 * creates there until the transaction commits; token.c owns the checks
 * of a token's name, role and node and the INSERT itself.
 */
#include "tokenbatch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "sanitize.h"
#include "strarr.h"
#include "token.h"
#include "validate.h"
#include "xalloc.h"

#define BATCH_LINE_MAX 1024

/* ---- the list ---- */

/* A bad line's text for a message: no control characters, at most 64. */
static void
batch_quote(struct strbuf *err, const char *s)
{
	char *clean = sanitize_text(s);

	strbuf_appendf(err, "\"%.64s%s\"", clean, strlen(clean) > 64 ? "..." : "");
	free(clean);
}

/* The name on a line without its comment and blanks: NULL for a blank or
 * comment line, else a pointer into line. */
static char *
batch_line_name(char *line)
{
	char *end;

	line[strcspn(line, "#")] = '\0';
	line += strspn(line, " \t\r\n");
	end = line + strlen(line);
	while (end > line && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	return *line ? line : NULL;
}

/* Checks one name against the grammar and the names before it. */
static int
batch_check_name(const struct token_batch *b, const char *what, int lineno, const char *name,
    struct strbuf *err)
{
	const char *why;

	if (strpbrk(name, " \t") != NULL) {
		strbuf_appendf(err, "%s:%d: one node name per line, not ", what, lineno);
		batch_quote(err, name);
		return -1;
	}
	if ((why = validate_name(name)) != NULL) {
		strbuf_appendf(err, "%s:%d: node name ", what, lineno);
		batch_quote(err, name);
		strbuf_appendf(err, " %s", why);
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		if (strcmp(b->node[i], name) == 0) {
			strbuf_appendf(err, "%s:%d: node %s is listed twice (first on line %d)", what,
			    lineno, name, b->line[i]);
			return -1;
		}
	}
	if (b->n == TOKEN_BATCH_MAX) {
		strbuf_appendf(err, "%s:%d: more than %d nodes in one batch", what, lineno,
		    TOKEN_BATCH_MAX);
		return -1;
	}
	return 0;
}

static void
batch_add(struct token_batch *b, const char *name, int lineno)
{
	b->node = xrealloc(b->node, (b->n + 1) * sizeof(*b->node));
	b->line = xrealloc(b->line, (b->n + 1) * sizeof(*b->line));
	b->node[b->n] = xstrdup(name);
	b->line[b->n] = lineno;
	b->n++;
}

int
token_batch_read(struct token_batch *b, FILE *fp, const char *what, struct strbuf *err)
{
	char *line = NULL, *name;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			strbuf_appendf(err, "%s:%d: a NUL octet in the line", what, lineno);
			rc = -1;
		} else if (len > BATCH_LINE_MAX) {
			strbuf_appendf(err, "%s:%d: longer than %d octets", what, lineno, BATCH_LINE_MAX);
			rc = -1;
		} else if ((name = batch_line_name(line)) != NULL) {
			if ((rc = batch_check_name(b, what, lineno, name, err)) == 0)
				batch_add(b, name, lineno);
		}
	}
	if (rc == 0 && ferror(fp)) {
		strbuf_appendf(err, "%s: %s", what, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && b->n == 0) {
		strbuf_appendf(err, "%s: no node names (one per line; '#' starts a comment)", what);
		rc = -1;
	}
	free(line);
	return rc;
}

/* ---- the out-dir ---- */

static char *
batch_file(const struct token_batch *b, size_t i)
{
	return xasprintf("%s.token", b->node[i]);
}

static char *
batch_token_name(const struct token_batch *b, size_t i)
{
	return xasprintf("%s%s", b->node[i], b->suffix ? b->suffix : "");
}

/* DIR/FILE as the user gave DIR, for messages and the output. */
static char *
batch_path(const struct token_batch *b, const char *file)
{
	size_t n = strlen(b->out_dir);

	while (n > 1 && b->out_dir[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, b->out_dir, file);
}

/* Every NODE.token must be missing; a link, even a dangling one, counts
 * as present. */
static int
batch_check_files(const struct token_batch *b, struct strbuf *err)
{
	struct stat st;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		char *file = batch_file(b, i), *path = batch_path(b, file);
		if (fstatat(b->dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			strbuf_appendf(err, "%s exists (node %s, line %d): move it away or leave the node"
			    " out", path, b->node[i], b->line[i]);
			rc = -1;
		} else if (errno != ENOENT) {
			strbuf_appendf(err, "%s: %s", path, strerror(errno));
			rc = -1;
		}
		free(file), free(path);
	}
	return rc;
}

int
token_batch_check(struct token_batch *b, struct strbuf *err)
{
	const char *why;

	if (strcmp(b->role, "agent") != 0 && strcmp(b->role, "detector") != 0) {
		strbuf_appendf(err, "--role %.32s: --batch makes agent or detector tokens (each bound"
		    " to its node of the list)", b->role);
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		char *name = batch_token_name(b, i);
		why = validate_name(name);
		if (why != NULL)
			strbuf_appendf(err, "--name-suffix: token name %s (node %s and the suffix) %s",
			    name, b->node[i], why);
		free(name);
		if (why != NULL)
			return -1;
	}
	b->dirfd = open(b->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dirfd < 0) {
		strbuf_appendf(err, "--out-dir %s: %s", b->out_dir, strerror(errno));
		return -1;
	}
	return batch_check_files(b, err);
}

/* ---- the transaction ---- */

/* Creates FILE in the out-dir, 0600 whatever the umask, with the secret
 * and a newline, on disk before the transaction commits. */
static int
batch_write(const struct token_batch *b, const char *file, const char *secret, struct strbuf *err)
{
	char buf[96];
	int fd, n = snprintf(buf, sizeof(buf), "%s\n", secret), rc = 0;

	fd = openat(b->dirfd, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		char *path = batch_path(b, file);
		strbuf_appendf(err, "%s: %s", path, strerror(errno));
		free(path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc != 0) {
		char *path = batch_path(b, file);
		strbuf_appendf(err, "%s: %s", path, strerror(errno));
		free(path);
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Removes the first n files (made by this batch). */
static void
batch_unlink(const struct token_batch *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *file = batch_file(b, i);
		unlinkat(b->dirfd, file, 0);
		free(file);
	}
	fsync(b->dirfd);
}

/* Token i: the row, its history row and its file. Returns 0, or -1 with
 * err set; *filed tells whether the file was made. */
static int
batch_one(PGconn *c, const struct token_batch *b, size_t i, const char *actor, int *filed,
    struct strbuf *err)
{
	char secret[80], *name = batch_token_name(b, i), *file = batch_file(b, i);
	struct strbuf why = STRBUF_INIT;
	int rc;

	*filed = 0;
	rc = token_create(c, name, b->role, b->node[i], actor, secret, &why);
	if (rc != 0)
		strbuf_appendf(err, "node %s (line %d): %s", b->node[i], b->line[i], strbuf_str(&why));
	else if ((rc = batch_write(b, file, secret, err)) == 0)
		*filed = 1;
	explicit_bzero(secret, sizeof(secret));
	strbuf_clear(&why);
	free(name), free(file);
	return rc;
}

static void
batch_report(const struct token_batch *b, struct strbuf *out)
{
	for (size_t i = 0; i < b->n; i++) {
		char *name = batch_token_name(b, i), *file = batch_file(b, i), *path = batch_path(b, file);
		strbuf_appendf(out, "%s token=%s role=%s file=%s\n", b->node[i], name, b->role, path);
		free(name), free(file), free(path);
	}
}

int
token_batch_create(PGconn *c, struct token_batch *b, const char *actor, struct strbuf *out,
    struct strbuf *err)
{
	size_t made = 0;
	int filed = 0, rc = db_exec(c, "BEGIN", 0, NULL);

	if (rc != 0)
		strbuf_appendf(err, "BEGIN: %.*s", (int)strcspn(PQerrorMessage(c), "\n"),
		    PQerrorMessage(c));
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		rc = batch_one(c, b, i, actor, &filed, err);
		made += (size_t)filed;
	}
	if (rc == 0 && fsync(b->dirfd) != 0) {
		strbuf_appendf(err, "--out-dir %s: fsync: %s", b->out_dir, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && db_exec(c, "COMMIT", 0, NULL) != 0) {
		strbuf_appendf(err, "COMMIT: %.*s", (int)strcspn(PQerrorMessage(c), "\n"),
		    PQerrorMessage(c));
		rc = -1;
	}
	if (rc != 0) {
		db_exec(c, "ROLLBACK", 0, NULL);
		batch_unlink(b, made);
		return -1;
	}
	batch_report(b, out);
	return 0;
}

void
token_batch_free(struct token_batch *b)
{
	b->node = strarr_free(b->node, b->n);
	free(b->line);
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->line = NULL;
	b->n = 0;
	b->dirfd = -1;
}
