/*
 * report.c: sum up one scan (see report.h).
 *
 * Owns the provider entries, block episodes, surges and the unknown-reply
 * table (entries, a hash of chains over them, and a min-heap by count for
 * the Space-Saving eviction), plus the sorted pointer arrays of the view.
 */
#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replymask.h"
#include "xalloc.h"

#define UNK_BUCKETS 2048   /* a power of two above REPORT_UNKNOWN */
#define UNK_NONE ((size_t)-1)

struct unk {
	struct report_unknown u;
	uint64_t hash;
	size_t next;      /* next entry of its hash chain */
	size_t heap;      /* its place in the heap */
};

struct report {
	struct report_view view;
	struct report_provider *prov;
	const char **prov_key;   /* the pointer each provider was last seen by */
	size_t nprov;
	struct report_block *blocks;
	size_t nblocks, capblocks;
	struct report_surge *surges;
	size_t nsurges, capsurges;
	struct unk *unk;         /* REPORT_UNKNOWN entries, made on first use */
	size_t nunk;
	size_t *heap;            /* entry numbers, least count first */
	size_t bucket[UNK_BUCKETS];
	char mask[REPORT_REPLY_MAX];
	char example[REPORT_REPLY_MAX];
	/* the view's arrays */
	const struct report_provider **vprov;
	const struct report_block **vblocks;
	const struct report_surge **vsurges;
	const struct report_unknown **vunk;
};

struct report *
report_new(void)
{
	struct report *r = xcalloc(1, sizeof(*r));

	for (size_t i = 0; i < UNK_BUCKETS; i++)
		r->bucket[i] = UNK_NONE;
	return r;
}

struct report *
report_free(struct report *r)
{
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < r->nprov; i++)
		free(r->prov[i].name);
	for (size_t i = 0; i < r->nblocks; i++) {
		free(r->blocks[i].node);
		free(r->blocks[i].provider);
	}
	for (size_t i = 0; i < r->nsurges; i++) {
		free(r->surges[i].node);
		free(r->surges[i].sender);
	}
	for (size_t i = 0; i < r->nunk; i++) {
		free(r->unk[i].u.reply);
		free(r->unk[i].u.example);
	}
	free(r->prov);
	free(r->prov_key);
	free(r->blocks);
	free(r->surges);
	free(r->unk);
	free(r->heap);
	free(r->vprov);
	free(r->vblocks);
	free(r->vsurges);
	free(r->vunk);
	free(r);
	return NULL;
}

/* Room in *arr (of n elements of size each, cap allocated) for one more. */
static void *
grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap == 0 ? 16 : *cap * 2;
	return xrealloc(arr, *cap * size);
}

/* ---- providers ---- */

static struct report_provider *
provider_get(struct report *r, const char *name)
{
	for (size_t i = 0; i < r->nprov; i++)
		if (r->prov_key[i] == name)
			return &r->prov[i];
	for (size_t i = 0; i < r->nprov; i++)
		if (strcmp(r->prov[i].name, name) == 0) {
			r->prov_key[i] = name;
			return &r->prov[i];
		}
	r->prov = xrealloc(r->prov, (r->nprov + 1) * sizeof(*r->prov));
	r->prov_key = xrealloc(r->prov_key, (r->nprov + 1) * sizeof(*r->prov_key));
	memset(&r->prov[r->nprov], 0, sizeof(*r->prov));
	r->prov[r->nprov].name = xstrdup(name);
	r->prov_key[r->nprov] = name;
	return &r->prov[r->nprov++];
}

/* ---- unknown replies: a bounded table (Space-Saving) ---- */

static uint64_t
unk_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;   /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void
heap_swap(struct report *r, size_t a, size_t b)
{
	size_t t = r->heap[a];

	r->heap[a] = r->heap[b];
	r->heap[b] = t;
	r->unk[r->heap[a]].heap = a;
	r->unk[r->heap[b]].heap = b;
}

static long long
heap_count(const struct report *r, size_t pos)
{
	return r->unk[r->heap[pos]].u.count;
}

static void
heap_up(struct report *r, size_t pos)
{
	while (pos > 0 && heap_count(r, (pos - 1) / 2) > heap_count(r, pos)) {
		heap_swap(r, pos, (pos - 1) / 2);
		pos = (pos - 1) / 2;
	}
}

static void
heap_down(struct report *r, size_t pos)
{
	for (;;) {
		size_t l = 2 * pos + 1, m = pos;
		if (l < r->nunk && heap_count(r, l) < heap_count(r, m))
			m = l;
		if (l + 1 < r->nunk && heap_count(r, l + 1) < heap_count(r, m))
			m = l + 1;
		if (m == pos)
			return;
		heap_swap(r, pos, m);
		pos = m;
	}
}

static void
unk_unlink(struct report *r, size_t i)
{
	size_t *p = &r->bucket[r->unk[i].hash & (UNK_BUCKETS - 1)];

	while (*p != i)
		p = &r->unk[*p].next;
	*p = r->unk[i].next;
}

