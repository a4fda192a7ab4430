/*
 * journalsrc.h: Postfix's log read from systemd's journal, as log lines.
 *
 * NAME
 *	journalsrc - the journal source of the logwatch ([logwatch] source = journal)
 *
 * DESCRIPTION
 *	On Debian 12 no syslog daemon is installed by default and Postfix
 *	logs to the journal, under postfix@-.service. journalsrc reads those
 *	entries with libsystemd's sd_journal and turns each into the line a
 *	syslog daemon would have written:
 *
 *	  2026-12-04T18:05:53.969057+01:00 mx12 postfix/smtp[28233]: MESSAGE
 *
 *	(__REALTIME_TIMESTAMP in local time with its offset, as journalctl
 *	-o short-iso-precise prints it; _HOSTNAME; SYSLOG_IDENTIFIER, else
 *	_COMM; SYSLOG_PID, else _PID), and hands it to the same callback as
 *	logfollow: the parser (maillog.h) and everything after it are
 *	shared with the file source.
 *
 *	Which entries: those whose _SYSTEMD_UNIT is one of units (OR-ed
 *	sd_journal_add_match). _SYSTEMD_UNIT is set by journald from the
 *	sender's control group, so a local user cannot forge it; unlike
 *	SYSLOG_IDENTIFIER, which any process chooses (logger -t
 *	postfix/smtp), and which would let anyone on the host fake a
 *	provider block. Entries without MESSAGE are skipped.
 *
 *	directory NULL or "": the system journal of this machine
 *	(sd_journal_open, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
 *	otherwise the journal files in that directory
 *	(sd_journal_open_directory), e.g. forwarded journals.
 *
 *	Where reading starts (cursor_file; NULL: nothing is saved):
 *	first start (no cursor file)
 *	        after the newest matching entry: old entries are not news.
 *	        When no entry matches yet, from the start of the view: all
 *	        that will match arrives after this start. The position is
 *	        saved at once.
 *	restart (cursor file with a cursor)
 *	        just after the saved entry. When that entry is no longer in
 *	        the journal (rotated, vacuumed), from the first entry after
 *	        its position, with a warning (journalsrc_warning); a cursor
 *	        file that holds no cursor: like a first start, with a warning.
 *
 *	journalsrc_open_head reads every matching entry from the oldest
 *	one, and saves nothing (postroute-agent scan --journal).
 *
 *	journalsrc_poll delivers what is new (at most JOURNALSRC_BATCH
 *	entries), else waits up to timeout_ms (sd_journal_wait) and returns
 *	0. fn gets each line without a newline, NUL-terminated; the line
 *	may hold any byte the entry held (newlines, control characters,
 *	invalid UTF-8): the parser judges it, as it judges a garbage line of
 *	a file. A MESSAGE longer than LOGFOLLOW_LINE_MAX is skipped whole
 *	and counted as overlong, as the file source does with a long line.
 *
 *	journalsrc_save writes the cursor of the last delivered entry to
 *	cursor_file (temp file in the same directory, renamed), only when it
 *	changed; close saves once more, with fsync.
 *
 *	journal_probe opens the journal as journalsrc_open would (same
 *	directory and units) and reports the time of the newest matching
 *	entry, for a preflight check: 0 and *last_entry (0 when no entry
 *	matches), or -1 with the reason in err.
 *
 *	journalsrc_units splits a list of unit names (separated by spaces
 *	or commas) into a NULL-terminated array, each name checked.
 *
 * OWNERSHIP
 *	struct journalsrc owns the sd_journal, its copies of the units and
 *	of cursor_file, the last cursor and a line buffer; journalsrc_close
 *	frees all of it. The array of journalsrc_units is the caller's
 *	(journalsrc_units_free). No threads, no signals; a journalsrc is
 *	used by one thread at a time.
 *
 * DIAGNOSTICS
 *	Nothing is printed. journalsrc_open and journal_probe return NULL
 *	or -1 with the directory or the journal and the reason in err: a
 *	directory that is missing, not a directory or not readable, a
 *	journal in which no file could be read (none there, or the user
 *	lacks the group systemd-journal or adm), an invalid unit name.
 *	journalsrc_poll and journalsrc_save return -1 with the reason; the
 *	source stays usable.
 */
#ifndef POSTROUTE_JOURNALSRC_H
#define POSTROUTE_JOURNALSRC_H

#include <stddef.h>
#include <time.h>

#include "logfollow.h"
#include "strbuf.h"

#define JOURNALSRC_BATCH 20000          /* entries delivered by one poll at most */
#define JOURNALSRC_DEFAULT_UNITS "postfix@-.service postfix.service"

struct journalsrc;

struct journalsrc_stats {
	unsigned long long lines;      /* delivered */
	unsigned long long overlong;   /* MESSAGE longer than LOGFOLLOW_LINE_MAX: skipped */
	unsigned long long no_message; /* entries without MESSAGE: skipped */
	int cursor_invalid;            /* the cursor file held no cursor */
	int cursor_gone;               /* the saved entry was no longer in the journal */
};

char **journalsrc_units(const char *list, struct strbuf *err);
void journalsrc_units_free(char **units);

struct journalsrc *journalsrc_open(const char *directory, const char *const *units,
    const char *cursor_file, struct strbuf *err);
/* From the oldest matching entry, nothing saved (scan --journal). */
struct journalsrc *journalsrc_open_head(const char *directory, const char *const *units,
    struct strbuf *err);
long journalsrc_poll(struct journalsrc *js, int timeout_ms, logfollow_line_fn *fn, void *arg,
    struct strbuf *err);
int journalsrc_save(struct journalsrc *js, struct strbuf *err);
const struct journalsrc_stats *journalsrc_stats(const struct journalsrc *js);
/* What the start had to warn about ("" when nothing). */
const char *journalsrc_warning(const struct journalsrc *js);
/* "the system journal" or the directory, for messages. */
const char *journalsrc_name(const struct journalsrc *js);
struct journalsrc *journalsrc_close(struct journalsrc *js);

int journal_probe(const char *directory, const char *const *units, time_t *last_entry,
    struct strbuf *err);

#endif
