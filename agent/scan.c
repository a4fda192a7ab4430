/*
 * scan.c: postroute-agent scan (see scan.h).
 *
 * Owns, for one run: the catalogue, the classifier, the detector, a 4 MiB
 * read buffer and a 1 MiB output buffer. Lines are parsed in place in the
 * read buffer and JSON is written into the output buffer, so the loop
 * allocates nothing per line; only an event (eventjson.h, the live
 * agent's encoder) is built with jansson. With --report or --unknown, the
 * report (report.h) takes the deliveries and events instead of the output
 * buffer.
 */
#include "scan.h"
#include "volume.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentconf.h"
#include "catalogue.h"
#include "datafile.h"
#include "delivery.h"
#include "classify.h"
#include "detector.h"
#include "eventjson.h"
#include "journalsrc.h"
#include "log.h"
#include "maillog.h"
#include "report.h"
#include "reportjson.h"
#include "reporttext.h"
#include "strbuf.h"
#include "xalloc.h"

#define SCAN_READ_BUF (4u << 20)
#define SCAN_OUT_BUF (1u << 20)
#define SCAN_MAX_RULES 16
#define SCAN_TOP_DEFAULT 10
#define SCAN_TOP_MAX 100000

struct scan_out {
	char *buf;
	size_t len;
	int failed;
};

struct scan_reader {
	int fd;
	char *buf;
	size_t start, end;
	int eof;
	int error;
};

struct scan {
	struct catalogue *cat;
	struct classify *cls;
	struct detector *det;
	struct volume *vol;
	struct scan_out out;
	struct report *rep;      /* --report, --unknown: sum up instead of printing lines */
	long long rejected;
	long long lines;
};

/* ---- output ---- */

static void
out_flush(struct scan_out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, stdout) != o->len)
		o->failed = 1;
	o->len = 0;
}

/* Room for n more bytes (n <= SCAN_OUT_BUF). */
static char *
out_room(struct scan_out *o, size_t n)
{
	if (o->len + n > SCAN_OUT_BUF)
		out_flush(o);
	return o->buf + o->len;
}

static void
out_mem(struct scan_out *o, const char *s, size_t n)
{
	memcpy(out_room(o, n), s, n);
	o->len += n;
}

#define OUT_LIT(o, s) out_mem((o), (s), sizeof(s) - 1)

/* Bytes that JSON strings cannot carry as they are (C0 controls, '"', '\\', DEL). */
static const unsigned char out_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

static int
out_needs_escape(unsigned char c)
{
	return out_escape[c];
}

/* A JSON string; input is at most MAILLOG_LINE_MAX bytes. */
static void
out_str(struct scan_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *w = out_room(o, n * 6 + 2), *start = w;
	size_t i = 0;

	*w++ = '"';
	while (i < n) {
		size_t run = i;
		while (run < n && !out_needs_escape((unsigned char)s[run]))
			run++;
		memcpy(w, s + i, run - i);
		w += run - i;
		if (run == n)
			break;
		unsigned char c = (unsigned char)s[run];
		if (c == '"' || c == '\\') {
			*w++ = '\\';
			*w++ = (char)c;
		} else {
			memcpy(w, "\\u00", 4);
			w[4] = hex[c >> 4];
			w[5] = hex[c & 15];
			w += 6;
		}
		i = run + 1;
	}
	*w++ = '"';
	o->len += (size_t)(w - start);
}

static void
out_cstr(struct scan_out *o, const char *s)
{
	out_str(o, s, strlen(s));
}

