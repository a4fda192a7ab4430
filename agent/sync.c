/*
 * sync.c: fetch, apply, report, back off (see sync.h).
 */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentmetrics.h"
#include "applier.h"
#include "holdmap.h"
#include "log.h"
#include "maincf.h"
#include "mapinstall.h"
#include "mastercf.h"
#include "monotime.h"
#include "render.h"
#include "sha256.h"
#include "strarr.h"
#include "xalloc.h"

static int
sync_abort_cb(void *arg)
{
	struct sync *s = arg;

	return *s->stop || *s->wake;
}

int
sync_init(struct sync *s, const struct agent_config *cfg, const struct applier *ap,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *wake, struct strbuf *err)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->ap = ap;
	s->stop = stop;
	s->wake = wake;
	s->rand_state = (unsigned)getpid() ^ (unsigned)time(NULL);
	s->maincf_due = 1;
	if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST) {
		strbuf_appendf(err, "state_dir %s: %s", cfg->state_dir, strerror(errno));
		return -1;
	}
	if (state_load(cfg->state_dir, &s->st, err) != 0 ||
	    holdsince_load(cfg->state_dir, &s->hs, err) != 0)
		return -1;
	ctlclient_init(&s->ctl, cfg, sync_abort_cb, s);
	agentmetrics_set_applied(s->st.version);
	return 0;
}

static void
sync_report_clear(struct sync_report *r)
{
	free(r->step);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

void
sync_clear(struct sync *s)
{
	ctlclient_clear(&s->ctl);
	state_clear(&s->st);
	mastercf_clear(&s->mc);
	free(s->prev_text);
	free(s->went_back);
	free(s->maincf_why);
	holdsince_clear(&s->hs);
	strarr_free(s->sweep, s->nsweep);
	sync_report_clear(&s->rep);
}

long
sync_backoff_ms(long min_ms, long max_ms, unsigned n, unsigned *rand_state)
{
	long d = min_ms;

	for (unsigned i = 0; i < n && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* jitter: uniform in [d/2, d] */
	return d / 2 + (long)(rand_r(rand_state) % (unsigned)(d / 2 + 1));
}

/* Error text safe for JSON and logs: printable ASCII, at most 2000 bytes. */
static char *
sync_clean(const char *s)
{
	size_t n = strlen(s) > 2000 ? 2000 : strlen(s);
	char *c = xstrndup(s, n);

	for (char *p = c; *p; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
		else if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	}
	while (n > 0 && c[n - 1] == ' ')
		c[--n] = '\0';
	return c;
}

static void
sync_report_set(struct sync *s, long long version, const char *status, const char *step,
    const char *error, const struct timings *dur)
{
	sync_report_clear(&s->rep);
	s->rep.pending = 1;
	s->rep.version = version;
	snprintf(s->rep.status, sizeof(s->rep.status), "%s", status);
	s->rep.step = step ? xstrdup(step) : NULL;
	s->rep.error = error ? sync_clean(error) : NULL;
	if (dur != NULL)
		s->rep.dur = *dur;
	else
		timings_init(&s->rep.dur);
	agentmetrics_apply(status, s->st.version, timings_names, dur ? dur->ms : NULL, TIMINGS_N);
}

/* Sends the report still owed; 0 when none is left. */
static int
sync_report_flush(struct sync *s)
{
	struct strbuf err = STRBUF_INIT;
	struct ctlclient_report r = { s->rep.version, s->rep.status, s->rep.step, s->rep.error,
	    timings_names, s->rep.dur.ms };
	int rc = 0;

	if (!s->rep.pending)
		return 0;
	if (ctlclient_report(&s->ctl, &r, &err) == 0) {
		s->rep.pending = 0;
	} else {
		log_warnx("report of version %lld (%s) not sent: %s", s->rep.version,
		    s->rep.status, strbuf_str(&err));
		rc = -1;
	}
	strbuf_clear(&err);
	return rc;
}

/* Domains whose nexthop differs between two rendered files, sorted. */
static size_t
sync_moved(const char *old_text, const char *new_text, char ***out)
{
	struct render_entry *a = NULL, *b;
	size_t na = old_text ? render_parse(old_text, &a) : 0, nb = render_parse(new_text, &b);
	size_t i = 0, j = 0, n = 0;
	char **v = xmalloc((na + nb + 1) * sizeof(*v));

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].domain, b[j].domain);
		if (c < 0) {
			v[n++] = xstrdup(a[i++].domain);
		} else if (c > 0) {
			v[n++] = xstrdup(b[j++].domain);
		} else {
			if (old_text == NULL || strcmp(a[i].nexthop, b[j].nexthop) != 0)
				v[n++] = xstrdup(a[i].domain);
			i++, j++;
		}
	}
	if (a != NULL)
		render_entries_free(a, na);
	render_entries_free(b, nb);
	*out = v;
	return n;
}

