/*
 * test_logfollow.c: following real files in a temp directory, through
 * every way a log moves: created late, lines completed late, rotated by
 * rename (with the writer still appending to the old file), copytruncate,
 * restarts from the saved offset (same file, rotated to path.1 or to a
 * dateext sibling, truncated, gone), bad offset files, overlong and
 * binary lines, a backlog larger than one poll's batch, and pipes.
 *
 * A writer appends numbered lines ("line 1" ...); every poll's result is
 * compared with the exact lines expected, so a duplicate or a gap fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "logfollow.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

/* One test's directory: the log, its rotated names and the offset file. */
struct fx {
	int nfd;            /* descriptors open before: none may be left */
	char *dir;
	char *log;          /* DIR/maillog */
	char *off;          /* DIR/maillog.offset */
};

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
fx_init(struct fx *fx)
{
	fx->nfd = count_fds();
	fx->dir = tl_mkdtemp("logfollow");
	fx->log = xasprintf("%s/maillog", fx->dir);
	fx->off = xasprintf("%s/maillog.offset", fx->dir);
}

static void
rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(p) != 0 && errno == EISDIR)
			rm_tree(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
fx_done(struct fx *fx)
{
	assert_int_equal(count_fds(), fx->nfd);
	rm_tree(fx->dir);
	free(fx->dir), free(fx->log), free(fx->off);
}

static char *
fx_path(struct fx *fx, const char *suffix)
{
	return xasprintf("%s%s", fx->log, suffix);
}

static void
append_bytes(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static void
append(const char *path, const char *text)
{
	append_bytes(path, text, strlen(text));
}

/* "line FROM\n" ... "line TO\n" ("" when to < from); free it. */
static char *
lines_text(int from, int to)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = from; i <= to; i++)
		strbuf_appendf(&sb, "line %d\n", i);
	return strbuf_detach(&sb);
}

/* Appends "line FROM\n" ... "line TO\n". */
static void
write_lines(const char *path, int from, int to)
{
	char *text = lines_text(from, to);

	append(path, text);
	free(text);
}

static void
on_line(const char *line, size_t len, void *arg)
{
	struct strbuf *got = arg;

	assert_int_equal(line[len], '\0');
	strbuf_appendn(got, line, len);
	strbuf_appendc(got, '\n');
}

/* One poll without waiting must deliver exactly want (lines each ended
 * by a newline here), nlines of them. */
static void
expect_bytes(struct logfollow *lf, const char *want, size_t wlen, long nlines)
{
	struct strbuf got = STRBUF_INIT, err = STRBUF_INIT;
	long n = logfollow_poll(lf, 0, on_line, &got, &err);

	if (n < 0)
		fail_msg("poll: %s", strbuf_str(&err));
	if (got.len != wlen || memcmp(strbuf_str(&got), want, wlen) != 0)
		fail_msg("got:\n%.*s-- want:\n%.*s--", (int)got.len, strbuf_str(&got),
		    (int)wlen, want);
	assert_int_equal(n, nlines);
	strbuf_clear(&got);
	strbuf_clear(&err);
}

static void
expect(struct logfollow *lf, const char *want)
{
	long n = 0;

	for (const char *p = want; *p; p++)
		n += *p == '\n';
	expect_bytes(lf, want, strlen(want), n);
}

/* Expects "line FROM" ... "line TO" (nothing when to < from). */
static void
expect_range(struct logfollow *lf, int from, int to)
{
	char *text = lines_text(from, to);

	expect(lf, text);
	free(text);
}

static struct logfollow *
open_ok(const char *path, const char *off)
{
	struct strbuf err = STRBUF_INIT;
	struct logfollow *lf = logfollow_open(path, off, &err);

	if (lf == NULL)
		fail_msg("open %s: %s", path, strbuf_str(&err));
	strbuf_clear(&err);
	return lf;
}

static void
save_ok(struct logfollow *lf)
{
	struct strbuf err = STRBUF_INIT;

	if (logfollow_save(lf, &err) != 0)
		fail_msg("save: %s", strbuf_str(&err));
	strbuf_clear(&err);
}

