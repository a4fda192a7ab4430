/*
 * volume.c: the sender tracker (see volume.h).
 */
#include "volume.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define KEY_MAX 400
#define VOLUME_NODES 64

struct volume_sender {
	struct volume_sender *hnext, *lprev, *lnext;
	uint64_t hash;
	time_t interval_start;
	double count;             /* recipients in the current interval */
	double ewma;
	int intervals;            /* closed intervals since first seen */
	int deferred, bounced;
	int armed;
	int born_in_warmup;       /* first seen while nobody had a baseline */
	int is_node;              /* the node's total, not a sender */
	int sasl;                 /* a SASL login, not an envelope address */
	int explained;            /* node: a sender's surge this interval */
	time_t ip_window_start, ip_reported;
	uint32_t ips[VOLUME_IPS];
	int nips;
	char qids[VOLUME_SAMPLES][16];
	int nqids;
	size_t nodelen;           /* key = node '\0' sender '\0' */
	size_t keylen;
	char key[];
};

struct volume_qid {
	uint64_t hash;            /* of node and queue id; 0 = empty */
	char user[KEY_MAX];       /* SASL user from smtpd, or "" */
	uint64_t sender;          /* hash of the sender's key once qmgr saw it */
};

struct volume {
	struct volume_config cfg;
	volume_event_fn *fn;
	void *arg;
	struct volume_sender **table;
	size_t mask;
	size_t count;
	size_t bytes;
	struct volume_sender *lru_head, *lru_tail;   /* head = most recent */
	struct volume_qid *qids;
	time_t started;           /* first record's time */
	struct volume_sender *nodes[VOLUME_NODES];   /* per-node totals */
	int nnodes;
};

void
volume_config_defaults(struct volume_config *cfg)
{
	cfg->interval_s = 60;
	cfg->alpha = 0.1;
	cfg->multiple = 10;
	cfg->rate_floor = 100;
	cfg->baseline_floor = 2;
	cfg->warmup = 30;
	cfg->warmup_ceiling = 1000;
	cfg->max_client_ips = 5;
	cfg->max_senders = 100000;
}

static uint64_t
hash_bytes(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;    /* FNV-1a */
	}
	return h;
}

/* A SASL login and an envelope address of the same spelling are two
 * senders: anyone can forge the address, only the account's owner logs in. */
static uint64_t
key_hash(struct maillog_str node, int sasl, const char *sender, size_t slen)
{
	uint64_t h = hash_bytes(14695981039346656037ULL, node.p, node.len);

	h = hash_bytes(h, sasl ? "\1" : "", 1);
	return hash_bytes(h, sender, slen) | 1;
}

struct volume *
volume_new(const struct volume_config *cfg, volume_event_fn *fn, void *arg)
{
	struct volume *v = xcalloc(1, sizeof(*v));
	size_t slots = 64;

	v->cfg = *cfg;
	v->fn = fn;
	v->arg = arg;
	while (slots < cfg->max_senders)
		slots *= 2;
	v->table = xcalloc(slots, sizeof(*v->table));
	v->mask = slots - 1;
	v->qids = xcalloc(VOLUME_QIDS, sizeof(*v->qids));
	v->bytes = slots * sizeof(*v->table) + VOLUME_QIDS * sizeof(*v->qids) + sizeof(*v);
	return v;
}

struct volume *
volume_free(struct volume *v)
{
	if (v == NULL)
		return NULL;
	for (struct volume_sender *s = v->lru_head, *n; s; s = n) {
		n = s->lnext;
		free(s);
	}
	for (int i = 0; i < v->nnodes; i++)
		free(v->nodes[i]);
	free(v->table);
	free(v->qids);
	free(v);
	return NULL;
}

size_t
volume_count(const struct volume *v)
{
	return v->count;
}

size_t
volume_bytes(const struct volume *v)
{
	return v->bytes;
}

static void
lru_unlink(struct volume *v, struct volume_sender *s)
{
	if (s->lprev)
		s->lprev->lnext = s->lnext;
	else
		v->lru_head = s->lnext;
	if (s->lnext)
		s->lnext->lprev = s->lprev;
	else
		v->lru_tail = s->lprev;
	s->lprev = s->lnext = NULL;
}

static void
lru_front(struct volume *v, struct volume_sender *s)
{
	s->lnext = v->lru_head;
	s->lprev = NULL;
	if (v->lru_head)
		v->lru_head->lprev = s;
	v->lru_head = s;
	if (v->lru_tail == NULL)
		v->lru_tail = s;
}

static void
volume_evict(struct volume *v)
{
	struct volume_sender *s = v->lru_tail, **pp;

	lru_unlink(v, s);
	for (pp = &v->table[s->hash & v->mask]; *pp != s; pp = &(*pp)->hnext)
		;
	*pp = s->hnext;
	v->count--;
	v->bytes -= sizeof(*s) + s->keylen;
	free(s);
}

