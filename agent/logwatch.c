/*
 * logwatch.c: the live detector thread (see logwatch.h).
 *
 * Owns the follower and the whole detection pipeline; the only state
 * shared with the sync thread is the last feed's providers and relays and
 * a classifier compiled from the feed's rules, handed over under mu and
 * taken by the thread at its next line.
 */
#include "logwatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agentmetrics.h"
#include "catalogue.h"
#include "classify.h"
#include "datafile.h"
#include "delivery.h"
#include "detector.h"
#include "eventjson.h"
#include "journalsrc.h"
#include "log.h"
#include "logfollow.h"
#include "maillog.h"
#include "strarr.h"
#include "volume.h"
#include "xalloc.h"

#define LOGWATCH_POLL_MS 200
#define LOGWATCH_CLOCK_REFRESH 3600

struct logwatch {
	const struct agent_config *cfg;
	struct eventq *q;
	pthread_t thread;
	pthread_mutex_t mu;
	int stop;                    /* under mu */
	struct feed pending;         /* under mu: the last feed's providers only */
	struct classify *pending_cls; /* under mu: rules files + the feed's rules */
	char **pending_relays;       /* under mu: hosts of this node's routes */
	size_t npending_relays;
	_Atomic unsigned gen;        /* bumped by each feed (under mu) */
	unsigned applied_gen;        /* the thread's */

	/* the sync thread's (logwatch_feed) */
	char *rules_file;            /* the default rules.conf */
	char *rules_key;             /* the last feed's rules, as compiled */
	char *rules_warning;         /* the rules it skipped, or NULL */

	/* the thread's own */
	struct logfollow *lf;        /* source = file, or */
	struct journalsrc *js;       /* source = journal */
	struct maillog_clock clk;
	time_t clk_at;
	char *providers_file;
	struct catalogue *cat;
	struct classify *cls;
	struct detector *det;
	struct volume *vol;
	char **relays;               /* hosts this node's routes send through */
	size_t nrelays;
	struct {                     /* the thread's; logged at stop */
		long long lines, rejected, deliveries, events;
	} mine;
};

/* ---- events ---- */

static void
logwatch_emit(struct logwatch *lw, json_t *ev)
{
	lw->mine.events++;
	agentmetrics_event_queued();
	eventq_push(lw->q, ev);
}

static void
logwatch_detector_event(struct logwatch *lw, const struct detector_event *ev)
{
	const char *type = ev->type == DETECTOR_BLOCK ? "block" : "clear";

	log_info("logwatch: %s %s (%s, %d of %d attempts in %d s)", type, ev->provider,
	    classify_class_name(ev->cls), ev->count, ev->attempts, ev->window_s);
	logwatch_emit(lw, eventjson_detector(ev, lw->cfg->node));
}

static void
logwatch_volume_event(const struct volume_event *ev, void *arg)
{
	struct logwatch *lw = arg;

	log_info("logwatch: volume surge of %s: %.0f recipients per interval, baseline %.1f, "
	    "%d client IPs", ev->kind == VOLUME_NODE ? "the node's total" : ev->sender, ev->rate,
	    ev->baseline, ev->client_ips);
	logwatch_emit(lw, eventjson_volume(ev, lw->cfg->node));
}

/* ---- one line ---- */

static void logwatch_rebuild_catalogue(struct logwatch *lw);

/* 1 when the delivery went to one of the relays this node routes through. */
static int
logwatch_via_route(const struct logwatch *lw, const struct maillog_rec *rec)
{
	for (size_t i = 0; i < lw->nrelays; i++) {
		size_t n = strlen(lw->relays[i]);
		if ((rec->relay_host.len == n && strncasecmp(rec->relay_host.p, lw->relays[i], n) == 0) ||
		    (rec->relay_ip.len == n && strncasecmp(rec->relay_ip.p, lw->relays[i], n) == 0))
			return 1;
	}
	return 0;
}