/* The offset file names file (its device and inode) at off. */
static void
expect_offset(const char *offset_file, const char *file, long long off)
{
	char want[128], *got = tl_read_file(offset_file);
	struct stat st;

	assert_int_equal(stat(file, &st), 0);
	snprintf(want, sizeof(want), "%ju %ju %lld\n", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino, off);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static long long
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long long)st.st_size;
}

/* A follower of fx's log, created empty, that has read lines 1 to n
 * written to it. */
static struct logfollow *
start_with_lines(struct fx *fx, int n)
{
	struct logfollow *lf;

	append(fx->log, "");
	lf = open_ok(fx->log, fx->off);
	write_lines(fx->log, 1, n);
	expect_range(lf, 1, n);
	return lf;
}

/* Closes lf, which saves its offset: the end of path. */
static void
close_at_end(struct logfollow *lf, const char *off, const char *path)
{
	logfollow_close(lf);
	expect_offset(off, path, file_size(path));
}

/* ---- first start ---- */

static void
test_start_at_end(void **state)
{
	struct fx fx;
	struct logfollow *lf;

	(void)state;
	fx_init(&fx);
	write_lines(fx.log, 1, 3);
	lf = open_ok(fx.log, fx.off);
	assert_int_equal(logfollow_stats(lf)->offset_invalid, 0);
	expect_range(lf, 1, 0);
	write_lines(fx.log, 4, 5);
	expect_range(lf, 4, 5);
	expect_range(lf, 1, 0);
	save_ok(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log));
	assert_int_equal(logfollow_stats(lf)->lines, 2);
	lf = logfollow_close(lf);
	assert_null(lf);
	fx_done(&fx);
}

/* The existing file ends inside a line: its rest is not a line of ours. */
static void
test_start_inside_line(void **state)
{
	struct fx fx;
	struct logfollow *lf;

	(void)state;
	fx_init(&fx);
	append(fx.log, "line 1\nline 2 is be");
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 1, 0);
	append(fx.log, "ing written\n");
	write_lines(fx.log, 3, 4);
	expect_range(lf, 3, 4);
	assert_int_equal(logfollow_stats(lf)->overlong, 0);
	close_at_end(lf, fx.off, fx.log);
	fx_done(&fx);
}

static void
test_created_later(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	char *text;

	(void)state;
	fx_init(&fx);
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 1, 0);
	save_ok(lf);
	assert_null(text = tl_read_file(fx.off));
	write_lines(fx.log, 1, 2);
	expect_range(lf, 1, 2);
	write_lines(fx.log, 3, 3);
	expect_range(lf, 3, 3);
	assert_int_equal(logfollow_stats(lf)->rotations, 0);
	save_ok(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log));
	logfollow_close(lf);
	fx_done(&fx);
}

/* ---- lines ---- */

static void
test_partial_line(void **state)
{
	struct fx fx;
	struct logfollow *lf;

	(void)state;
	fx_init(&fx);
	append(fx.log, "");
	lf = open_ok(fx.log, fx.off);
	append(fx.log, "line 1\nline");
	expect(lf, "line 1\n");
	save_ok(lf);
	expect_offset(fx.off, fx.log, 7);
	append(fx.log, " 2");
	expect(lf, "");
	save_ok(lf);
	expect_offset(fx.off, fx.log, 7);
	append(fx.log, "\n\nline 3");
	expect(lf, "line 2\n\n");
	append(fx.log, "\n");
	expect(lf, "line 3\n");
	save_ok(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log));
	logfollow_close(lf);
	fx_done(&fx);
}

/* LOGFOLLOW_LINE_MAX bytes pass, one more is skipped, also when the line
 * comes in pieces across polls; NUL and other bytes pass as they are. */