/* reload and requeue after an install; 0, or -1 with *step. */
static int
sync_activate(struct sync *s, struct timings *dur, const char **step, struct strbuf *err)
{
	char **moved = NULL;
	size_t nmoved = 0;
	int rc;

	if (strcmp(s->cfg->requeue, "moved") == 0)
		nmoved = sync_moved(s->prev_text, s->st.text, &moved);
	rc = applier_activate(s->ap, moved, nmoved, dur, step, err);
	s->sweep = strarr_free(s->sweep, s->nsweep);
	s->nsweep = 0;
	if (rc == 0 && nmoved > 0) {
		s->sweep = moved, s->nsweep = nmoved;   /* once more, a little later */
		s->sweep_at = monotime_ms() + SYNC_SWEEP_MS;
	} else {
		strarr_free(moved, nmoved);
	}
	if (rc == 0 && strcmp(s->cfg->reload, "always") == 0)
		s->maincf_due = 1;   /* Postfix read main.cf again */
	return rc;
}

/* The late requeue of the last change's moved domains, when it is due. */
static void
sync_sweep(struct sync *s)
{
	struct timings t;
	struct strbuf err = STRBUF_INIT;
	const char *step = "requeue";

	if (s->sweep == NULL || monotime_ms() < s->sweep_at)
		return;
	timings_init(&t);
	if (applier_sweep(s->ap, s->sweep, s->nsweep, &t, &step, &err) != 0)
		log_warnx("requeue of the moved domains, second pass: %s", strbuf_str(&err));
	s->sweep = strarr_free(s->sweep, s->nsweep);
	s->nsweep = 0;
	strbuf_clear(&err);
}

/* The long-poll's wait: poll_wait, or until the sweep is due. */
static int
sync_wait_s(const struct sync *s)
{
	int wait_s = (int)(s->cfg->poll_wait_ms / 1000);

	if (s->sweep != NULL) {
		long left = (s->sweep_at - monotime_ms() + 999) / 1000;
		if (left < wait_s)
			wait_s = left < 1 ? 1 : (int)left;
	}
	return wait_s;
}

/* Installs text as the map; takes it over as the state's text. */
static int
sync_install(struct sync *s, char *text, struct timings *dur, const char **step,
    struct strbuf *err)
{
	struct timings t;

	timings_init(&t);
	if (applier_install(s->ap, text, &t, step, err) != 0) {
		free(text);
		return -1;
	}
	timings_merge(dur, &t);   /* a failed install reports none of its steps */
	free(s->prev_text);
	s->prev_text = s->st.text;
	s->st.text = text;
	sha256_hex(text, strlen(text), s->st.sha256);
	s->pending_reload = 1;
	*step = "state";
	return state_save(s->cfg->state_dir, &s->st, err);
}

/* master.cf's services: postconf -M again only when the file changed. */
static int
sync_services(struct sync *s, struct strbuf *err)
{
	char *path = xasprintf("%s/master.cf", s->cfg->config_directory), *postconf;
	struct stat sb;
	int rc = 0;

	if (stat(path, &sb) == 0 && s->mc_valid && sb.st_ino == s->mc_stat.st_ino &&
	    sb.st_size == s->mc_stat.st_size && sb.st_mtim.tv_sec == s->mc_stat.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == s->mc_stat.st_mtim.tv_nsec)
		goto done;
	mastercf_clear(&s->mc);
	s->mc_valid = 0;
	postconf = xasprintf("%s/postconf", s->cfg->command_directory);
	rc = mastercf_load(postconf, s->cfg->config_directory, (long)s->cfg->command_timeout_ms,
	    &s->mc, err);
	free(postconf);
	if (rc == 0) {
		s->mc_stat = sb;
		s->mc_valid = 1;
	}
done:
	free(path);
	return rc;
}

static int
sync_same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Checks main.cf again (maincf.h) when due or changed since the last
 * check; logs when the answer changes.
 */
