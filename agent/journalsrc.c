/*
 * journalsrc.c: the journal source of the logwatch (see journalsrc.h).
 *
 * The read pointer of the sd_journal is always on the last entry
 * delivered (or on the entry the start positioned at), except when
 * "pending" says the current entry is still to be delivered (a restart
 * whose saved entry was gone). The cursor file holds the cursor of the
 * last entry delivered, or JS_HEAD when nothing matched at the first
 * start.
 */
#include "journalsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "atomicfile.h"
#include "monotime.h"
#include "xalloc.h"

#define JS_HEAD "head"          /* cursor file: nothing matched at the first start */
#define JS_CURSOR_MAX 1024
#define JS_PREFIX_MAX 512       /* timestamp, host, identifier, pid */

struct journalsrc {
	sd_journal *j;
	char *name;             /* "the system journal" or the directory */
	char *cursor_file;      /* NULL: nothing saved */
	char *cursor;           /* of the last entry delivered, or JS_HEAD; NULL: none */
	char *saved;            /* what cursor_file holds */
	int pending;            /* the current entry is still to be delivered */
	char *buf;              /* one line */
	struct journalsrc_stats stats;
	char warning[512];
};

/* ---- unit names ---- */

/* NULL when name could be a systemd unit name, else why not. */
static const char *
js_unit_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "is empty";
	if (n > 255)
		return "is longer than 255 characters";
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") != n)
		return "has a character that no unit name has";
	const char *dot = strrchr(name, '.');
	if (dot == NULL || dot == name || dot[1] == '\0')
		return "has no unit type suffix (.service)";
	return NULL;
}

char **
journalsrc_units(const char *list, struct strbuf *err)
{
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	const char *p = list, *why;

	while (*p) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len == 0)
			break;
		char *u = xstrndup(p, len);
		if ((why = js_unit_check(u)) != NULL) {
			strbuf_appendf(err, "unit \"%.100s\" %s", u, why);
			free(u);
			journalsrc_units_free(v);
			return NULL;
		}
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = u;
		v[n] = NULL;
		p += len;
	}
	if (n == 0) {
		strbuf_append(err, "no unit named");
		journalsrc_units_free(v);
		return NULL;
	}
	return v;
}

void
journalsrc_units_free(char **units)
{
	for (size_t i = 0; units != NULL && units[i] != NULL; i++)
		free(units[i]);
	free(units);
}

/* ---- opening ---- */