static void
test_overlong_and_binary(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	size_t big = 1024 * 1024;
	char *line = xmalloc(big + 2);
	static const char bin[] = "a\0b\xff\r\x01";

	(void)state;
	fx_init(&fx);
	append(fx.log, "");
	lf = open_ok(fx.log, fx.off);

	memset(line, 'x', LOGFOLLOW_LINE_MAX);
	line[LOGFOLLOW_LINE_MAX] = '\n';
	append_bytes(fx.log, line, LOGFOLLOW_LINE_MAX + 1);
	expect_bytes(lf, line, LOGFOLLOW_LINE_MAX + 1, 1);

	memset(line, 'y', LOGFOLLOW_LINE_MAX + 1);
	line[LOGFOLLOW_LINE_MAX + 1] = '\n';
	append_bytes(fx.log, line, LOGFOLLOW_LINE_MAX + 2);
	write_lines(fx.log, 1, 1);
	expect_range(lf, 1, 1);
	assert_int_equal(logfollow_stats(lf)->overlong, 1);

	memset(line, 'z', big);
	append_bytes(fx.log, line, 100 * 1024);
	expect_range(lf, 1, 0);
	save_ok(lf);
	long long before = file_size(fx.log) - 100 * 1024;
	expect_offset(fx.off, fx.log, before);
	append_bytes(fx.log, line, big);
	expect_range(lf, 1, 0);
	append(fx.log, "\n");
	write_lines(fx.log, 2, 2);
	expect_range(lf, 2, 2);
	assert_int_equal(logfollow_stats(lf)->overlong, 2);

	append_bytes(fx.log, bin, sizeof(bin) - 1);
	append(fx.log, "\n");
	expect_bytes(lf, "a\0b\xff\r\x01\n", 7, 1);
	save_ok(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log));
	assert_int_equal(logfollow_stats(lf)->lines, 4);
	logfollow_close(lf);
	free(line);
	fx_done(&fx);
}

struct seq {
	long next;          /* expected number */
	long bad;
};

static void
on_seq(const char *line, size_t len, void *arg)
{
	struct seq *s = arg;
	char want[32];
	int n = snprintf(want, sizeof(want), "line %ld", s->next++);

	if ((size_t)n != len || memcmp(line, want, len) != 0)
		s->bad++;
}

/* More than one poll's batch: each poll takes a part, lines split across
 * reads and polls arrive whole, once, in order; the saved offset follows. */
static void
test_backlog_in_batches(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	struct seq s = { 1, 0 };
	long total = 0, n, polls = 0, count = 0;

	(void)state;
	fx_init(&fx);
	append(fx.log, "");
	lf = open_ok(fx.log, fx.off);
	while (text.len < 3 * LOGFOLLOW_BATCH + 12345)
		strbuf_appendf(&text, "line %ld\n", ++count);
	strbuf_append(&text, "line");
	append(fx.log, strbuf_str(&text));
	while ((n = logfollow_poll(lf, 0, on_seq, &s, &err)) > 0) {
		assert_true(n < count);
		total += n;
		polls++;
		save_ok(lf);
		char *saved = tl_read_file(fx.off);
		long long off;
		assert_int_equal(sscanf(saved, "%*u %*u %lld", &off), 1);
		free(saved);
		/* just after "line TOTAL\n" */
		char want[32];
		int wl = snprintf(want, sizeof(want), "line %ld\n", total);
		assert_memory_equal(text.buf + off - wl, want, (size_t)wl);
	}
	assert_int_equal(n, 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(total, count);
	assert_int_equal(polls, 4);     /* LOGFOLLOW_BATCH bytes at most per poll */
	append(fx.log, " more\n");
	expect(lf, "line more\n");
	logfollow_close(lf);
	strbuf_clear(&text);
	strbuf_clear(&err);
	fx_done(&fx);
}

/* ---- while running ---- */

static void
test_rotate_rename(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	char *one;

	(void)state;
	fx_init(&fx);
	one = fx_path(&fx, ".1");
	lf = start_with_lines(&fx, 2);

	/* renamed, not yet recreated: the old file is still read */
	assert_int_equal(rename(fx.log, one), 0);
	write_lines(one, 3, 3);
	expect_range(lf, 3, 3);
	assert_int_equal(logfollow_stats(lf)->rotations, 0);

	/* recreated, and the writer appends to the old one before reopening */
	write_lines(fx.log, 5, 5);
	write_lines(one, 4, 4);
	expect_range(lf, 4, 5);
	assert_int_equal(logfollow_stats(lf)->rotations, 1);
	write_lines(fx.log, 6, 6);
	expect_range(lf, 6, 6);
	save_ok(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log));

	/* the old file's unterminated last line is a line */
	append(fx.log, "line 7");
	expect_range(lf, 1, 0);
	assert_int_equal(rename(fx.log, one), 0);
	write_lines(fx.log, 8, 8);
	expect_range(lf, 7, 8);
	assert_int_equal(logfollow_stats(lf)->rotations, 2);

	/* removed and created again */
	assert_int_equal(unlink(fx.log), 0);
	write_lines(fx.log, 9, 10);
	expect_range(lf, 9, 10);
	assert_int_equal(logfollow_stats(lf)->rotations, 3);
	assert_int_equal(logfollow_stats(lf)->truncations, 0);
	close_at_end(lf, fx.off, fx.log);
	free(one);
	fx_done(&fx);
}