static struct volume_sender *
volume_find(struct volume *v, uint64_t h)
{
	for (struct volume_sender *s = v->table[h & v->mask]; s; s = s->hnext)
		if (s->hash == h)
			return s;
	return NULL;
}

/* The sender's entry, made (and the least recent evicted) if new. */
static struct volume_sender *
volume_get(struct volume *v, struct maillog_str node, int sasl, const char *sender, size_t slen,
    time_t ts)
{
	uint64_t h = key_hash(node, sasl, sender, slen);
	struct volume_sender *s = volume_find(v, h);

	if (s != NULL) {
		lru_unlink(v, s);
		lru_front(v, s);
		return s;
	}
	if (v->count >= v->cfg.max_senders)
		volume_evict(v);
	size_t keylen = node.len + slen + 2;
	s = xcalloc(1, sizeof(*s) + keylen);
	s->hash = h;
	s->sasl = sasl;
	s->nodelen = node.len;
	s->keylen = keylen;
	memcpy(s->key, node.p, node.len);
	memcpy(s->key + node.len + 1, sender, slen);
	s->interval_start = ts - ts % v->cfg.interval_s;
	s->armed = 1;
	/* After warm-up a newcomer is a quiet account. */
	s->ewma = v->cfg.baseline_floor;
	s->born_in_warmup = ts < v->started + (time_t)v->cfg.warmup * v->cfg.interval_s;
	s->hnext = v->table[h & v->mask];
	v->table[h & v->mask] = s;
	lru_front(v, s);
	v->count++;
	v->bytes += sizeof(*s) + keylen;
	return s;
}

static double
volume_threshold(const struct volume *v, const struct volume_sender *s, time_t ts)
{
	double base = s->ewma > v->cfg.baseline_floor ? s->ewma : v->cfg.baseline_floor;
	double t = v->cfg.multiple * base;

	if (ts < v->started + (time_t)v->cfg.warmup * v->cfg.interval_s)
		return s->is_node ? HUGE_VAL : v->cfg.warmup_ceiling;
	return t > v->cfg.rate_floor ? t : v->cfg.rate_floor;
}

/* The node's total (sender "*"), made if new; NULL beyond VOLUME_NODES nodes. */
static struct volume_sender *
volume_node(struct volume *v, struct maillog_str node, time_t ts)
{
	struct volume_sender *s;

	for (int i = 0; i < v->nnodes; i++) {
		s = v->nodes[i];
		if (s->nodelen == node.len && memcmp(s->key, node.p, node.len) == 0)
			return s;
	}
	if (v->nnodes == VOLUME_NODES || node.len >= KEY_MAX)
		return NULL;
	s = xcalloc(1, sizeof(*s) + node.len + 3);
	s->nodelen = node.len;
	s->keylen = node.len + 3;
	memcpy(s->key, node.p, node.len);
	memcpy(s->key + node.len, "\0*", 3);
	s->interval_start = ts - ts % v->cfg.interval_s;
	s->armed = 1;
	s->is_node = 1;
	s->ewma = v->cfg.baseline_floor;
	s->born_in_warmup = ts < v->started + (time_t)v->cfg.warmup * v->cfg.interval_s;
	v->nodes[v->nnodes++] = s;
	v->bytes += sizeof(*s) + s->keylen;
	return s;
}

/* Closes the intervals that ended before ts. */
static void
volume_roll(struct volume *v, struct volume_sender *s, time_t ts)
{
	time_t iv = v->cfg.interval_s;

	if (ts < s->interval_start + iv)
		return;
	long k = (long)((ts - s->interval_start) / iv);
	if (s->count <= volume_threshold(v, s, s->interval_start))
		s->armed = 1;
	if (s->intervals == 0 && s->born_in_warmup)
		s->ewma = s->count;      /* learn its level at once */
	else
		s->ewma = v->cfg.alpha * s->count + (1 - v->cfg.alpha) * s->ewma;
	if (k > 1)
		s->ewma *= pow(1 - v->cfg.alpha, (double)(k - 1));
	s->intervals += (int)k;
	s->interval_start += k * iv;
	s->count = 0;
	s->explained = 0;
	s->deferred = s->bounced = 0;
	s->nqids = 0;
}

static void
volume_emit(struct volume *v, struct volume_sender *s, enum volume_kind kind, time_t ts)
{
	struct volume_event ev = { .kind = kind, .node = s->key, .sender = s->key + s->nodelen + 1,
		.sasl = s->sasl,
		.rate = s->count, .baseline = s->ewma, .client_ips = s->nips,
		.deferred = s->deferred, .bounced = s->bounced, .interval_s = v->cfg.interval_s,
		.nqueue_ids = s->nqids, .at = ts };

	for (int i = 0; i < s->nqids; i++)
		ev.queue_ids[i] = s->qids[i];
	v->fn(&ev, v->arg);
}

static struct volume_qid *
qid_slot(struct volume *v, struct maillog_str node, struct maillog_str qid, uint64_t *h)
{
	*h = hash_bytes(hash_bytes(14695981039346656037ULL, node.p, node.len), qid.p, qid.len) | 1;
	return &v->qids[*h % VOLUME_QIDS];
}