static void
out_num(struct scan_out *o, long long v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	out_mem(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void
out_delivery(struct scan_out *o, long long lineno, const struct maillog_rec *rec,
    const char *provider, const struct classify_result *res)
{
	OUT_LIT(o, "{\"type\":\"delivery\",\"line\":");
	out_num(o, lineno);
	OUT_LIT(o, ",\"node\":");
	out_str(o, rec->host.p, rec->host.len);
	OUT_LIT(o, ",\"provider\":");
	out_cstr(o, provider);
	OUT_LIT(o, ",\"domain\":");
	out_str(o, rec->domain.p, rec->domain.len);
	OUT_LIT(o, ",\"relay\":");
	if (rec->relay_host.len > 0)
		out_str(o, rec->relay_host.p, rec->relay_host.len);
	else
		OUT_LIT(o, "\"none\"");
	OUT_LIT(o, ",\"dsn\":");
	out_str(o, rec->dsn.p, rec->dsn.len);
	OUT_LIT(o, ",\"status\":");
	out_cstr(o, maillog_status_name(rec->status));
	OUT_LIT(o, ",\"class\":");
	out_cstr(o, classify_class_name(res->cls));
	if (res->reroutable == REROUTE_YES)
		OUT_LIT(o, ",\"reroutable\":true}\n");
	else
		OUT_LIT(o, ",\"reroutable\":false}\n");
}

/* An event, as the live agent posts it (eventjson.h); takes ev. */
static void
out_json(struct scan_out *o, json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT);

	out_mem(o, text, strlen(text));
	OUT_LIT(o, "\n");
	free(text);
	json_decref(ev);
}

static void
out_event(struct scan_out *o, const struct detector_event *ev)
{
	out_json(o, eventjson_detector(ev, ev->node));
}

/* ---- input ---- */

/*
 * The next line in line and len (no newline). *toolong is set for a line
 * that did not fit the buffer: its text is dropped, only its number
 * counts. Returns 0 at the end of the input.
 */
static int
reader_next(struct scan_reader *r, const char **line, size_t *len, int *toolong)
{
	*toolong = 0;
	for (;;) {
		char *nl = r->start < r->end ?
		    memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
		if (nl != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			r->start = (size_t)(nl - r->buf) + 1;
			return 1;
		}
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			*line = r->buf + r->start;
			*len = r->end - r->start;
			r->start = r->end;
			return 1;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end == SCAN_READ_BUF) {   /* no newline in 4 MiB */
			*toolong = 1;
			r->end = 0;
		}
		ssize_t n = read(r->fd, r->buf + r->end, SCAN_READ_BUF - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r->error = errno;
		if (n <= 0)
			r->eof = 1;
		else
			r->end += (size_t)n;
		if (*toolong) {
			/* drop the rest of the long line, up to its newline */
			char *e = memchr(r->buf, '\n', r->end);
			if (e == NULL && !r->eof) {
				r->end = SCAN_READ_BUF;
				continue;
			}
			r->start = e ? (size_t)(e - r->buf) + 1 : r->end;
			*line = "";
			*len = 0;
			return 1;
		}
	}
}

/* ---- the loop ---- */

/* A sender surge, as the live agent would report it. */
static void
out_volume(const struct volume_event *ev, void *arg)
{
	out_json(arg, eventjson_volume(ev, ev->node));
}

static void
scan_line(struct scan *s, struct maillog_clock *clk, const char *line, size_t len,
    long long lineno)
{
	struct delivery d;
	struct detector_event ev;
	enum maillog_kind kind;

	s->lines++;
	if (len == 0)
		return;   /* a blank line is not garbage */
	kind = delivery_read(line, len, clk, s->vol, s->cat, s->cls, &d);
	if (s->rep != NULL)
		report_record(s->rep, kind, &d);
	switch (kind) {
	case MAILLOG_REJECT:
		s->rejected++;
		return;
	case MAILLOG_DELIVERY:
		break;
	default:
		return;
	}
	if (s->rep == NULL)
		out_delivery(&s->out, lineno, &d.rec, d.provider, &d.res);
	/* through a relay rather than the provider's MX: not this node's own path */
	if (d.how == CATALOGUE_ELSEWHERE)
		return;
	if (detector_feed(s->det, d.rec.host.p, d.rec.host.len, d.provider, &d.res, d.rec.ts,
	    line, len, &ev)) {
		if (s->rep != NULL)
			report_detector(s->rep, &ev);
		else
			out_event(&s->out, &ev);
	}
}

struct scan_journal {
	struct scan *s;
	struct maillog_clock clk;
	long long lineno;
};

static void
scan_journal_line(const char *line, size_t len, void *arg)
{
	struct scan_journal *sj = arg;

	scan_line(sj->s, &sj->clk, line, len, ++sj->lineno);
}

/* Every entry of units in the journal files of dir, oldest first. */
static int
scan_journal(struct scan *s, const char *dir, const char *unit_list)
{
	struct strbuf err = STRBUF_INIT;
	struct scan_journal sj = { .s = s };
	char **units = journalsrc_units(unit_list, &err);
	struct journalsrc *js = NULL;
	long n = 0;

	maillog_clock_init(&sj.clk, time(NULL));   /* RFC 3339 lines: not used */
	if (units != NULL && (js = journalsrc_open_head(dir, (const char *const *)units, &err)) != NULL)
		while ((n = journalsrc_poll(js, 0, scan_journal_line, &sj, &err)) > 0)
			;
	if (js != NULL)
		s->rejected += (long long)journalsrc_stats(js)->overlong;
	if (units == NULL || js == NULL || n < 0)
		log_warnx("scan: %s", strbuf_str(&err));
	journalsrc_close(js);
	journalsrc_units_free(units);
	strbuf_clear(&err);
	return units == NULL || js == NULL || n < 0 ? -1 : 0;
}

static int
scan_file(struct scan *s, const char *path, char *rbuf)
{
	struct scan_reader r = { .buf = rbuf };
	struct maillog_clock clk;
	struct stat st;
	const char *line;
	size_t len;
	int toolong;
	long long lineno = 0;

	r.fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0 || fstat(r.fd, &st) != 0) {
		log_warn("scan: %s", path);
		if (r.fd > 0)
			close(r.fd);
		return -1;
	}
	maillog_clock_init(&clk, S_ISREG(st.st_mode) ? st.st_mtime : time(NULL));
	while (reader_next(&r, &line, &len, &toolong)) {
		lineno++;
		if (toolong) {
			s->rejected++;
			s->lines++;
		} else {
			scan_line(s, &clk, line, len, lineno);
		}
	}
	if (r.fd > 0)
		close(r.fd);
	if (r.error) {
		errno = r.error;
		log_warn("scan: %s: read error after line %lld", path, lineno);
		return -1;
	}
	return 0;
}