static void
test_copytruncate(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	char *one, *text;

	(void)state;
	fx_init(&fx);
	one = fx_path(&fx, ".1");
	lf = start_with_lines(&fx, 3);
	text = tl_read_file(fx.log);
	tl_write_file(one, text);
	assert_int_equal(truncate(fx.log, 0), 0);
	write_lines(fx.log, 4, 5);
	expect_range(lf, 4, 5);
	assert_int_equal(logfollow_stats(lf)->truncations, 1);
	assert_int_equal(logfollow_stats(lf)->rotations, 0);
	write_lines(fx.log, 6, 6);
	expect_range(lf, 6, 6);
	save_ok(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log));
	logfollow_close(lf);
	free(one), free(text);
	fx_done(&fx);
}

/* ---- restarts ---- */

static void
test_restart_mid_file(void **state)
{
	struct fx fx;
	struct logfollow *lf;

	(void)state;
	fx_init(&fx);
	lf = start_with_lines(&fx, 3);
	close_at_end(lf, fx.off, fx.log);

	write_lines(fx.log, 4, 5);
	append(fx.log, "line 6 is not fini");
	lf = open_ok(fx.log, fx.off);
	assert_int_equal(logfollow_stats(lf)->offset_invalid, 0);
	expect_range(lf, 4, 5);
	lf = logfollow_close(lf);
	expect_offset(fx.off, fx.log, file_size(fx.log) - 18);

	append(fx.log, "shed\n");
	write_lines(fx.log, 7, 7);
	lf = open_ok(fx.log, fx.off);
	expect(lf, "line 6 is not finished\nline 7\n");
	lf = logfollow_close(lf);

	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 1, 0);
	assert_int_equal(logfollow_stats(lf)->rotations, 0);
	assert_int_equal(logfollow_stats(lf)->truncations, 0);
	logfollow_close(lf);
	fx_done(&fx);
}

/* Stopped after line 2; lines 3-4 went to the file before it was renamed
 * to suffix, 5-6 to the new one. */
static void
restart_rotated(const char *suffix, int decoys)
{
	struct fx fx;
	struct logfollow *lf;
	char *rotated, *decoy, *packed;

	fx_init(&fx);
	rotated = fx_path(&fx, suffix);
	decoy = fx_path(&fx, "-20261120");
	packed = fx_path(&fx, "-20261126.gz");
	lf = start_with_lines(&fx, 2);
	logfollow_close(lf);

	write_lines(fx.log, 3, 4);
	assert_int_equal(rename(fx.log, rotated), 0);
	write_lines(fx.log, 5, 6);
	if (decoys) {
		append(decoy, "old 1\nold 2\n");
		append(packed, "\x1f\x8b not text\n");
	}
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 3, 6);
	assert_int_equal(logfollow_stats(lf)->rotations, 1);
	write_lines(fx.log, 7, 7);
	expect_range(lf, 7, 7);
	close_at_end(lf, fx.off, fx.log);

	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 1, 0);
	logfollow_close(lf);
	free(rotated), free(decoy), free(packed);
	fx_done(&fx);
}

static void
test_restart_rotated_dot1(void **state)
{
	(void)state;
	restart_rotated(".1", 0);
}