static void
logwatch_line(const char *line, size_t len, void *arg)
{
	struct logwatch *lw = arg;
	struct delivery d;
	struct detector_event ev;
	const char *node = lw->cfg->node;

	lw->mine.lines++;
	if (len == 0)
		return;
	if (atomic_load_explicit(&lw->gen, memory_order_relaxed) != lw->applied_gen)
		logwatch_rebuild_catalogue(lw);   /* a new feed: before this line */
	enum maillog_kind kind = delivery_read(line, len, &lw->clk, lw->vol, lw->cat, lw->cls, &d);
	agentmetrics_line(kind == MAILLOG_REJECT ? 0 : d.rec.ts);
	switch (kind) {
	case MAILLOG_REJECT:
		lw->mine.rejected++;
		return;
	case MAILLOG_DELIVERY:
		break;
	default:
		return;
	}
	lw->mine.deliveries++;
	agentmetrics_delivery(d.provider, maillog_status_name(d.rec.status),
	    classify_class_name(d.res.cls));
	if (d.how != CATALOGUE_NONE && logwatch_via_route(lw, &d.rec))
		d.how = CATALOGUE_ELSEWHERE;
	if (d.rec.status != MAILLOG_STATUS_SENT)
		log_debug("logwatch: %.*s %s %s class=%s reroutable=%s%s", (int)d.rec.queue_id.len,
		    d.rec.queue_id.p, d.provider, maillog_status_name(d.rec.status),
		    classify_class_name(d.res.cls), classify_reroute_name(d.res.reroutable),
		    d.how == CATALOGUE_ELSEWHERE ? " (through a relay: not counted)" : "");
	if (d.how == CATALOGUE_ELSEWHERE)
		return;
	if (detector_feed(lw->det, node, strlen(node), d.provider, &d.res, d.rec.ts, line, len, &ev))
		logwatch_detector_event(lw, &ev);
}

/* ---- the catalogue ---- */

/* The host of a nexthop ("smtp:[h]:25", "smtp:h:25", "relay:h"), or NULL. */
static char *
logwatch_nexthop_host(const char *nexthop)
{
	const char *h = strchr(nexthop, ':'), *end;

	if (h == NULL || *++h == '\0')
		return NULL;
	if (*h == '[') {
		h++;
		end = strchr(h, ']');
	} else {
		end = strchr(h, ':');
	}
	if (end == NULL)
		end = h + strlen(h);
	return end > h ? xstrndup(h, (size_t)(end - h)) : NULL;
}

static char **
logwatch_feed_relays(const struct feed *f, size_t *n)
{
	char **v = xcalloc(f->n + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < f->n; i++) {
		char *h = logwatch_nexthop_host(f->entries[i].nexthop);
		size_t k;
		for (k = 0; h != NULL && k < *n && strcasecmp(v[k], h) != 0; k++)
			;
		if (h != NULL && k == *n)
			v[(*n)++] = h;
		else
			free(h);
	}
	return v;
}

/* The feed's rules as one text, to see whether they changed. */
static char *
logwatch_rules_key(const struct feed *f)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < f->nrules; i++) {
		const struct feed_rule *r = &f->rules[i];
		const char *v[] = { r->name, r->pattern, r->cls, r->reroutable, r->provider };
		for (int k = 0; k < 5; k++)
			strbuf_appendf(&sb, "%c%s", v[k] ? 1 : 2, v[k] ? v[k] : "");
		strbuf_appendc(&sb, '\n');
	}
	strbuf_appendc(&sb, 3);   /* never empty: "no rules" is a state too */
	return strbuf_detach(&sb);
}

/* The rules files then the feed's rules, compiled (on the sync thread);
 * NULL when a file no longer loads (the classifier in force stays). The
 * rules skipped are appended to warn. */