static void
volume_client(struct volume *v, const struct maillog_rec *rec)
{
	uint64_t h;
	struct volume_qid *q;

	if (rec->sasl_username.len == 0 || rec->sasl_username.len >= KEY_MAX || rec->queue_id.len == 0)
		return;
	q = qid_slot(v, rec->host, rec->queue_id, &h);
	q->hash = h;
	q->sender = 0;
	memcpy(q->user, rec->sasl_username.p, rec->sasl_username.len);
	q->user[rec->sasl_username.len] = '\0';

	struct volume_sender *s = volume_get(v, rec->host, 1, q->user, rec->sasl_username.len,
	    rec->ts);
	uint32_t ip = (uint32_t)hash_bytes(14695981039346656037ULL, rec->client_ip.p, rec->client_ip.len);
	if (rec->ts - s->ip_window_start >= 3600)
		s->ip_window_start = rec->ts, s->nips = 0;
	for (int i = 0; i < s->nips; i++)
		if (s->ips[i] == ip)
			return;
	if (s->nips < VOLUME_IPS)
		s->ips[s->nips++] = ip;
	if (s->nips > v->cfg.max_client_ips && s->ip_reported < s->ip_window_start) {
		s->ip_reported = rec->ts;
		volume_emit(v, s, VOLUME_CLIENT_IPS, rec->ts);
	}
}

/*
 * Adds a qmgr line's recipients to s; one event when s crosses its
 * threshold (a node's total stays silent when a sender's surge of the
 * same interval explains it). Returns 1 when it crossed.
 */
static int
volume_count_rcpts(struct volume *v, struct volume_sender *s, const struct maillog_rec *rec,
    enum volume_kind kind)
{
	s->count += (double)rec->nrcpt;
	if (s->nqids < VOLUME_SAMPLES && rec->queue_id.len < 16) {
		memcpy(s->qids[s->nqids], rec->queue_id.p, rec->queue_id.len);
		s->qids[s->nqids++][rec->queue_id.len] = '\0';
	}
	if (!s->armed || s->count <= volume_threshold(v, s, rec->ts))
		return 0;
	s->armed = 0;
	if (!s->explained)
		volume_emit(v, s, kind, rec->ts);
	return 1;
}

static void
volume_qmgr(struct volume *v, const struct maillog_rec *rec)
{
	uint64_t h;
	struct volume_qid *q = qid_slot(v, rec->host, rec->queue_id, &h);
	const char *sender = rec->sender.p;
	size_t slen = rec->sender.len;
	int sasl = 0;

	if (rec->nrcpt <= 0)
		return;
	/* qmgr logs from=/nrcpt= each time a message enters the active queue:
	 * a deferred message's retries (and the agent's own requeue after a
	 * flip) are not new mail from its sender */
	if (q->hash == h && q->sender != 0)
		return;
	if (q->hash == h && q->user[0] != '\0')
		sender = q->user, slen = strlen(q->user), sasl = 1;
	if (slen == 0 || slen >= KEY_MAX)
		return;
	struct volume_sender *s = volume_get(v, rec->host, sasl, sender, slen, rec->ts);
	volume_roll(v, s, rec->ts);
	if (q->hash != h) {
		q->hash = h;
		q->user[0] = '\0';
	}
	q->sender = s->hash;
	struct volume_sender *n = volume_node(v, rec->host, rec->ts);
	if (n != NULL)
		volume_roll(v, n, rec->ts);
	if (volume_count_rcpts(v, s, rec, VOLUME_RATE) && n != NULL)
		n->explained = 1;
	if (n != NULL)
		volume_count_rcpts(v, n, rec, VOLUME_NODE);
}

static void
volume_delivery(struct volume *v, const struct maillog_rec *rec)
{
	uint64_t h;
	struct volume_qid *q;
	struct volume_sender *s;

	if (rec->status != MAILLOG_STATUS_DEFERRED && rec->status != MAILLOG_STATUS_BOUNCED)
		return;
	q = qid_slot(v, rec->host, rec->queue_id, &h);
	if (q->hash != h || q->sender == 0 || (s = volume_find(v, q->sender)) == NULL)
		return;
	if (rec->status == MAILLOG_STATUS_DEFERRED)
		s->deferred++;
	else
		s->bounced++;
}

void
volume_feed(struct volume *v, const struct maillog_rec *rec)
{
	if (v->started == 0 && (rec->kind == MAILLOG_QMGR || rec->kind == MAILLOG_CLIENT))
		v->started = rec->ts;
	switch (rec->kind) {
	case MAILLOG_CLIENT:
		volume_client(v, rec);
		break;
	case MAILLOG_QMGR:
		volume_qmgr(v, rec);
		break;
	case MAILLOG_DELIVERY:
		volume_delivery(v, rec);
		break;
	default:
		break;
	}
}