static void
sync_maincf(struct sync *s)
{
	char *path = xasprintf("%s/main.cf", s->cfg->config_directory);
	struct strbuf why = STRBUF_INIT;
	struct stat sb;

	if (stat(path, &sb) != 0)
		memset(&sb, 0, sizeof(sb));
	free(path);
	if (!s->maincf_due && sync_same_stat(&sb, &s->maincf_stat))
		return;
	s->maincf_due = 0;
	s->maincf_stat = sb;
	if (maincf_check(s->cfg, &why) == 0) {
		if (s->maincf_why != NULL)
			log_info("main.cf names the agent's maps again");
		free(s->maincf_why);
		s->maincf_why = NULL;
	} else {
		if (s->maincf_why == NULL || strcmp(s->maincf_why, strbuf_str(&why)) != 0)
			log_warnx("Postfix does not use the agent's map: %s", strbuf_str(&why));
		free(s->maincf_why);
		s->maincf_why = strbuf_detach(&why);
	}
	strbuf_clear(&why);
}

/* 1 when the controller was last told otherwise about main.cf than it is. */
static int
sync_maincf_untold(const struct sync *s)
{
	return s->st.version >= 0 && s->st.maincf_failed != (s->maincf_why != NULL);
}

static int
sync_check_entries(struct sync *s, const struct feed *f, struct strbuf *text,
    struct timings *dur, const char **step, struct strbuf *err)
{
	long t0 = monotime_ms();
	int rc;

	*step = "validate";
	if (render_transport(s->cfg->node, f->version, f->entries, f->n, text, err) != 0)
		return -1;
	dur->ms[TIMINGS_RENDER] = monotime_ms() - t0, t0 = monotime_ms();
	*step = "mastercf";
	rc = sync_services(s, err);
	if (rc == 0)
		rc = mastercf_check(&s->mc, f->entries, f->n, err);
	dur->ms[TIMINGS_MASTERCF] = monotime_ms() - t0;
	return rc;
}

/* The hold map of a feed, rendered when [postfix] hold_map is set. */
static int
sync_render_holds(struct sync *s, const struct feed *f, struct strbuf *text, struct strbuf *err)
{
	if (s->cfg->hold_map[0] == '\0')
		return 0;
	return holdmap_render(s->cfg->node, f->version, f->holds, f->nholds, text, err);
}

/* 1 when the rendered hold map differs from the applied one. */
static int
sync_holds_differ(const struct sync *s, const char *text)
{
	if (s->cfg->hold_map[0] == '\0')
		return 0;
	return s->st.hold_text == NULL ||
	    strcmp(render_body(text), render_body(s->st.hold_text)) != 0;
}

/* Releases the held mail of the senders text no longer holds. */
static int
sync_release_holds(struct sync *s, const char *text, const char **step, struct strbuf *err)
{
	char **removed, **held;
	size_t nremoved = holdmap_removed(s->st.hold_text, text, &removed);
	size_t nheld = holdmap_senders(text, &held);
	long long *since = xmalloc((nremoved ? nremoved : 1) * sizeof(*since));
	int rc = 0;

	for (size_t i = 0; i < nremoved; i++)
		since[i] = holdsince_get(&s->hs, removed[i]);
	if (nremoved > 0)
		rc = applier_release(s->ap, removed, since, nremoved, held, nheld, step, err);
	free(since);
	log_info("hold map: %zu sender(s) held, %zu taken off%s", nheld, nremoved,
	    rc == 0 ? "" : ", release failed");
	holdmap_senders_free(removed, nremoved);
	holdmap_senders_free(held, nheld);
	return rc;
}

/*
 * Records when the senders of text went on the hold map: the new ones now,
 * before the map that holds them is installed (so that every message the
 * map holds arrived after it); before is 1 to keep the senders leaving
 * the map until their release is done, 0 to drop them after it.
 */
static int
sync_hold_starts(struct sync *s, const char *text, int before, struct strbuf *err)
{
	char **held;
	size_t nheld = holdmap_senders(text, &held);
	int rc;

	holdsince_merge(&s->hs, held, nheld, (long long)time(NULL), before);
	rc = holdsince_save(s->cfg->state_dir, &s->hs, err);
	holdmap_senders_free(held, nheld);
	return rc;
}

/*
 * Installs the hold map when it differs from the applied one, then
 * releases the mail of senders taken off it; the state's copy changes
 * only after both (a retry installs and releases again). Failures are
 * step "hold", with the inner step in the message.
 */
