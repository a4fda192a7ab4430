/*
 * checklog.c: the log source line of `postroute-agent check` (see
 * checklog.h), one function per source type.
 */
#include "checklog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journalsrc.h"
#include "postfix.h"
#include "xalloc.h"

#define CHECKLOG_OPEN_MS 5000

const char *
checklog_source(const struct agent_config *cfg)
{
	if (strcmp(cfg->logwatch_source, "journal") == 0)
		return "journal";
	if (cfg->logwatch_file[0] == '\0')
		return "off";
	return strcmp(cfg->logwatch_file, "-") == 0 ? "stdin" : "file";
}

/* "45 s", "12 min", "5 h", "3 d". */
static void
checklog_age_words(long long s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%lld s", s);
	else if (s < 7200)
		snprintf(buf, len, "%lld min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lld h", s / 3600);
	else
		snprintf(buf, len, "%lld d", s / 86400);
}

/* Opens path for reading, in the user's process (check_as_user). */
static int
checklog_open(void *arg, struct strbuf *err)
{
	const char *path = arg;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		strbuf_append(err, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Where Postfix logs: main.cf's maillog_file when it is set and not
 * path, else where to look. */
static void
checklog_maillog_hint(const struct agent_config *cfg, const char *path, struct strbuf *out)
{
	struct postfix pf = agentconf_postfix(cfg);
	struct strbuf e = STRBUF_INIT;
	char *v = NULL;

	if (postfix_postconf(&pf, "maillog_file", &v, &e) == 0 && v[0] != '\0' &&
	    strcmp(v, path) != 0)
		strbuf_appendf(out, "main.cf's maillog_file, %s", v);
	else
		strbuf_append(out, "maillog_file, or rsyslog's mail.* file");
	free(v);
	strbuf_clear(&e);
}

static void
checklog_off(struct check *ck, const struct agent_config *cfg)
{
	(void)cfg;
	check_line(ck, CHECK_SKIP, "log", "[logwatch] file is not set: no log detector on this host");
}

static void
checklog_stdin(struct check *ck, const struct agent_config *cfg)
{
	(void)cfg;
	check_line(ck, CHECK_SKIP, "log", "[logwatch] file = -: the agent reads standard input; "
	    "check what the unit pipes into it");
}

/* A FAIL for a file that is missing or not a file. */
static void
checklog_file_missing(struct check *ck, const struct agent_config *cfg, const char *what)
{
	struct strbuf hint = STRBUF_INIT;

	checklog_maillog_hint(cfg, cfg->logwatch_file, &hint);
	check_line(ck, CHECK_FAIL, "log", "%s: %s: set [logwatch] file to the file Postfix "
	    "logs to (%s)", cfg->logwatch_file, what, strbuf_str(&hint));
	strbuf_clear(&hint);
}

static void
checklog_file(struct check *ck, const struct agent_config *cfg)
{
	const char *path = cfg->logwatch_file, *user = cfg->user[0] ? cfg->user : check_whoami();
	struct strbuf e = STRBUF_INIT;
	struct stat sb;
	char age[32], limit[32];

	if (stat(path, &sb) != 0) {
		checklog_file_missing(ck, cfg, strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		checklog_file_missing(ck, cfg, "not a regular file");
	} else if (check_as_user(cfg->user, checklog_open, (void *)path, CHECKLOG_OPEN_MS, &e) != 0) {
		check_line(ck, CHECK_FAIL, "log", "%s: not readable by %s (%s): give %s read access "
		    "(on Debian, rsyslog's files are root:adm 0640: adduser %s adm)", path, user,
		    strbuf_str(&e), user, user);
	} else {
		long long s = (long long)(time(NULL) - sb.st_mtime);
		checklog_age_words(s < 0 ? 0 : s, age, sizeof(age));
		checklog_age_words(ck->log_age_ms / 1000, limit, sizeof(limit));
		struct strbuf hint = STRBUF_INIT;
		if (s * 1000 > ck->log_age_ms) {
			checklog_maillog_hint(cfg, path, &hint);
			check_line(ck, CHECK_FAIL, "log", "%s: last written %s ago, more than %s "
			    "(--log-age): Postfix does not log there now; point [logwatch] file at the "
			    "file it writes (%s)", path, age, limit, strbuf_str(&hint));
		}
		else
			check_line(ck, CHECK_OK, "log", "%s: readable by %s, last written %s ago", path,
			    user, age);
		strbuf_clear(&hint);
	}
	strbuf_clear(&e);
}

/* Opens the journal as the agent would, in the user's process; on
 * success err holds the time of the newest matching entry (0: none). */
static int
checklog_journal_open(void *arg, struct strbuf *err)
{
	const struct agent_config *cfg = arg;
	char **units = journalsrc_units(cfg->logwatch_journal_units, err);
	time_t last = 0;
	int rc = -1;

	if (units != NULL &&
	    journal_probe(cfg->logwatch_journal_directory, (const char *const *)units, &last, err) == 0) {
		strbuf_appendf(err, "%lld", (long long)last);
		rc = 0;
	}
	journalsrc_units_free(units);
	return rc;
}

static void
checklog_journal(struct check *ck, const struct agent_config *cfg)
{
	const char *user = cfg->user[0] ? cfg->user : check_whoami();
	const char *where = cfg->logwatch_journal_directory[0] ? cfg->logwatch_journal_directory :
	    "the system journal";
	struct strbuf e = STRBUF_INIT;
	char age[32], limit[32];

	if (check_as_user(cfg->user, checklog_journal_open, (void *)cfg, CHECKLOG_OPEN_MS, &e) != 0) {
		check_line(ck, CHECK_FAIL, "log", "journal: %s: not readable by %s (%s): add %s to "
		    "group systemd-journal (adduser %s systemd-journal)", where, user, strbuf_str(&e),
		    user, user);
	} else {
		long long last = atoll(strbuf_str(&e)), s = (long long)time(NULL) - last;
		checklog_age_words(s < 0 ? 0 : s, age, sizeof(age));
		checklog_age_words(ck->log_age_ms / 1000, limit, sizeof(limit));
		if (last == 0)
			check_line(ck, CHECK_FAIL, "log", "journal: %s has no entry of %s: Postfix does "
			    "not log there under these units; set [logwatch] journal_units to the units "
			    "it runs as (systemctl list-units 'postfix*')", where,
			    cfg->logwatch_journal_units);
		else if (s * 1000 > ck->log_age_ms)
			check_line(ck, CHECK_FAIL, "log", "journal: newest entry of %s is %s old, more "
			    "than %s (--log-age): Postfix does not log there now; check "
			    "[logwatch] journal_units", cfg->logwatch_journal_units, age, limit);
		else
			check_line(ck, CHECK_OK, "log", "journal: %s: readable by %s, newest entry of "
			    "%s %s ago", where, user, cfg->logwatch_journal_units, age);
	}
	strbuf_clear(&e);
}

static const struct {
	const char *source;
	void (*check)(struct check *ck, const struct agent_config *cfg);
} checklog_sources[] = {
	{ "off", checklog_off },
	{ "stdin", checklog_stdin },
	{ "file", checklog_file },
	{ "journal", checklog_journal },
	{ NULL, NULL },
};

void
checklog_run(struct check *ck, const struct agent_config *cfg)
{
	const char *src = checklog_source(cfg);

	for (size_t i = 0; checklog_sources[i].source != NULL; i++) {
		if (strcmp(checklog_sources[i].source, src) == 0) {
			checklog_sources[i].check(ck, cfg);
			return;
		}
	}
	check_line(ck, CHECK_FAIL, "log", "no check for log source \"%s\"", src);
}
