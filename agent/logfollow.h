/*
 * logfollow.h: follow a log file as "tail -F" does, from a saved offset.
 *
 * NAME
 *	logfollow - lines appended to a log file, across rotations and restarts
 *
 * DESCRIPTION
 *	logfollow_open prepares to follow path, or standard input when path
 *	is "-". logfollow_poll reads whatever is new and calls fn once per
 *	complete line, without its newline (len may be 0; line[len] is a
 *	NUL added for convenience, the line itself may hold NUL bytes and
 *	anything else: the parser judges it). A last line without its
 *	newline is held back until the newline arrives.
 *
 *	Where reading starts:
 *	first start (no offset file, or one that does not parse)
 *	        at the end of the existing file: old lines are not news.
 *	        When the file ends inside a line, the rest of that line is
 *	        skipped too. A file that does not exist yet is read from
 *	        its start once it appears.
 *	restart (offset file "DEV INO OFFSET")
 *	        same file, at least OFFSET long: at OFFSET. Same file, but
 *	        shorter (truncated meanwhile): at 0. Another file (rotated
 *	        meanwhile): the rotated one is looked for among path.1 and
 *	        the dateext siblings path-* (not .gz, .xz, .bz2, .zst); when
 *	        one has the saved device and inode, its rest is read from
 *	        OFFSET first, then the file at path from 0. Otherwise the
 *	        file at path is read from 0.
 *
 *	While following:
 *	rotation by rename
 *	        when path names another file (device and inode) than the
 *	        open one, the open file is first read to its end (writers
 *	        append to it until they reopen), its unterminated last line,
 *	        if any, is delivered as a line, and reading goes on at the
 *	        start of the new file. While path does not exist the open
 *	        file is still read, and path is looked at again at every
 *	        poll.
 *	copytruncate
 *	        a file shorter than the read position is read again from 0.
 *
 *	Lines longer than LOGFOLLOW_LINE_MAX bytes are skipped whole (only
 *	a buffer's worth is ever held) and counted.
 *
 *	logfollow_poll waits up to timeout_ms for a line when there is none
 *	(a file is looked at every LOGFOLLOW_CHECK_MS; standard input is
 *	waited on with poll(2)) and returns early when a signal interrupts
 *	the wait. One call reads at most LOGFOLLOW_BATCH bytes, so a large
 *	backlog comes in several calls, each followed by the caller's
 *	logfollow_save. At the end of standard input the unterminated last
 *	line is delivered and logfollow_eof becomes true; later polls
 *	return 0 at once. fn must not call logfollow functions on the same
 *	follower.
 *
 *	logfollow_save writes "DEV INO OFFSET\n" to offset_file, OFFSET
 *	being just after the last line delivered (or skipped), so that a
 *	restart neither repeats nor skips a line. It writes only when that
 *	changed, to a temp file in the same directory then renamed
 *	(atomicfile.h); close saves once more and fsyncs the file and its
 *	directory. Standard input has no offset.
 *
 *	logfollow_open_fd follows an open descriptor (a pipe, a terminal)
 *	as standard input is followed; logfollow_open("-") is
 *	logfollow_open_fd(0).
 *
 * LIMITS
 *	Like tail -F, with nothing but device, inode and size to go by:
 *	lines a writer appends to the old file after the switch to the new
 *	one are not read; a file truncated and grown past the position
 *	between two looks, or an inode number reused by the new file while
 *	stopped, go unnoticed; of several rotations while stopped only the
 *	file named by the offset and the current one are read; lines
 *	written just before a copytruncate while stopped are only in the
 *	copy, which is not read. Both files are on one file system, so
 *	the device number must be stable across reboots.
 *
 * OWNERSHIP
 *	struct logfollow owns its copies of path and offset_file, the open
 *	file and a LOGFOLLOW_BUFSIZE buffer; logfollow_close frees all of it.
 *	A descriptor given to logfollow_open_fd (or standard input) stays
 *	the caller's and is not closed. No threads, no signals.
 *
 * DIAGNOSTICS
 *	Nothing is printed. logfollow_open returns NULL and logfollow_poll
 *	and logfollow_save -1 with the file and strerror in err; a follower
 *	stays usable after a failed poll or save (the next one tries
 *	again), lines a failed poll delivered before the error stay
 *	delivered. A missing file is not an error. An offset file that
 *	cannot be read or parsed is not one either: reading starts at the
 *	end and logfollow_stats says offset_invalid. Rotations, truncations
 *	and skipped lines are counted there too.
 */
#ifndef POSTROUTE_LOGFOLLOW_H
#define POSTROUTE_LOGFOLLOW_H

#include <stddef.h>

#include "strbuf.h"

#define LOGFOLLOW_LINE_MAX (64 * 1024)          /* longer lines are skipped */
#define LOGFOLLOW_BUFSIZE (256 * 1024)          /* one read(2) at most */
#define LOGFOLLOW_BATCH (8 * 1024 * 1024)       /* bytes read by one poll at most */
#define LOGFOLLOW_CHECK_MS 100                  /* a waiting poll looks at the file this often */

struct logfollow;

struct logfollow_stats {
	unsigned long long lines;        /* delivered */
	unsigned long long rotations;    /* moves to another file at path */
	unsigned long long truncations;  /* file shorter than the position: read from 0 */
	unsigned long long overlong;     /* lines skipped, longer than LOGFOLLOW_LINE_MAX */
	int offset_invalid;              /* the offset file was there but unusable */
};

typedef void logfollow_line_fn(const char *line, size_t len, void *arg);

struct logfollow *logfollow_open(const char *path, const char *offset_file,
    struct strbuf *err);
struct logfollow *logfollow_open_fd(int fd, const char *name);
long logfollow_poll(struct logfollow *lf, int timeout_ms, logfollow_line_fn *fn,
    void *arg, struct strbuf *err);
int logfollow_eof(const struct logfollow *lf);
int logfollow_save(struct logfollow *lf, struct strbuf *err);
const struct logfollow_stats *logfollow_stats(const struct logfollow *lf);
struct logfollow *logfollow_close(struct logfollow *lf);

#endif