static int
js_check_directory(const char *dir, struct strbuf *err)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		strbuf_appendf(err, "journal directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		strbuf_appendf(err, "journal directory %s: not a directory", dir);
		return -1;
	}
	if (access(dir, R_OK | X_OK) != 0) {
		strbuf_appendf(err, "journal directory %s: cannot read it: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Opens the journal with the unit matches; NULL with the reason. */
static sd_journal *
js_open_journal(const char *dir, const char *const *units, const char *name,
    struct strbuf *err)
{
	sd_journal *j = NULL;
	uint64_t bytes = 0;
	int r;

	if (dir != NULL && dir[0] != '\0') {
		if (js_check_directory(dir, err) != 0)
			return NULL;
		r = sd_journal_open_directory(&j, dir, 0);
	} else {
		r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	}
	if (r < 0) {
		strbuf_appendf(err, "open %s: %s", name, strerror(-r));
		return NULL;
	}
	/* sd_journal skips files it may not read: none read is an error */
	if ((r = sd_journal_get_usage(j, &bytes)) < 0 || bytes == 0) {
		strbuf_appendf(err, "%s: no journal file could be read (none there, or this user "
		    "is in neither group systemd-journal nor adm)", name);
		sd_journal_close(j);
		return NULL;
	}
	for (size_t i = 0; units[i] != NULL; i++) {
		char *m = xasprintf("_SYSTEMD_UNIT=%s", units[i]);
		r = sd_journal_add_match(j, m, 0);   /* same field: OR-ed */
		free(m);
		if (r < 0) {
			strbuf_appendf(err, "%s: match unit %s: %s", name, units[i], strerror(-r));
			sd_journal_close(j);
			return NULL;
		}
	}
	sd_journal_set_data_threshold(j, LOGFOLLOW_LINE_MAX + 64);
	return j;
}

static char *
js_name(const char *dir)
{
	return dir != NULL && dir[0] != '\0' ? xasprintf("journal in %s", dir) :
	    xstrdup("the system journal");
}

/* ---- the cursor file ---- */

/* The cursor file's content without its newline; NULL when there is none
 * (missing), "" when it cannot be used. */
static char *
js_load_cursor(const char *path)
{
	char text[JS_CURSOR_MAX + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? NULL : xstrdup("");
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 1 || text[n - 1] != '\n')
		return xstrdup("");
	text[n - 1] = '\0';
	for (ssize_t i = 0; i < n - 1; i++)
		if (text[i] <= ' ' || text[i] > '~')
			return xstrdup("");
	return xstrdup(text);
}

static int
js_write_cursor(struct journalsrc *js, int sync, struct strbuf *err)
{
	char *text = xasprintf("%s\n", js->cursor);
	int rc = atomicfile_write(js->cursor_file, text, strlen(text), 0600,
	    sync ? ATOMICFILE_SYNC : 0, err);

	free(text);
	return rc;
}

static int
js_save(struct journalsrc *js, int sync, struct strbuf *err)
{
	if (js->cursor_file == NULL || js->cursor == NULL ||
	    (js->saved != NULL && strcmp(js->saved, js->cursor) == 0 && !sync))
		return 0;
	if (js_write_cursor(js, sync, err) != 0)
		return -1;
	free(js->saved);
	js->saved = xstrdup(js->cursor);
	return 0;
}

/* Takes the cursor of the current entry as the last one delivered. */
static int
js_take_cursor(struct journalsrc *js, struct strbuf *err)
{
	char *c = NULL;
	int r = sd_journal_get_cursor(js->j, &c);

	if (r < 0) {
		strbuf_appendf(err, "%s: get cursor: %s", js->name, strerror(-r));
		return -1;
	}
	free(js->cursor);
	js->cursor = c;
	return 0;
}

/* ---- where reading starts ---- */

/* After the newest matching entry; at the head when none matches. */
static int
js_start_at_end(struct journalsrc *js, struct strbuf *err)
{
	int r;

	if ((r = sd_journal_seek_tail(js->j)) < 0 || (r = sd_journal_previous(js->j)) < 0) {
		strbuf_appendf(err, "%s: seek to its end: %s", js->name, strerror(-r));
		return -1;
	}
	if (r > 0)
		return js_take_cursor(js, err);
	if ((r = sd_journal_seek_head(js->j)) < 0) {
		strbuf_appendf(err, "%s: seek to its start: %s", js->name, strerror(-r));
		return -1;
	}
	free(js->cursor);
	js->cursor = xstrdup(JS_HEAD);
	return 0;
}

static int
js_start_at_cursor(struct journalsrc *js, const char *cursor, struct strbuf *err)
{
	int r;

	if (strcmp(cursor, JS_HEAD) == 0) {
		js->cursor = xstrdup(JS_HEAD);
		if ((r = sd_journal_seek_head(js->j)) < 0) {
			strbuf_appendf(err, "%s: seek to its start: %s", js->name, strerror(-r));
			return -1;
		}
		return 0;
	}
	if (cursor[0] == '\0' || sd_journal_seek_cursor(js->j, cursor) < 0) {
		js->stats.cursor_invalid = 1;
		snprintf(js->warning, sizeof(js->warning), "%s holds no journal cursor: reading "
		    "from the end of %s", js->cursor_file, js->name);
		return js_start_at_end(js, err);
	}
	js->cursor = xstrdup(cursor);
	if ((r = sd_journal_next(js->j)) < 0) {
		strbuf_appendf(err, "%s: read after the saved cursor: %s", js->name, strerror(-r));
		return -1;
	}
	if (r == 0 || sd_journal_test_cursor(js->j, cursor) > 0)
		return 0;       /* on the saved entry, or nothing after its place yet */
	js->stats.cursor_gone = 1;
	js->pending = 1;
	snprintf(js->warning, sizeof(js->warning), "the entry of the cursor saved in %s is no "
	    "longer in %s (rotated or vacuumed): reading from the first entry after it",
	    js->cursor_file, js->name);
	return 0;
}

/* ---- the interface ---- */

static struct journalsrc *
js_free(struct journalsrc *js)
{
	if (js->j != NULL)
		sd_journal_close(js->j);
	free(js->name), free(js->cursor_file), free(js->cursor), free(js->saved), free(js->buf);
	free(js);
	return NULL;
}

static struct journalsrc *
js_new(const char *directory, const char *const *units, struct strbuf *err)
{
	struct journalsrc *js = xcalloc(1, sizeof(*js));

	js->name = js_name(directory);
	if ((js->j = js_open_journal(directory, units, js->name, err)) == NULL)
		return js_free(js);
	js->buf = xmalloc(LOGFOLLOW_LINE_MAX + JS_PREFIX_MAX + 1);
	return js;
}

struct journalsrc *
journalsrc_open_head(const char *directory, const char *const *units, struct strbuf *err)
{
	struct journalsrc *js = js_new(directory, units, err);
	int r;

	if (js != NULL && (r = sd_journal_seek_head(js->j)) < 0) {
		strbuf_appendf(err, "%s: seek to its start: %s", js->name, strerror(-r));
		return js_free(js);
	}
	return js;
}

struct journalsrc *
journalsrc_open(const char *directory, const char *const *units, const char *cursor_file,
    struct strbuf *err)
{
	struct journalsrc *js = js_new(directory, units, err);
	char *cursor = NULL;
	int rc;

	if (js == NULL)
		return NULL;
	if (cursor_file != NULL) {
		js->cursor_file = xstrdup(cursor_file);
		cursor = js_load_cursor(cursor_file);
	}
	rc = cursor != NULL ? js_start_at_cursor(js, cursor, err) : js_start_at_end(js, err);
	free(cursor);
	if (rc != 0 || js_save(js, 1, err) != 0)
		return js_free(js);     /* the cursor file stays as it was */
	return js;
}

/* The fields of an entry that make its line. */
enum js_fld { F_MESSAGE, F_HOSTNAME, F_IDENT, F_COMM, F_SPID, F_PID, F_N };

static const struct {
	const char *prefix;
	size_t len;
} js_flds[F_N] = {
	{ "MESSAGE=", 8 }, { "_HOSTNAME=", 10 }, { "SYSLOG_IDENTIFIER=", 18 },
	{ "_COMM=", 6 }, { "SYSLOG_PID=", 11 }, { "_PID=", 5 },
};

struct js_entry {
	const char *v[F_N];
	size_t len[F_N];
};

/* One pass over the current entry's fields (cheaper than a lookup each). */
static void
js_fields(sd_journal *j, struct js_entry *e)
{
	const void *d;
	size_t n;

	memset(e, 0, sizeof(*e));
	sd_journal_restart_data(j);
	while (sd_journal_enumerate_available_data(j, &d, &n) > 0) {
		const char *p = d;
		for (int f = 0; f < F_N; f++)
			if (e->v[f] == NULL && n >= js_flds[f].len &&
			    memcmp(p, js_flds[f].prefix, js_flds[f].len) == 0) {
				e->v[f] = p + js_flds[f].len;
				e->len[f] = n - js_flds[f].len;
				break;
			}
	}
}

/* "2026-12-04T18:05:53.969057+01:00", local time, as journalctl prints it. */
static size_t
js_timestamp(sd_journal *j, char *out, size_t size)
{
	uint64_t usec = 0;
	struct tm tm;
	char zone[16];

	sd_journal_get_realtime_usec(j, &usec);
	time_t t = (time_t)(usec / 1000000);
	localtime_r(&t, &tm);
	int off = (int)(tm.tm_gmtoff / 60) % (24 * 60);
	snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
	    abs(off) % 60);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	int m = snprintf(out + n, size - n, ".%06u%s", (unsigned)(usec % 1000000), zone);
	return m > 0 && (size_t)m < size - n ? n + (size_t)m : n;
}

/* Builds the current entry's line in js->buf; its length, or -1 to skip. */
static long
js_line(struct journalsrc *js)
{
	struct js_entry e;
	js_fields(js->j, &e);
	size_t mlen = e.len[F_MESSAGE], hlen = e.len[F_HOSTNAME], ilen = e.len[F_IDENT];
	size_t plen = e.len[F_SPID];
	const char *msg = e.v[F_MESSAGE], *host = e.v[F_HOSTNAME], *ident = e.v[F_IDENT];
	const char *pid = e.v[F_SPID];

	if (msg == NULL) {
		js->stats.no_message++;
		return -1;
	}
	if (mlen > LOGFOLLOW_LINE_MAX) {
		js->stats.overlong++;
		return -1;
	}
	if (host == NULL)
		host = "localhost", hlen = 9;
	if (ident == NULL)
		ident = e.v[F_COMM], ilen = e.len[F_COMM];
	if (ident == NULL)
		ident = "-", ilen = 1;
	if (pid == NULL)
		pid = e.v[F_PID], plen = e.len[F_PID];
	/* the prefix's parts are cut to fit; whatever they hold, the parser judges */
	hlen = hlen > 128 ? 128 : hlen, ilen = ilen > 128 ? 128 : ilen, plen = plen > 20 ? 20 : plen;
	char *p = js->buf;
	p += js_timestamp(js->j, p, 64);
	p += sprintf(p, " %.*s %.*s", (int)hlen, host, (int)ilen, ident);
	if (pid != NULL)
		p += sprintf(p, "[%.*s]", (int)plen, pid);
	p += sprintf(p, ": ");
	memcpy(p, msg, mlen);
	p += mlen;
	*p = '\0';
	return (long)(p - js->buf);
}

/* Delivers what is there; the number of lines, or -1. */
static long
js_drain(struct journalsrc *js, logfollow_line_fn *fn, void *arg, struct strbuf *err)
{
	long count = 0, n;
	int seen = 0, r;

	for (int i = 0; i < JOURNALSRC_BATCH; i++) {
		if (js->pending) {
			js->pending = 0;
		} else if ((r = sd_journal_next(js->j)) <= 0) {
			if (r < 0) {
				strbuf_appendf(err, "%s: read: %s", js->name, strerror(-r));
				count = -1;
			}
			break;
		}
		seen = 1;
		if ((n = js_line(js)) < 0)
			continue;
		js->stats.lines++;
		count++;
		fn(js->buf, (size_t)n, arg);
	}
	/* the pointer is still on the last entry read */
	if (seen && js_take_cursor(js, err) != 0)
		return -1;
	return count;
}

long
journalsrc_poll(struct journalsrc *js, int timeout_ms, logfollow_line_fn *fn, void *arg,
    struct strbuf *err)
{
	long long deadline = monotime_ms() + (timeout_ms > 0 ? timeout_ms : 0), left;
	long n;
	int r;

	for (;;) {
		if ((n = js_drain(js, fn, arg, err)) != 0)
			return n;
		if ((left = deadline - monotime_ms()) <= 0)
			return 0;
		if ((r = sd_journal_wait(js->j, (uint64_t)left * 1000)) < 0) {
			strbuf_appendf(err, "%s: wait: %s", js->name, strerror(-r));
			return -1;
		}
	}
}

int
journalsrc_save(struct journalsrc *js, struct strbuf *err)
{
	return js_save(js, 0, err);
}

const struct journalsrc_stats *
journalsrc_stats(const struct journalsrc *js)
{
	return &js->stats;
}

const char *
journalsrc_warning(const struct journalsrc *js)
{
	return js->warning;
}

const char *
journalsrc_name(const struct journalsrc *js)
{
	return js->name;
}

struct journalsrc *
journalsrc_close(struct journalsrc *js)
{
	struct strbuf ignored = STRBUF_INIT;

	if (js == NULL)
		return NULL;
	js_save(js, 1, &ignored);
	strbuf_clear(&ignored);
	return js_free(js);
}

/* ---- for a preflight check ---- */

int
journal_probe(const char *directory, const char *const *units, time_t *last_entry,
    struct strbuf *err)
{
	char *name = js_name(directory);
	sd_journal *j = js_open_journal(directory, units, name, err);
	uint64_t usec = 0;
	int r;

	*last_entry = 0;
	if (j == NULL) {
		free(name);
		return -1;
	}
	if ((r = sd_journal_seek_tail(j)) >= 0 && (r = sd_journal_previous(j)) > 0)
		r = sd_journal_get_realtime_usec(j, &usec);
	if (r < 0)
		strbuf_appendf(err, "%s: read its newest entry: %s", name, strerror(-r));
	else
		*last_entry = (time_t)(usec / 1000000);
	sd_journal_close(j);
	free(name);
	return r < 0 ? -1 : 0;
}