/* ---- set-up ---- */

static void
scan_usage(FILE *fp)
{
	fprintf(fp, "usage: postroute-agent scan [--rules FILE]... [--providers FILE] "
	    "[--set NAME=VALUE]...\n"
	    "           [--report | --unknown] [--json] [--top N] LOGFILE...\n"
	    "       postroute-agent scan [options] --journal DIR [--units LIST]\n");
}

struct scan_args {
	const char *rules[SCAN_MAX_RULES];
	int nrules;
	const char *providers;
	struct agent_thresholds th;   /* as --set gives them */
	struct detector_config det;   /* th in the detector's units */
	struct volume_config vol;
	char **files;
	int nfiles;
	const char *journal;     /* --journal DIR */
	const char *units;       /* --units LIST */
	int report, unknown, json; /* --report, --unknown, --json */
	size_t top;              /* --top N; 0: not given */
};

/* scan's names before --set took the [logwatch] ones: shares are percent now. */
static const struct scan_renamed {
	const char *old, *now;
} scan_renamed[] = {
	{ "fail_share", "fail_percent" },
	{ "conn_share", "conn_percent" },
};

/* "NAME=VALUE" as agent.ini's [logwatch] key NAME (agentconf.h); returns
 * 0, or -1 after saying what is wrong. */
static int
scan_set(struct agent_thresholds *th, const char *arg)
{
	struct strbuf err = STRBUF_INIT;
	const char *eq = strchr(arg, '=');
	int rc = 0;

	for (size_t i = 0; eq != NULL && i < sizeof(scan_renamed) / sizeof(scan_renamed[0]); i++) {
		const struct scan_renamed *r = &scan_renamed[i];
		if (strlen(r->old) != (size_t)(eq - arg) || strncmp(arg, r->old, (size_t)(eq - arg)) != 0)
			continue;
		char *end;
		double v = strtod(eq + 1, &end);
		if (end != eq + 1 && *end == '\0')
			log_warnx("scan: --set %s: %s is now %s, in percent as in agent.ini's [logwatch]:"
			    " --set %s=%g", arg, r->old, r->now, r->now, v * 100);
		else
			log_warnx("scan: --set %s: %s is now %s, in percent as in agent.ini's [logwatch]",
			    arg, r->old, r->now);
		return -1;
	}
	if (agentconf_threshold_set(th, arg, &err) != 0) {
		log_warnx("scan: --set %s", strbuf_str(&err));
		rc = -1;
	}
	strbuf_clear(&err);
	return rc;
}

/* --top N: 1 to SCAN_TOP_MAX. */
static int
scan_parse_top(const char *v, size_t *top)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > SCAN_TOP_MAX) {
		log_warnx("scan: --top %s: expected a number from 1 to %d", v, SCAN_TOP_MAX);
		return -1;
	}
	*top = (size_t)n;
	return 0;
}

/* The value of option name at argv[*i] ("--name=V" or "--name V"), or NULL. */
static const char *
scan_opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int
scan_parse_args(int argc, char **argv, struct scan_args *a)
{
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			scan_usage(stdout);
			exit(0);
		}
		if ((v = scan_opt(argc, argv, &i, "--rules")) != NULL) {
			if (a->nrules == SCAN_MAX_RULES) {
				log_warnx("scan: at most %d --rules files", SCAN_MAX_RULES);
				return -1;
			}
			a->rules[a->nrules++] = v;
		} else if ((v = scan_opt(argc, argv, &i, "--providers")) != NULL) {
			a->providers = v;
		} else if ((v = scan_opt(argc, argv, &i, "--journal")) != NULL) {
			a->journal = v;
		} else if ((v = scan_opt(argc, argv, &i, "--units")) != NULL) {
			a->units = v;
		} else if ((v = scan_opt(argc, argv, &i, "--set")) != NULL) {
			if (scan_set(&a->th, v) != 0)
				return -1;
		} else if (strcmp(argv[i], "--report") == 0) {
			a->report = 1;
		} else if (strcmp(argv[i], "--unknown") == 0) {
			a->unknown = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if ((v = scan_opt(argc, argv, &i, "--top")) != NULL) {
			if (scan_parse_top(v, &a->top) != 0)
				return -1;
		} else {
			log_warnx("scan: unknown option or missing value: %s", argv[i]);
			return -1;
		}
	}
	a->files = argv + i;
	a->nfiles = argc - i;
	if (a->nfiles == 0 && a->journal == NULL) {
		log_warnx("scan: no log file given");
		return -1;
	}
	if (a->nfiles > 0 && a->journal != NULL) {
		log_warnx("scan: log files and --journal: one or the other");
		return -1;
	}
	if ((a->json || a->top > 0) && !a->report && !a->unknown) {
		log_warnx("scan: %s goes with --report or --unknown", a->json ? "--json" : "--top");
		return -1;
	}
	agentconf_thresholds_apply(&a->th, &a->det, &a->vol);
	const char *why = detector_config_check(&a->det);
	if (why != NULL) {
		log_warnx("scan: detector thresholds: %s", why);
		return -1;
	}
	return 0;
}

