/*
 * holdsince.c: the start of each hold in STATE_DIR/hold-since (see
 * holdsince.h). Owns the parsed table.
 */
#include "holdsince.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "strarr.h"
#include "validate.h"
#include "xalloc.h"

static void
holdsince_add(struct holdsince *h, const char *sender, long long since)
{
	h->sender = xrealloc(h->sender, (h->n + 1) * sizeof(*h->sender));
	h->since = xrealloc(h->since, (h->n + 1) * sizeof(*h->since));
	h->sender[h->n] = xstrdup(sender);
	h->since[h->n++] = since;
}

/* Parses one "EPOCH<TAB>sender" line; -1 when it is not one. */
static int
holdsince_line(struct holdsince *h, char *line)
{
	char *tab = strchr(line, '\t'), *end;

	if (tab == NULL)
		return -1;
	*tab = '\0';
	errno = 0;
	long long since = strtoll(line, &end, 10);
	if (*line == '\0' || *end != '\0' || errno != 0 || since < 0 ||
	    validate_sender(tab + 1) != NULL ||
	    (h->n > 0 && strcmp(h->sender[h->n - 1], tab + 1) >= 0))
		return -1;
	holdsince_add(h, tab + 1, since);
	return 0;
}

int
holdsince_load(const char *dir, struct holdsince *h, struct strbuf *err)
{
	char *path = xasprintf("%s/hold-since", dir), line[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat sb;
	FILE *fp = NULL;
	size_t no = 0;
	int rc = 0;

	memset(h, 0, sizeof(*h));
	if (fd < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	/* the reader's own regular file: no link, FIFO or file of another's */
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (fp = fdopen(fd, "r")) == NULL) {
		if (fd >= 0 && fstat(fd, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid()))
			strbuf_appendf(err, "%s: not a regular file of uid %lu: refused", path,
			    (unsigned long)geteuid());
		else
			strbuf_appendf(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		no++;
		if (len == 0 || line[len - 1] != '\n' || (line[len - 1] = '\0', holdsince_line(h, line)) != 0) {
			strbuf_appendf(err, "%s:%zu: not \"EPOCH<TAB>sender\" in sender order", path, no);
			rc = -1;
		}
	}
	fclose(fp);
	free(path);
	if (rc != 0)
		holdsince_clear(h);
	return rc;
}

int
holdsince_save(const char *dir, const struct holdsince *h, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/hold-since", dir);
	int rc;

	for (size_t i = 0; i < h->n; i++)
		strbuf_appendf(&sb, "%lld\t%s\n", h->since[i], h->sender[i]);
	rc = atomicfile_write(path, strbuf_str(&sb), sb.len, 0644, ATOMICFILE_SYNC, err);
	strbuf_clear(&sb);
	free(path);
	return rc;
}

void
holdsince_clear(struct holdsince *h)
{
	strarr_free(h->sender, h->n);
	free(h->since);
	memset(h, 0, sizeof(*h));
}

long long
holdsince_get(const struct holdsince *h, const char *sender)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->sender[i], sender) == 0)
			return h->since[i];
	return 0;
}

void
holdsince_merge(struct holdsince *h, char **held, size_t n, long long now, int keep_others)
{
	struct holdsince out = { 0 };
	size_t i = 0, j = 0;

	while (i < h->n || j < n) {   /* both sorted: a merge */
		int c = i == h->n ? 1 : j == n ? -1 : strcmp(h->sender[i], held[j]);
		if (c < 0) {
			if (keep_others)
				holdsince_add(&out, h->sender[i], h->since[i]);
			i++;
		} else if (c > 0) {
			holdsince_add(&out, held[j++], now);
		} else {
			holdsince_add(&out, h->sender[i], h->since[i]);
			i++, j++;
		}
	}
	holdsince_clear(h);
	*h = out;
}