/* A new entry for the masked reply in r->mask: a free one, or the least counted one's. */
static struct unk *
unk_insert(struct report *r, uint64_t h, const struct maillog_str *reply)
{
	struct unk *e;
	size_t i;

	if (r->unk == NULL) {
		r->unk = xcalloc(REPORT_UNKNOWN, sizeof(*r->unk));
		r->heap = xcalloc(REPORT_UNKNOWN, sizeof(*r->heap));
	}
	if (r->nunk < REPORT_UNKNOWN) {
		i = r->nunk++;
		e = &r->unk[i];
		e->heap = i;
		r->heap[i] = i;
		e->u.count = 1;
		heap_up(r, i);
	} else {
		i = r->heap[0];
		e = &r->unk[i];
		unk_unlink(r, i);
		free(e->u.reply);
		free(e->u.example);
		e->u.error = e->u.count;
		e->u.count++;
		r->view.unknown_evicted++;
		heap_down(r, 0);
	}
	e->u.reply = xstrdup(r->mask);
	detector_mask(reply->p, reply->len, r->example, sizeof(r->example));
	e->u.example = xstrndup(r->example, replymask_utf8_len(r->example, strlen(r->example)));
	e->u.nproviders = 0;
	e->u.more_providers = 0;
	e->hash = h;
	e->next = r->bucket[h & (UNK_BUCKETS - 1)];
	r->bucket[h & (UNK_BUCKETS - 1)] = i;
	return e;
}

static void
unk_add(struct report *r, const struct maillog_rec *rec, const char *provider)
{
	size_t n = replymask_text(rec->reply.p, rec->reply.len, r->mask, sizeof(r->mask));
	uint64_t h = unk_hash(r->mask, n);
	struct unk *e = NULL;

	r->view.unknown_deliveries++;
	for (size_t i = r->bucket[h & (UNK_BUCKETS - 1)]; i != UNK_NONE; i = r->unk[i].next)
		if (r->unk[i].hash == h && strcmp(r->unk[i].u.reply, r->mask) == 0) {
			e = &r->unk[i];
			e->u.count++;
			heap_down(r, e->heap);
			break;
		}
	if (e == NULL)
		e = unk_insert(r, h, &rec->reply);
	for (int k = 0; k < e->u.nproviders; k++)
		if (e->u.providers[k] == provider)
			return;
	if (e->u.nproviders < REPORT_UNKNOWN_PROVIDERS)
		e->u.providers[e->u.nproviders++] = provider;
	else
		e->u.more_providers = 1;
}

/* ---- records ---- */

void
report_record(struct report *r, enum maillog_kind kind, const struct delivery *d)
{
	const struct maillog_rec *rec = &d->rec;
	struct report_view *v = &r->view;
	struct report_provider *p;

	if (kind == MAILLOG_REJECT)
		return;
	if (rec->ts != 0) {
		if (v->first == 0 || rec->ts < v->first)
			v->first = rec->ts;
		if (rec->ts > v->last)
			v->last = rec->ts;
	}
	if (kind != MAILLOG_DELIVERY)
		return;
	v->deliveries++;
	p = provider_get(r, d->provider);
	switch (rec->status) {
	case MAILLOG_STATUS_SENT:
		p->sent++;
		v->sent++;
		break;
	case MAILLOG_STATUS_DEFERRED:
		p->deferred++;
		p->deferred_by[d->res.cls]++;
		v->deferred++;
		break;
	case MAILLOG_STATUS_BOUNCED:
		p->bounced++;
		p->bounced_by[d->res.cls]++;
		v->bounced++;
		break;
	default:
		break;
	}
	if (d->res.cls == CLASS_UNKNOWN)
		unk_add(r, rec, p->name);
}

/* ---- events ---- */

static struct report_block *
block_open(struct report *r, const char *node, const char *provider)
{
	for (size_t i = r->nblocks; i > 0; i--) {
		struct report_block *b = &r->blocks[i - 1];
		if (b->end == 0 && strcmp(b->node, node) == 0 && strcmp(b->provider, provider) == 0)
			return b;
	}
	return NULL;
}

void
report_detector(struct report *r, const struct detector_event *ev)
{
	struct report_block *b = block_open(r, ev->node, ev->provider);

	if (ev->type == DETECTOR_CLEAR) {
		if (b != NULL)
			b->end = ev->at;
		return;
	}
	if (b != NULL) {   /* the block repeated after silence: the same episode */
		if (ev->count > b->count)
			b->count = ev->count;
		return;
	}
	if (r->nblocks == REPORT_BLOCKS) {
		r->view.blocks_dropped++;
		return;
	}
	r->blocks = grow(r->blocks, r->nblocks, &r->capblocks, sizeof(*r->blocks));
	b = &r->blocks[r->nblocks++];
	b->node = xstrdup(ev->node);
	b->provider = xstrdup(ev->provider);
	b->cls = ev->cls;
	b->start = ev->since != 0 ? ev->since : ev->at;
	b->end = 0;
	b->count = ev->count;
}