static void
test_restart_rotated_dateext(void **state)
{
	(void)state;
	restart_rotated("-20261127", 1);
}

/* Rotated while stopped and not recreated yet: the rest of the old file,
 * then the new one when it appears. */
static void
test_restart_rotated_not_recreated(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	char *one;

	(void)state;
	fx_init(&fx);
	one = fx_path(&fx, ".1");
	lf = start_with_lines(&fx, 2);
	logfollow_close(lf);

	assert_int_equal(rename(fx.log, one), 0);
	write_lines(one, 3, 3);
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 3, 3);
	write_lines(one, 4, 4);
	expect_range(lf, 4, 4);
	close_at_end(lf, fx.off, one);

	/* stopped again while still on the rotated file */
	write_lines(one, 5, 5);
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 5, 5);
	write_lines(fx.log, 6, 7);
	expect_range(lf, 6, 7);
	assert_int_equal(logfollow_stats(lf)->rotations, 1);
	close_at_end(lf, fx.off, fx.log);
	free(one);
	fx_done(&fx);
}

/* The saved file is nowhere to be found (moved away, compressed): the
 * new file from its start, now or when it appears. */
static void
test_restart_rotated_gone(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	char *away;

	(void)state;
	fx_init(&fx);
	away = xasprintf("%s/archive", fx.dir);
	lf = start_with_lines(&fx, 2);
	logfollow_close(lf);

	write_lines(fx.log, 3, 3);
	assert_int_equal(rename(fx.log, away), 0);
	write_lines(fx.log, 4, 5);
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 4, 5);
	assert_int_equal(logfollow_stats(lf)->rotations, 1);
	logfollow_close(lf);

	assert_int_equal(unlink(fx.log), 0);
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 1, 0);
	write_lines(fx.log, 6, 6);
	expect_range(lf, 6, 6);
	close_at_end(lf, fx.off, fx.log);
	free(away);
	fx_done(&fx);
}

static void
test_restart_truncated(void **state)
{
	struct fx fx;
	struct logfollow *lf;

	(void)state;
	fx_init(&fx);
	lf = start_with_lines(&fx, 3);
	logfollow_close(lf);

	assert_int_equal(truncate(fx.log, 0), 0);
	write_lines(fx.log, 4, 4);
	lf = open_ok(fx.log, fx.off);
	expect_range(lf, 4, 4);
	assert_int_equal(logfollow_stats(lf)->truncations, 1);
	assert_int_equal(logfollow_stats(lf)->rotations, 0);
	close_at_end(lf, fx.off, fx.log);
	fx_done(&fx);
}

/* Anything but "DEV INO OFFSET\n" is no offset: start at the end. */
static void
test_offset_file_bad(void **state)
{
	static const char *const bad[] = {
		"", "hello\n", "1 2\n", "1 2 3", "1 2 3\nmore", "-1 2 3\n", " 1 2 3\n",
		"1  2 3\n", "1 2 +3\n", "1 2 99999999999999999999999\n", "1 2 3 4\n",
		"18446744073709551616 2 3\n",
	};
	struct fx fx;
	struct logfollow *lf;
	char line[32];
	int n = 0;

	(void)state;
	fx_init(&fx);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_lines(fx.log, n + 1, n + 2);
		n += 2;
		tl_write_file(fx.off, bad[i]);
		lf = open_ok(fx.log, fx.off);
		if (logfollow_stats(lf)->offset_invalid != 1)
			fail_msg("offset file \"%s\" taken as valid", bad[i]);
		expect_range(lf, 1, 0);
		write_lines(fx.log, n + 1, n + 1);
		n++;
		snprintf(line, sizeof(line), "line %d\n", n);
		expect(lf, line);
		save_ok(lf);
		expect_offset(fx.off, fx.log, file_size(fx.log));
		logfollow_close(lf);
	}

	/* unreadable (a directory): start at the end, saving says why not */
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(unlink(fx.off), 0);
	assert_int_equal(mkdir(fx.off, 0755), 0);
	lf = open_ok(fx.log, fx.off);
	assert_int_equal(logfollow_stats(lf)->offset_invalid, 1);
	expect_range(lf, 1, 0);
	assert_int_equal(logfollow_save(lf, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), fx.off));
	logfollow_close(lf);
	strbuf_clear(&err);
	fx_done(&fx);
}