static int
sync_holds(struct sync *s, struct strbuf *text, struct timings *dur, const char **step,
    struct strbuf *err)
{
	struct timings t;   /* the map install's steps: not reported, inside holds */
	struct strbuf e = STRBUF_INIT;
	const char *inner = "install";
	long t0 = monotime_ms();
	int rc;

	if (!sync_holds_differ(s, strbuf_str(text)))
		return 0;
	timings_init(&t);
	inner = "state";
	rc = sync_hold_starts(s, strbuf_str(text), 1, &e);
	inner = "install";
	if (rc == 0)
		rc = applier_hold_install(s->ap, strbuf_str(text), &t, &inner, &e);
	if (rc == 0)
		rc = sync_release_holds(s, strbuf_str(text), &inner, &e);
	if (rc == 0 && (rc = sync_hold_starts(s, strbuf_str(text), 0, &e)) != 0)
		inner = "state";
	if (rc != 0) {
		*step = "hold";
		strbuf_appendf(err, "%s: %s: %s", s->cfg->hold_map, inner, strbuf_str(&e));
		strbuf_clear(&e);
		return -1;
	}
	strbuf_clear(&e);
	free(s->st.hold_text);
	s->st.hold_text = strbuf_detach(text);
	dur->ms[TIMINGS_HOLDS] = monotime_ms() - t0;
	return 0;
}

/* Applies one feed version; reports either way. */
static enum sync_result
sync_apply(struct sync *s, const struct feed *f)
{
	struct strbuf text = STRBUF_INIT, hold = STRBUF_INIT, err = STRBUF_INIT;
	struct timings dur;
	long t0 = monotime_ms();
	const char *step = "validate";
	int same;

	timings_init(&dur);
	if (sync_check_entries(s, f, &text, &dur, &step, &err) != 0)
		goto fail;
	step = "validate";
	if (sync_render_holds(s, f, &hold, &err) != 0)
		goto fail;
	same = s->st.text != NULL &&
	    strcmp(render_body(strbuf_str(&text)), render_body(s->st.text)) == 0;
	if (!same && sync_install(s, strbuf_detach(&text), &dur, &step, &err) != 0)
		goto fail;
	if (s->pending_reload && sync_activate(s, &dur, &step, &err) != 0)
		goto fail;
	s->pending_reload = 0;
	if (sync_holds(s, &hold, &dur, &step, &err) != 0)
		goto fail;
	sync_maincf(s);
	step = "state";
	long long was = s->st.version;
	int was_failed = s->st.maincf_failed;
	long ts = monotime_ms();
	s->st.version = f->version;
	s->st.maincf_failed = s->maincf_why != NULL;
	if (state_save(s->cfg->state_dir, &s->st, &err) != 0) {
		s->st.version = was;
		s->st.maincf_failed = was_failed;
		goto fail;
	}
	dur.ms[TIMINGS_STATE] = monotime_ms() - ts;
	dur.ms[TIMINGS_TOTAL] = monotime_ms() - t0;
	if (s->maincf_why != NULL) {
		step = "maincf";   /* installed, but Postfix does not read it */
		strbuf_append(&err, s->maincf_why);
		goto fail;
	}
	if (same && dur.ms[TIMINGS_RELOAD] < 0)
		log_info("version %lld applied (%zu entries, map unchanged) in %ld ms", f->version,
		    f->n, dur.ms[TIMINGS_TOTAL]);
	else
		log_info("version %lld applied (%zu entries) in %ld ms: postmap %ld ms, verify %ld ms, "
		    "reload %ld ms, requeue %ld ms", f->version, f->n, dur.ms[TIMINGS_TOTAL],
		    dur.ms[TIMINGS_POSTMAP], dur.ms[TIMINGS_VERIFY], dur.ms[TIMINGS_RELOAD],
		    dur.ms[TIMINGS_REQUEUE]);
	/* applied, with what the agent could not take (rules it skipped) */
	char *note = s->went_back && f->warning ? xasprintf("%s; %s", s->went_back, f->warning) :
	    xstrdup(s->went_back ? s->went_back : f->warning ? f->warning : "");
	sync_report_set(s, f->version, "applied", NULL, note[0] ? note : NULL, &dur);
	free(note);
	free(s->went_back);
	s->went_back = NULL;
	sync_report_flush(s);
	strbuf_clear(&text);
	strbuf_clear(&hold);
	return SYNC_APPLIED;
fail:
	dur.ms[TIMINGS_TOTAL] = monotime_ms() - t0;
	log_warnx("version %lld failed at %s: %s", f->version, step, strbuf_str(&err));
	sync_report_set(s, f->version, "failed", step, strbuf_str(&err), &dur);
	sync_report_flush(s);
	strbuf_clear(&text);
	strbuf_clear(&hold);
	strbuf_clear(&err);
	return SYNC_FAILED;
}