void
report_volume(const struct volume_event *ev, void *arg)
{
	struct report *r = arg;
	int sasl = ev->kind != VOLUME_NODE && ev->sasl;
	struct report_surge *s = NULL;

	for (size_t i = r->nsurges; i > 0 && s == NULL; i--) {
		struct report_surge *t = &r->surges[i - 1];
		if (t->sasl == sasl && strcmp(t->sender, ev->sender) == 0 &&
		    strcmp(t->node, ev->node) == 0)
			s = t;
	}
	if (s == NULL) {
		if (r->nsurges == REPORT_SURGES) {
			r->view.surges_dropped++;
			return;
		}
		r->surges = grow(r->surges, r->nsurges, &r->capsurges, sizeof(*r->surges));
		s = &r->surges[r->nsurges++];
		memset(s, 0, sizeof(*s));
		s->node = xstrdup(ev->node);
		s->sender = xstrdup(ev->sender);
		s->sasl = sasl;
		s->start = ev->at;
	}
	s->events++;
	s->last = ev->at;
	s->reasons |= 1u << ev->kind;
	if (ev->rate > s->rate)
		s->rate = ev->rate;
}

const char *
report_reason_name(enum volume_kind k)
{
	return k == VOLUME_RATE ? "rate" : k == VOLUME_NODE ? "node_total" : "client_ips";
}

const char *
report_time(time_t t, char *buf)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, REPORT_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(buf, "?");
	return buf;
}

/* ---- the view ---- */

static int
cmp_ll(long long a, long long b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_provider(const void *pa, const void *pb)
{
	const struct report_provider *a = *(const struct report_provider *const *)pa;
	const struct report_provider *b = *(const struct report_provider *const *)pb;
	long long fa = a->deferred + a->bounced, fb = b->deferred + b->bounced;
	int c = cmp_ll(fb, fa);

	if (c == 0)
		c = cmp_ll(fb + b->sent, fa + a->sent);
	return c != 0 ? c : strcmp(a->name, b->name);
}

/* Still open first (longest running first), then the latest ended. */
static int
cmp_block(const void *pa, const void *pb)
{
	const struct report_block *a = *(const struct report_block *const *)pa;
	const struct report_block *b = *(const struct report_block *const *)pb;
	int c;

	if ((a->end == 0) != (b->end == 0))
		return a->end == 0 ? -1 : 1;
	c = a->end == 0 ? cmp_ll(a->start, b->start) : cmp_ll(b->end, a->end);
	if (c == 0)
		c = cmp_ll(b->start, a->start);
	if (c == 0)
		c = strcmp(a->node, b->node);
	return c != 0 ? c : strcmp(a->provider, b->provider);
}

/* The latest surge first. */
static int
cmp_surge(const void *pa, const void *pb)
{
	const struct report_surge *a = *(const struct report_surge *const *)pa;
	const struct report_surge *b = *(const struct report_surge *const *)pb;
	int c = cmp_ll(b->last, a->last);

	if (c == 0)
		c = strcmp(a->node, b->node);
	return c != 0 ? c : strcmp(a->sender, b->sender);
}

static int
cmp_unknown(const void *pa, const void *pb)
{
	const struct report_unknown *a = *(const struct report_unknown *const *)pa;
	const struct report_unknown *b = *(const struct report_unknown *const *)pb;
	int c = cmp_ll(b->count, a->count);

	return c != 0 ? c : strcmp(a->reply, b->reply);
}

const struct report_view *
report_finish(struct report *r, long long lines, long long malformed)
{
	struct report_view *v = &r->view;

	v->lines = lines;
	v->malformed = malformed;
	r->vprov = xrealloc(r->vprov, (r->nprov + 1) * sizeof(*r->vprov));
	for (size_t i = 0; i < r->nprov; i++)
		r->vprov[i] = &r->prov[i];
	qsort(r->vprov, r->nprov, sizeof(*r->vprov), cmp_provider);
	r->vblocks = xrealloc(r->vblocks, (r->nblocks + 1) * sizeof(*r->vblocks));
	for (size_t i = 0; i < r->nblocks; i++)
		r->vblocks[i] = &r->blocks[i];
	qsort(r->vblocks, r->nblocks, sizeof(*r->vblocks), cmp_block);
	r->vsurges = xrealloc(r->vsurges, (r->nsurges + 1) * sizeof(*r->vsurges));
	for (size_t i = 0; i < r->nsurges; i++)
		r->vsurges[i] = &r->surges[i];
	qsort(r->vsurges, r->nsurges, sizeof(*r->vsurges), cmp_surge);
	r->vunk = xrealloc(r->vunk, (r->nunk + 1) * sizeof(*r->vunk));
	for (size_t i = 0; i < r->nunk; i++)
		r->vunk[i] = &r->unk[i].u;
	qsort(r->vunk, r->nunk, sizeof(*r->vunk), cmp_unknown);
	v->providers = r->vprov;
	v->nproviders = r->nprov;
	v->blocks = r->vblocks;
	v->nblocks = r->nblocks;
	v->surges = r->vsurges;
	v->nsurges = r->nsurges;
	v->unknown = r->vunk;
	v->nunknown = r->nunk;
	return v;
}