static struct classify *
logwatch_classifier(struct logwatch *lw, const struct feed *f, struct strbuf *warn)
{
	struct classify *cls = classify_new();
	struct strbuf err = STRBUF_INIT;
	struct rulespec *v = xcalloc(f->nrules + 1, sizeof(*v));

	if (classify_load(cls, lw->rules_file, &err) != 0 || (lw->cfg->logwatch_rules[0] != '\0' &&
	    classify_load(cls, lw->cfg->logwatch_rules, &err) != 0)) {
		strbuf_appendf(warn, "rules from the controller not applied: %s", strbuf_str(&err));
		cls = classify_free(cls);
	} else {
		for (size_t i = 0; i < f->nrules; i++) {
			const struct feed_rule *r = &f->rules[i];
			v[i] = (struct rulespec){ r->name, r->pattern, r->cls, r->reroutable, r->provider,
				NULL };
		}
		classify_add_specs(cls, v, f->nrules, warn);
	}
	while (warn->len > 0 && warn->buf[warn->len - 1] == '\n')
		warn->buf[--warn->len] = '\0';
	free(v);
	strbuf_clear(&err);
	return cls;
}

/* A classifier for the feed's rules when they changed; every feed of a
 * version with skipped rules carries the warning. */
static void
logwatch_feed_rules(struct logwatch *lw, struct feed *f)
{
	if (!f->has_rules)
		return;
	char *key = logwatch_rules_key(f);
	if (lw->rules_key == NULL || strcmp(key, lw->rules_key) != 0) {
		struct strbuf warn = STRBUF_INIT;
		struct classify *cls = logwatch_classifier(lw, f, &warn);
		free(lw->rules_warning);
		lw->rules_warning = warn.len > 0 ? xstrdup(strbuf_str(&warn)) : NULL;
		if (warn.len > 0)
			log_warnx("logwatch: %s", strbuf_str(&warn));
		strbuf_clear(&warn);
		if (cls != NULL) {
			pthread_mutex_lock(&lw->mu);
			classify_free(lw->pending_cls);
			lw->pending_cls = cls;
			pthread_mutex_unlock(&lw->mu);
			free(lw->rules_key);
			lw->rules_key = key;
			key = NULL;
		}
	}
	free(key);
	if (lw->rules_warning != NULL && f->warning == NULL)
		f->warning = xstrdup(lw->rules_warning);
}

void
logwatch_feed(struct logwatch *lw, struct feed *f)
{
	size_t nrelays;
	char **relays = logwatch_feed_relays(f, &nrelays);

	logwatch_feed_rules(lw, f);
	pthread_mutex_lock(&lw->mu);
	feed_clear(&lw->pending);
	lw->pending.providers = f->providers, lw->pending.nproviders = f->nproviders;
	f->providers = NULL, f->nproviders = 0;
	strarr_free(lw->pending_relays, lw->npending_relays);
	lw->pending_relays = relays;
	lw->npending_relays = nrelays;
	atomic_fetch_add(&lw->gen, 1);
	pthread_mutex_unlock(&lw->mu);
}

/* The file's catalogue with the controller's providers over it. */
static void
logwatch_rebuild_catalogue(struct logwatch *lw)
{
	struct catalogue *cat = catalogue_new();
	struct strbuf err = STRBUF_INIT;
	size_t merged = 0;

	if (catalogue_load(cat, lw->providers_file, &err) != 0) {
		log_warnx("logwatch: %s", strbuf_str(&err));   /* it loaded at start */
		strbuf_reset(&err);
	}
	pthread_mutex_lock(&lw->mu);
	lw->applied_gen = atomic_load(&lw->gen);
	struct feed taken = lw->pending;
	memset(&lw->pending, 0, sizeof(lw->pending));
	strarr_free(lw->relays, lw->nrelays);
	lw->relays = lw->pending_relays, lw->nrelays = lw->npending_relays;
	lw->pending_relays = NULL, lw->npending_relays = 0;
	struct classify *cls = lw->pending_cls;
	lw->pending_cls = NULL;
	pthread_mutex_unlock(&lw->mu);
	if (cls != NULL) {
		classify_free(lw->cls);
		lw->cls = cls;
		log_info("logwatch: %zu classifier rules in force (the files' and the controller's)",
		    classify_count(cls));
	}
	for (size_t i = 0; i < taken.nproviders; i++) {
		const struct feed_provider *p = &taken.providers[i];
		if (catalogue_merge(cat, p->name, (const char *const *)p->domains, p->ndomains,
		    (const char *const *)p->mx_patterns, p->nmx, &err) == 0)
			merged++;
		else
			log_warnx("logwatch: controller provider %s ignored: %s", p->name, strbuf_str(&err));
		strbuf_reset(&err);
	}
	feed_clear(&taken);
	catalogue_free(lw->cat);
	lw->cat = cat;
	log_info("logwatch: catalogue of %zu providers (%zu from the controller); %zu relay(s) routed",
	    catalogue_count(cat), merged, lw->nrelays);
	strbuf_clear(&err);
}