/* Why the map file at path (type map_type) differs from want, or NULL. */
static const char *
sync_file_drift(const char *path, const char *map_type, const char *want)
{
	char *idx = mapinstall_index_path(map_type, path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	const char *why = NULL;
	ssize_t n;

	if (fd < 0) {
		why = "is missing";
	} else {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			strbuf_appendn(&sb, buf, (size_t)n);
		close(fd);
		if (strcmp(strbuf_str(&sb), want) != 0)
			why = "was changed by hand";
		else if (access(idx, F_OK) != 0)
			why = "has lost its index file";
	}
	strbuf_clear(&sb);
	free(idx);
	return why;
}

/* Why the installed transport map differs from the state, or NULL. */
static const char *
sync_installed_drift(const struct sync *s)
{
	return sync_file_drift(s->cfg->transport_file, s->cfg->map_type, s->st.text);
}

/* Puts the applied hold map back when it was changed by hand or lost. */
static void
sync_check_holds_installed(struct sync *s)
{
	struct timings t;
	struct strbuf err = STRBUF_INIT;
	const char *why, *step = "install";

	if (s->cfg->hold_map[0] == '\0' || s->st.hold_text == NULL ||
	    (why = sync_file_drift(s->cfg->hold_map, s->cfg->map_type, s->st.hold_text)) == NULL)
		return;
	timings_init(&t);
	if (applier_hold_install(s->ap, s->st.hold_text, &t, &step, &err) == 0)
		log_warnx("%s %s: restored", s->cfg->hold_map, why);
	else
		log_warnx("%s %s; restoring it failed at %s: %s", s->cfg->hold_map, why, step,
		    strbuf_str(&err));
	strbuf_clear(&err);
}

/* Restores the map of the state when the installed one drifted. */
static int
sync_check_installed(struct sync *s)
{
	struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;
	struct timings dur;
	const char *why, *step = "install";
	int rc = 0;

	if (s->st.text == NULL || s->st.version < 0 || (why = sync_installed_drift(s)) == NULL)
		return 0;
	timings_init(&dur);
	log_warnx("%s %s: restoring version %lld", s->cfg->transport_file, why, s->st.version);
	char *keep = s->prev_text;
	s->prev_text = xstrdup(s->st.text);
	if (sync_install(s, xstrdup(s->st.text), &dur, &step, &err) != 0 ||
	    sync_activate(s, &dur, &step, &err) != 0) {
		strbuf_appendf(&msg, "%s %s; restoring it failed at %s: %s", s->cfg->transport_file,
		    why, step, strbuf_str(&err));
		sync_report_set(s, s->st.version, "failed", step, strbuf_str(&msg), &dur);
		log_warnx("%s", strbuf_str(&msg));
		rc = -1;
	} else {
		s->pending_reload = 0;
		strbuf_appendf(&msg, "%s %s; restored version %lld", s->cfg->transport_file, why,
		    s->st.version);
		sync_maincf(s);
		s->st.maincf_failed = s->maincf_why != NULL;
		if (s->maincf_why != NULL)
			strbuf_appendf(&msg, "; %s", s->maincf_why);
		sync_report_set(s, s->st.version, s->maincf_why ? "failed" : "applied",
		    s->maincf_why ? "maincf" : NULL, strbuf_str(&msg), &dur);
	}
	free(s->prev_text);
	s->prev_text = keep;
	sync_report_flush(s);
	strbuf_clear(&err);
	strbuf_clear(&msg);
	return rc;
}

/* 1 when an applied version's holds are not applied (hold_map just set,
 * or their release failed): the version is applied again. */
static int
sync_holds_due(struct sync *s, const struct feed *f)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	int due = s->cfg->hold_map[0] != '\0' &&
	    (sync_render_holds(s, f, &text, &err) != 0 || sync_holds_differ(s, strbuf_str(&text)));

	strbuf_clear(&text);
	strbuf_clear(&err);
	return due;
}