/* Saves only when the position moved. */
static void
test_save_only_when_changed(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	char *text;

	(void)state;
	fx_init(&fx);
	lf = start_with_lines(&fx, 1);
	save_ok(lf);
	expect_offset(fx.off, fx.log, 7);
	assert_int_equal(unlink(fx.off), 0);
	save_ok(lf);
	assert_null(text = tl_read_file(fx.off));
	append(fx.log, "line");
	expect_range(lf, 1, 0);
	save_ok(lf);
	assert_null(text = tl_read_file(fx.off));
	append(fx.log, " 2\n");
	expect_range(lf, 2, 2);
	save_ok(lf);
	expect_offset(fx.off, fx.log, 14);
	logfollow_close(lf);

	/* a restart at the saved place changes nothing either */
	assert_int_equal(unlink(fx.off), 0);
	tl_write_file(fx.off, "");
	lf = open_ok(fx.log, fx.off);
	save_ok(lf);
	expect_offset(fx.off, fx.log, 14);
	logfollow_close(lf);
	struct stat before, after;
	assert_int_equal(stat(fx.off, &before), 0);
	lf = open_ok(fx.log, fx.off);
	logfollow_close(lf);
	assert_int_equal(stat(fx.off, &after), 0);
	assert_true(before.st_ino == after.st_ino);
	fx_done(&fx);
}

static void
test_errors(void **state)
{
	struct fx fx;
	struct strbuf err = STRBUF_INIT;
	struct logfollow *lf;
	char *nodir;

	(void)state;
	fx_init(&fx);
	assert_int_equal(mkdir(fx.log, 0755), 0);
	assert_null(logfollow_open(fx.log, fx.off, &err));
	assert_non_null(strstr(strbuf_str(&err), fx.log));
	assert_non_null(strstr(strbuf_str(&err), "not a regular file"));
	assert_null(tl_read_file(fx.off));
	assert_int_equal(rmdir(fx.log), 0);

	strbuf_reset(&err);
	nodir = xasprintf("%s/missing/offset", fx.dir);
	append(fx.log, "");
	lf = open_ok(fx.log, nodir);
	write_lines(fx.log, 1, 1);
	expect_range(lf, 1, 1);
	assert_int_equal(logfollow_save(lf, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), nodir));
	assert_non_null(strstr(strbuf_str(&err), "No such file or directory"));
	write_lines(fx.log, 2, 2);
	expect_range(lf, 2, 2);
	logfollow_close(lf);
	free(nodir);
	strbuf_clear(&err);
	fx_done(&fx);
}

/* ---- waiting ---- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Is process pid asleep (state S in /proc/PID/stat)? */
static int
asleep(void *arg)
{
	char *path = xasprintf("/proc/%d/stat", (int)(intptr_t)arg), *stat = tl_read_file(path);
	const char *p = stat ? strrchr(stat, ')') : NULL;
	int yes = p != NULL && p[1] == ' ' && p[2] == 'S';

	free(path), free(stat);
	return yes;
}

/* A child appends text to path (or writes it to fd) once this process is
 * blocked waiting (in logfollow_poll), so that the line arrives while it
 * waits. */
