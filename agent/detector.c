/*
 * detector.c: per (node, provider) sliding windows (see detector.h).
 *
 * Keys live in an open-addressing table of pointers, each key a fixed
 * ring of buckets plus a few masked sample lines; a key is allocated on
 * its first attempt and never again, so feeding allocates nothing.
 */
#include "detector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct bucket {
	long long idx;      /* ts / width of the slot's period; -1 = empty */
	int attempts, yes, amb, conn, ok;
	unsigned cls[CLASS_COUNT];
};

struct dkey {
	char *node;
	char *provider;
	uint32_t hash;
	time_t now;         /* latest timestamp seen: time never goes back */
	struct bucket b[DETECTOR_BUCKETS];
	int blocked;
	int stale;          /* blocked, but no attempt for a window: confirm again */
	enum classify_class block_cls;
	time_t since;
	time_t last_bad;
	int ok_run;
	char samples[DETECTOR_SAMPLES][DETECTOR_SAMPLE_MAX];
	int sample_next, nsamples;
};

struct detector {
	struct detector_config cfg;
	int width;          /* seconds per bucket */
	struct dkey **tab;
	size_t cap, n;
};

struct totals {
	int attempts, yes, amb, conn, ok;
	unsigned cls[CLASS_COUNT];
};

void
detector_config_default(struct detector_config *cfg)
{
	cfg->window_s = 300;
	cfg->fail_count = 5;
	cfg->fail_share = 0.3;
	cfg->min_definite = 2;
	cfg->conn_count = 20;
	cfg->conn_share = 0.8;
	cfg->clear_successes = 10;
	cfg->clear_quiet_s = 120;
}

const char *
detector_config_check(const struct detector_config *cfg)
{
	if (cfg->window_s < 10 || cfg->window_s > 86400)
		return "window must be between 10 s and 1 day";
	if (cfg->fail_count < 1 || cfg->conn_count < 1 || cfg->clear_successes < 1)
		return "counts must be at least 1";
	if (cfg->min_definite < 1 || cfg->min_definite > cfg->fail_count)
		return "min_definite must be between 1 and fail_count";
	if (!(cfg->fail_share > 0 && cfg->fail_share <= 1) ||
	    !(cfg->conn_share > 0 && cfg->conn_share <= 1))
		return "shares must be in (0, 1]";
	if (cfg->clear_quiet_s < 0)
		return "clear_quiet must not be negative";
	return NULL;
}

struct detector *
detector_new(const struct detector_config *cfg)
{
	struct detector *d = xcalloc(1, sizeof(*d));

	d->cfg = *cfg;
	d->width = (cfg->window_s + DETECTOR_BUCKETS - 1) / DETECTOR_BUCKETS;
	if (d->width < 1)
		d->width = 1;
	d->cap = 64;
	d->tab = xcalloc(d->cap, sizeof(*d->tab));
	return d;
}

struct detector *
detector_free(struct detector *d)
{
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < d->cap; i++) {
		if (d->tab[i] != NULL) {
			free(d->tab[i]->node);
			free(d->tab[i]->provider);
			free(d->tab[i]);
		}
	}
	free(d->tab);
	free(d);
	return NULL;
}

static uint32_t
key_hash(const char *node, size_t nodelen, const char *provider)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < nodelen; i++)
		h = (h ^ (unsigned char)node[i]) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = provider; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static void
key_reset_window(struct dkey *k)
{
	for (int i = 0; i < DETECTOR_BUCKETS; i++) {
		memset(&k->b[i], 0, sizeof(k->b[i]));
		k->b[i].idx = -1;
	}
}

static void
detector_grow(struct detector *d)
{
	size_t cap = d->cap * 2;
	struct dkey **tab = xcalloc(cap, sizeof(*tab));

	for (size_t i = 0; i < d->cap; i++) {
		struct dkey *k = d->tab[i];
		if (k == NULL)
			continue;
		size_t j = k->hash & (cap - 1);
		while (tab[j] != NULL)
			j = (j + 1) & (cap - 1);
		tab[j] = k;
	}
	free(d->tab);
	d->tab = tab;
	d->cap = cap;
}

static struct dkey *
detector_key(struct detector *d, const char *node, size_t nodelen, const char *provider)
{
	uint32_t h = key_hash(node, nodelen, provider);
	size_t i = h & (d->cap - 1);

	for (; d->tab[i] != NULL; i = (i + 1) & (d->cap - 1)) {
		struct dkey *k = d->tab[i];
		if (k->hash == h && strncmp(k->node, node, nodelen) == 0 && k->node[nodelen] == '\0' &&
		    strcmp(k->provider, provider) == 0)
			return k;
	}
	struct dkey *k = xcalloc(1, sizeof(*k));
	k->node = xstrndup(node, nodelen);
	k->provider = xstrdup(provider);
	k->hash = h;
	key_reset_window(k);
	d->tab[i] = k;
	if (++d->n * 2 > d->cap)
		detector_grow(d);
	return k;
}

void
detector_mask(const char *line, size_t len, char *out, size_t outlen)
{
	size_t n = len < outlen - 1 ? len : outlen - 1;

	memcpy(out, line, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (out[i] != '@')
			continue;
		for (size_t j = i; j > 0 && strchr("<>[]() ,:;\"'=", out[j - 1]) == NULL; j--)
			out[j - 1] = '*';
	}
}