/* ---- the source: a file (logfollow) or the journal (journalsrc) ---- */

static long
logwatch_poll(struct logwatch *lw, struct strbuf *err)
{
	if (lw->js != NULL)
		return journalsrc_poll(lw->js, LOGWATCH_POLL_MS, logwatch_line, lw, err);
	return logfollow_poll(lw->lf, LOGWATCH_POLL_MS, logwatch_line, lw, err);
}

static int
logwatch_save(struct logwatch *lw, struct strbuf *err)
{
	return lw->js != NULL ? journalsrc_save(lw->js, err) : logfollow_save(lw->lf, err);
}

static int
logwatch_open_journal(struct logwatch *lw, struct strbuf *err)
{
	const struct agent_config *cfg = lw->cfg;
	struct strbuf e = STRBUF_INIT;
	char **units = journalsrc_units(cfg->logwatch_journal_units, &e);
	char *cursor = xasprintf("%s/logwatch.cursor", cfg->state_dir);

	if (units == NULL)
		strbuf_appendf(err, "logwatch: journal_units: %s", strbuf_str(&e));
	else if ((lw->js = journalsrc_open(cfg->logwatch_journal_directory,
	    (const char *const *)units, cursor, &e)) == NULL)
		strbuf_appendf(err, "logwatch: %s", strbuf_str(&e));
	else if (journalsrc_warning(lw->js)[0] != '\0')
		log_warnx("logwatch: %s", journalsrc_warning(lw->js));
	journalsrc_units_free(units);
	free(cursor);
	strbuf_clear(&e);
	return lw->js != NULL ? 0 : -1;
}

static int
logwatch_open(struct logwatch *lw, struct strbuf *err)
{
	const struct agent_config *cfg = lw->cfg;

	if (strcmp(cfg->logwatch_source, "journal") == 0)
		return logwatch_open_journal(lw, err);
	char *offset = strcmp(cfg->logwatch_file, "-") == 0 ? NULL :
	    xasprintf("%s/logwatch.offset", cfg->state_dir);
	lw->lf = logfollow_open(cfg->logwatch_file, offset, err);
	free(offset);
	return lw->lf != NULL ? 0 : -1;
}

/* ---- the thread ---- */

static int
logwatch_stopping(struct logwatch *lw)
{
	int stop;

	pthread_mutex_lock(&lw->mu);
	stop = lw->stop;
	if (atomic_load(&lw->gen) != lw->applied_gen)
		stop |= 2;
	pthread_mutex_unlock(&lw->mu);
	return stop;
}