static pid_t
later(const char *path, int fd, const char *text)
{
	pid_t parent = getpid(), pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (!tl_wait_for(asleep, (void *)(intptr_t)parent, 10000))
			_exit(1);
		if (path != NULL) {
			int wfd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
			if (wfd < 0 || write(wfd, text, strlen(text)) < 0)
				_exit(1);
			close(wfd);
		} else if (write(fd, text, strlen(text)) < 0)
			_exit(1);
		_exit(0);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_wait_file(void **state)
{
	struct fx fx;
	struct logfollow *lf;
	struct strbuf got = STRBUF_INIT, err = STRBUF_INIT;
	long long t0;
	pid_t pid;

	(void)state;
	fx_init(&fx);
	lf = open_ok(fx.log, fx.off);
	t0 = now_ms();
	assert_int_equal(logfollow_poll(lf, 150, on_line, &got, &err), 0);
	assert_true(now_ms() - t0 >= 140);

	/* created while waiting, then appended to */
	pid = later(fx.log, -1, "line 1\n");
	t0 = now_ms();
	assert_int_equal(logfollow_poll(lf, 10000, on_line, &got, &err), 1);
	assert_true(now_ms() - t0 < 5000);
	reap(pid);
	pid = later(fx.log, -1, "line 2\n");
	assert_int_equal(logfollow_poll(lf, 10000, on_line, &got, &err), 1);
	reap(pid);
	assert_string_equal(strbuf_str(&got), "line 1\nline 2\n");
	logfollow_close(lf);
	strbuf_clear(&got);
	strbuf_clear(&err);
	fx_done(&fx);
}

/* ---- descriptors ---- */

static void
test_pipe(void **state)
{
	struct logfollow *lf;
	struct strbuf got = STRBUF_INIT, err = STRBUF_INIT;
	long long t0;
	int p[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	lf = logfollow_open_fd(p[0], "pipe");
	expect_range(lf, 1, 0);
	assert_int_equal(logfollow_eof(lf), 0);
	assert_int_equal(write(p[1], "line 1\nline 2\nline", 18), 18);
	expect_range(lf, 1, 2);
	assert_int_equal(write(p[1], " 3\n", 3), 3);
	expect_range(lf, 3, 3);

	t0 = now_ms();
	assert_int_equal(logfollow_poll(lf, 150, on_line, &got, &err), 0);
	assert_true(now_ms() - t0 >= 140);
	pid = later(NULL, p[1], "line 4\n");
	assert_int_equal(logfollow_poll(lf, 10000, on_line, &got, &err), 1);
	reap(pid);
	assert_string_equal(strbuf_str(&got), "line 4\n");

	assert_int_equal(write(p[1], "line 5", 6), 6);
	expect_range(lf, 1, 0);
	close(p[1]);
	expect_range(lf, 5, 5);
	assert_int_equal(logfollow_eof(lf), 1);
	expect_range(lf, 1, 0);
	assert_int_equal(logfollow_save(lf, &err), 0);
	logfollow_close(lf);
	assert_int_not_equal(fcntl(p[0], F_GETFD), -1);      /* still the caller's */
	close(p[0]);
	strbuf_clear(&got);
	strbuf_clear(&err);
}

/* "-" is standard input; an offset file is not used for it. */
static void
test_stdin(void **state)
{
	struct fx fx;
	struct strbuf err = STRBUF_INIT;
	struct logfollow *lf;
	int p[2], saved;

	(void)state;
	fx_init(&fx);
	assert_int_equal(pipe(p), 0);
	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	lf = logfollow_open("-", fx.off, &err);
	assert_non_null(lf);
	assert_int_equal(write(p[1], "line 1\n\nline 2\n", 15), 15);
	expect(lf, "line 1\n\nline 2\n");
	close(p[1]);
	expect(lf, "");
	assert_int_equal(logfollow_eof(lf), 1);
	logfollow_close(lf);
	assert_null(tl_read_file(fx.off));
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	strbuf_clear(&err);
	fx_done(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_at_end),
		cmocka_unit_test(test_start_inside_line),
		cmocka_unit_test(test_created_later),
		cmocka_unit_test(test_partial_line),
		cmocka_unit_test(test_overlong_and_binary),
		cmocka_unit_test(test_backlog_in_batches),
		cmocka_unit_test(test_rotate_rename),
		cmocka_unit_test(test_copytruncate),
		cmocka_unit_test(test_restart_mid_file),
		cmocka_unit_test(test_restart_rotated_dot1),
		cmocka_unit_test(test_restart_rotated_dateext),
		cmocka_unit_test(test_restart_rotated_not_recreated),
		cmocka_unit_test(test_restart_rotated_gone),
		cmocka_unit_test(test_restart_truncated),
		cmocka_unit_test(test_offset_file_bad),
		cmocka_unit_test(test_save_only_when_changed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_wait_file),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_stdin),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