static void
key_sample(struct dkey *k, const char *line, size_t len)
{
	if (line == NULL)
		return;
	detector_mask(line, len, k->samples[k->sample_next], DETECTOR_SAMPLE_MAX);
	k->sample_next = (k->sample_next + 1) % DETECTOR_SAMPLES;
	if (k->nsamples < DETECTOR_SAMPLES)
		k->nsamples++;
}

static void
key_totals(const struct dkey *k, long long cur, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < DETECTOR_BUCKETS; i++) {
		const struct bucket *b = &k->b[i];
		if (b->idx < 0 || b->idx <= cur - DETECTOR_BUCKETS || b->idx > cur)
			continue;
		t->attempts += b->attempts;
		t->yes += b->yes;
		t->amb += b->amb;
		t->conn += b->conn;
		t->ok += b->ok;
		for (int c = 0; c < CLASS_COUNT; c++)
			t->cls[c] += b->cls[c];
	}
}

static enum classify_class
top_class(const struct totals *t)
{
	int best = CLASS_NONE;

	for (int c = 1; c < CLASS_COUNT; c++)
		if (t->cls[c] > t->cls[best])
			best = c;
	return (enum classify_class)best;
}

static void
event_fill(struct detector *d, struct dkey *k, enum detector_event_type type, time_t ts,
    struct detector_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->node = k->node;
	ev->provider = k->provider;
	ev->cls = k->block_cls;
	ev->window_s = d->cfg.window_s;
	ev->at = ts;
	ev->since = k->since;
}

/* Records the attempt in its bucket; returns 1 when it counts for a block. */
static int
key_count(struct dkey *k, long long idx, const struct classify_result *res)
{
	struct bucket *b = &k->b[idx % DETECTOR_BUCKETS];

	if (b->idx != idx) {
		memset(b, 0, sizeof(*b));
		b->idx = idx;
	}
	b->attempts++;
	if (res->cls == CLASS_SENT) {
		b->ok++;
		return 0;
	}
	if (res->cls == CLASS_CONNECTION) {
		b->conn++;
		return 1;
	}
	if (res->reroutable == REROUTE_YES)
		b->yes++;
	else if (res->reroutable == REROUTE_AMBIGUOUS)
		b->amb++;
	else
		return 0;
	b->cls[res->cls]++;
	return 1;
}

static int
key_decide_block(struct detector *d, struct dkey *k, long long idx, time_t ts,
    struct detector_event *ev)
{
	const struct detector_config *c = &d->cfg;
	struct totals t;
	int fails;

	key_totals(k, idx, &t);
	fails = t.yes + t.amb;
	if (t.yes >= c->min_definite && fails >= c->fail_count &&
	    fails >= c->fail_share * t.attempts) {
		k->block_cls = top_class(&t);
	} else if (t.conn >= c->conn_count && t.conn >= c->conn_share * t.attempts) {
		k->block_cls = CLASS_CONNECTION;
		fails = t.conn;
	} else {
		return 0;
	}
	if (!k->blocked)
		k->since = ts;
	k->blocked = 1;
	k->stale = 0;
	event_fill(d, k, DETECTOR_BLOCK, ts, ev);
	ev->count = fails;
	ev->attempts = t.attempts;
	for (int i = 0; i < k->nsamples; i++)
		ev->samples[ev->nsamples++] =
		    k->samples[(k->sample_next + DETECTOR_SAMPLES - k->nsamples + i) % DETECTOR_SAMPLES];
	return 1;
}

static int
key_decide_clear(struct detector *d, struct dkey *k, long long idx, time_t ts,
    struct detector_event *ev)
{
	struct totals t;

	if (k->ok_run < d->cfg.clear_successes || ts - k->last_bad < d->cfg.clear_quiet_s)
		return 0;
	key_totals(k, idx, &t);
	event_fill(d, k, DETECTOR_CLEAR, ts, ev);
	ev->count = k->ok_run;
	ev->attempts = t.attempts;
	k->blocked = 0;
	k->stale = 0;
	k->ok_run = 0;
	k->nsamples = 0;
	key_reset_window(k);
	return 1;
}

int
detector_feed(struct detector *d, const char *node, size_t nodelen, const char *provider,
    const struct classify_result *res, time_t ts, const char *line, size_t linelen,
    struct detector_event *ev)
{
	if (provider == NULL || strcmp(provider, "other") == 0 || res->cls == CLASS_SUSPENDED)
		return 0;
	struct dkey *k = detector_key(d, node, nodelen, provider);
	if (ts < 0)
		ts = 0;
	if (ts < k->now)
		ts = k->now;
	if (k->blocked && ts - k->now >= d->cfg.window_s)
		k->stale = 1;
	k->now = ts;
	long long idx = (long long)ts / d->width;
	if (key_count(k, idx, res)) {
		k->last_bad = ts;
		k->ok_run = 0;
		key_sample(k, line, linelen);
		return k->blocked && !k->stale ? 0 : key_decide_block(d, k, idx, ts, ev);
	}
	if (res->cls != CLASS_SENT)
		return 0;
	k->ok_run++;
	return k->blocked ? key_decide_clear(d, k, idx, ts, ev) : 0;
}