static int
scan_setup(struct scan *s, const struct scan_args *a)
{
	struct strbuf err = STRBUF_INIT, rmiss = STRBUF_INIT, pmiss = STRBUF_INIT;
	char *rules = datafile_find("rules.conf", &rmiss);
	char *prov = a->providers ? NULL : datafile_find("providers.conf", &pmiss);
	int bad = 0;

	if (rules == NULL)
		log_warnx("scan: %s", strbuf_str(&rmiss));
	else if (classify_load(s->cls, rules, &err) != 0) {
		bad = 1;
	}
	for (int i = 0; i < a->nrules; i++)
		if (classify_load(s->cls, a->rules[i], &err) != 0)
			bad = 1;
	if (a->providers == NULL && prov == NULL) {
		log_warnx("scan: %s", strbuf_str(&pmiss));
		bad = 1;
	} else if (catalogue_load(s->cat, a->providers ? a->providers : prov, &err) != 0) {
		bad = 1;
	}
	if (err.len > 0)
		fputs(err.buf, stderr);
	strbuf_clear(&err);
	strbuf_clear(&rmiss);
	strbuf_clear(&pmiss);
	free(rules);
	free(prov);
	return bad ? -1 : 0;
}

/* --report or --unknown: the summary, as text or one JSON document, on standard output. */
static void
scan_report_print(struct scan *s, const struct scan_args *a)
{
	const struct report_view *v = report_finish(s->rep, s->lines, s->rejected);
	size_t top = a->top > 0 ? a->top : SCAN_TOP_DEFAULT;
	struct strbuf text = STRBUF_INIT;

	if (v->deliveries == 0)
		log_warnx("scan: no Postfix delivery result in %lld lines read", v->lines);
	if (a->json)
		reportjson_render(v, top, !a->report, &text);
	else if (a->report)
		reporttext_full(v, top, &text);
	else
		reporttext_unknown(v, top, &text);
	out_flush(&s->out);
	if (fwrite(text.buf, 1, text.len, stdout) != text.len)
		s->out.failed = 1;
	strbuf_clear(&text);
}

int
scan_main(int argc, char **argv)
{
	struct scan_args a = { .nrules = 0 };
	struct scan s = { 0 };
	int rc = 0;

	agentconf_thresholds_default(&a.th);
	if (scan_parse_args(argc, argv, &a) != 0) {
		scan_usage(stderr);
		return 2;
	}
	s.cat = catalogue_new();
	s.cls = classify_new();
	s.det = detector_new(&a.det);
	s.out.buf = xmalloc(SCAN_OUT_BUF);
	if (a.report || a.unknown)
		s.rep = report_new();
	s.vol = s.rep != NULL ? volume_new(&a.vol, report_volume, s.rep) :
	    volume_new(&a.vol, out_volume, &s.out);
	if (scan_setup(&s, &a) != 0) {
		rc = 2;
	} else {
		char *rbuf = xmalloc(SCAN_READ_BUF);
		for (int i = 0; i < a.nfiles; i++)
			if (scan_file(&s, a.files[i], rbuf) != 0)
				rc = 1;
		if (a.journal != NULL && scan_journal(&s, a.journal,
		    a.units ? a.units : JOURNALSRC_DEFAULT_UNITS) != 0)
			rc = 1;
		free(rbuf);
		if (s.rep != NULL)
			scan_report_print(&s, &a);
		out_flush(&s.out);
		if (fflush(stdout) != 0 || s.out.failed) {
			log_warn("scan: writing the output");
			rc = 1;
		}
		if (s.rejected > 0)
			log_info("scan: %lld lines skipped as malformed", s.rejected);
	}
	free(s.out.buf);
	report_free(s.rep);
	detector_free(s.det);
	volume_free(s.vol);
	classify_free(s.cls);
	catalogue_free(s.cat);
	return rc;
}