static void *
logwatch_main(void *arg)
{
	struct logwatch *lw = arg;
	struct strbuf err = STRBUF_INIT;
	sigset_t all;
	int s, failing = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (((s = logwatch_stopping(lw)) & 1) == 0) {
		if (s & 2)
			logwatch_rebuild_catalogue(lw);
		if (time(NULL) - lw->clk_at > LOGWATCH_CLOCK_REFRESH)
			maillog_clock_init(&lw->clk, lw->clk_at = time(NULL));
		long n = logwatch_poll(lw, &err);
		if (n < 0) {
			if (!failing++)
				log_warnx("logwatch: %s", strbuf_str(&err));
			strbuf_reset(&err);
			struct timespec ts = { 1, 0 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (failing)
			log_info("logwatch: reading again");
		failing = 0;
		if (logwatch_save(lw, &err) != 0) {   /* writes only when moved */
			log_warnx("logwatch: %s", strbuf_str(&err));
			strbuf_reset(&err);
		}
		if (lw->lf != NULL && logfollow_eof(lw->lf)) {
			log_info("logwatch: end of standard input");
			break;
		}
	}
	strbuf_clear(&err);
	return NULL;
}

/* ---- set-up ---- */

static void
logwatch_load(struct logwatch *lw, struct strbuf *err)
{
	struct strbuf miss = STRBUF_INIT;
	char *rules = datafile_find("rules.conf", &miss);
	const struct agent_config *cfg = lw->cfg;

	if (rules == NULL)
		strbuf_appendf(err, "logwatch: %s\n", strbuf_str(&miss));
	else
		classify_load(lw->cls, rules, err);
	lw->rules_file = rules;
	if (cfg->logwatch_rules[0] != '\0')
		classify_load(lw->cls, cfg->logwatch_rules, err);
	strbuf_reset(&miss);
	lw->providers_file = cfg->logwatch_providers[0] != '\0' ?
	    xstrdup(cfg->logwatch_providers) : datafile_find("providers.conf", &miss);
	if (lw->providers_file == NULL)
		strbuf_appendf(err, "logwatch: %s\n", strbuf_str(&miss));
	else
		catalogue_load(lw->cat, lw->providers_file, err);
	strbuf_clear(&miss);
}

static struct logwatch *
logwatch_free(struct logwatch *lw)
{
	lw->lf = lw->lf ? logfollow_close(lw->lf) : NULL;
	lw->js = journalsrc_close(lw->js);
	catalogue_free(lw->cat);
	classify_free(lw->cls);
	if (lw->det)
		detector_free(lw->det);
	if (lw->vol)
		volume_free(lw->vol);
	feed_clear(&lw->pending);
	strarr_free(lw->pending_relays, lw->npending_relays);
	strarr_free(lw->relays, lw->nrelays);
	free(lw->providers_file);
	classify_free(lw->pending_cls);
	free(lw->rules_file);
	free(lw->rules_key);
	free(lw->rules_warning);
	pthread_mutex_destroy(&lw->mu);
	free(lw);
	return NULL;
}

struct logwatch *
logwatch_start(const struct agent_config *cfg, struct eventq *q, struct strbuf *err)
{
	struct logwatch *lw = xcalloc(1, sizeof(*lw));
	struct detector_config dc;
	struct volume_config vc;
	size_t before = err->len;
	const char *why;
	int rc;

	lw->cfg = cfg;
	lw->q = q;
	pthread_mutex_init(&lw->mu, NULL);
	lw->cat = catalogue_new();
	lw->cls = classify_new();
	logwatch_load(lw, err);
	agentconf_thresholds_apply(&cfg->th, &dc, &vc);
	if ((why = detector_config_check(&dc)) != NULL)
		strbuf_appendf(err, "logwatch: thresholds: %s\n", why);
	if (err->len > before)
		return logwatch_free(lw);
	if (logwatch_open(lw, err) != 0)
		return logwatch_free(lw);
	lw->det = detector_new(&dc);
	lw->vol = volume_new(&vc, logwatch_volume_event, lw);
	maillog_clock_init(&lw->clk, lw->clk_at = time(NULL));
	if ((rc = pthread_create(&lw->thread, NULL, logwatch_main, lw)) != 0) {
		strbuf_appendf(err, "logwatch: cannot start its thread: %s\n", strerror(rc));
		return logwatch_free(lw);
	}
	if (lw->js != NULL)
		log_info("logwatch: following %s (units %s)", journalsrc_name(lw->js),
		    cfg->logwatch_journal_units);
	else
		log_info("logwatch: following %s", strcmp(cfg->logwatch_file, "-") == 0 ?
		    "standard input" : cfg->logwatch_file);
	return lw;
}

struct logwatch *
logwatch_stop(struct logwatch *lw)
{
	if (lw == NULL)
		return NULL;
	pthread_mutex_lock(&lw->mu);
	lw->stop = 1;
	pthread_mutex_unlock(&lw->mu);
	pthread_join(lw->thread, NULL);
	log_info("logwatch: %lld lines read, %lld garbage, %lld delivery results, %lld events",
	    lw->mine.lines, lw->mine.rejected, lw->mine.deliveries, lw->mine.events);
	return logwatch_free(lw);
}