/*
 * f's version is below the applied one: the controller's database was
 * restored, or its version reset, or this answer came from a controller
 * that lags. A whole feed read again (after=-1, from the database's
 * state) confirms it: when it is still below, that is the fleet's truth
 * now and the agent applies it, loudly, rather than wait for a version
 * above the old one for ever. Replaces *f with the second answer; 0, or
 * -1 when the second read failed (retried later).
 */
static int
sync_confirm_back(struct sync *s, struct feed *f, struct strbuf *err)
{
	struct feed g = { 0 };
	long long was = s->st.version, first = f->version;

	log_warnx("controller answered routing version %lld, below the applied %lld: reading"
	    " the whole feed again to confirm", first, was);
	if (feed_fetch(&s->ctl, -1, 0, &g, err) != FEED_NEW) {
		feed_clear(&g);
		return -1;
	}
	feed_clear(f);
	*f = g;
	if (f->version >= was)
		return 0;   /* a controller that lagged; the second answer is current */
	free(s->went_back);
	s->went_back = xasprintf("the controller's routing version went back from %lld to %lld"
	    " (database restored?); applied its current routes", was, f->version);
	log_errorx("%s", s->went_back);
	return 0;
}

enum sync_result
sync_once(struct sync *s, int wait_s)
{
	struct feed f = { 0 };
	struct strbuf err = STRBUF_INIT;
	enum feed_result fr;
	enum sync_result r;

	sync_maincf(s);
	if (sync_maincf_untold(s))
		s->fetched = 0;   /* read the whole feed: its version is reported again */
	if (sync_check_installed(s) != 0)
		return SYNC_FAILED;
	sync_check_holds_installed(s);
	sync_report_flush(s);
	fr = feed_fetch(&s->ctl, s->fetched ? s->st.version : -1, wait_s, &f, &err);
	switch (fr) {
	case FEED_SAME:
		r = s->pending_reload ? SYNC_FAILED : SYNC_CURRENT;
		break;
	case FEED_NEW:
		if (s->st.version >= 0 && f.version < s->st.version &&
		    sync_confirm_back(s, &f, &err) != 0) {
			log_warnx("feed: %s", strbuf_str(&err));
			r = SYNC_UNREACHABLE;
			break;
		}
		s->fetched = 1;
		if (s->on_feed != NULL)
			s->on_feed(&f, s->on_feed_arg);
		if (f.version == s->st.version && !s->pending_reload && !sync_holds_due(s, &f) &&
		    !sync_maincf_untold(s))
			r = SYNC_CURRENT;   /* the first, whole fetch: already applied */
		else
			r = sync_apply(s, &f);
		break;
	case FEED_BAD:
		log_warnx("feed: %s", strbuf_str(&err));
		if (f.version >= 0) {
			sync_report_set(s, f.version, "failed", "feed", strbuf_str(&err), NULL);
			sync_report_flush(s);
		}
		r = SYNC_FAILED;
		break;
	default:
		if (!*s->stop && !*s->wake)
			log_warnx("feed: %s", strbuf_str(&err));
		r = SYNC_UNREACHABLE;
		break;
	}
	feed_clear(&f);
	strbuf_clear(&err);
	return r;
}

static void
sync_sleep(struct sync *s, long ms)
{
	long end = monotime_ms() + ms;

	while (!*s->stop && !*s->wake && monotime_ms() < end) {
		long left = end - monotime_ms();
		struct timespec ts = { 0, (left > 100 ? 100 : left) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

void
sync_run(struct sync *s)
{

	log_info("node %s: applied version %lld; controller %s", s->cfg->node, s->st.version,
	    s->cfg->urls[0]);
	while (!*s->stop) {
		if (*s->wake)
			s->maincf_due = 1;   /* SIGHUP: main.cf may have been fixed */
		*s->wake = 0;
		enum sync_result r = sync_once(s, sync_wait_s(s));
		if (*s->stop)
			break;
		sync_sweep(s);
		if (*s->wake)
			continue;   /* SIGHUP: a new cycle at once */
		if (r == SYNC_FAILED || r == SYNC_UNREACHABLE) {
			long d = sync_backoff_ms((long)s->cfg->retry_min_ms, (long)s->cfg->retry_max_ms,
			    s->failures++, &s->rand_state);
			log_info("retrying in %ld ms", d);
			sync_sleep(s, d);
		} else {
			s->failures = 0;
		}
	}
	sync_report_flush(s);
}
