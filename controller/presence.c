/*
 * presence.c: the set of node names noted since the last take, under a
 * mutex.
 *
 * Owns an open-addressing hash table (linear probing, at most half full)
 * and the array literal itself: each new name is appended to the text as
 * it is noted, and a slot holds the name's hash, offset and length in that
 * text. A take hands the text over and clears the slots; the table keeps
 * its size, bounded by PRESENCE_MAX names. Names were validated (object
 * names: no quote, comma or brace), so the literal needs no escaping.
 */
#include "presence.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PRESENCE_MIN_CAP 64

struct presence_slot {
	uint32_t hash;
	uint32_t off;          /* of the name in text; 0: empty ('{' is there) */
	uint32_t len;
};

struct presence {
	pthread_mutex_t lock;
	struct presence_slot *slots;
	size_t cap;            /* a power of two, or 0 before the first name */
	size_t n;
	struct strbuf text;    /* "{a,b": the literal without its closing brace */
};

struct presence *
presence_new(void)
{
	struct presence *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void
presence_free(struct presence *p)
{
	if (p == NULL)
		return;
	free(p->slots);
	strbuf_clear(&p->text);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* FNV-1a, then a finaliser so that the low bits (the index) depend on
 * every byte. */
static uint32_t
presence_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The slot holding name, or the empty slot where it belongs. */
static struct presence_slot *
presence_find(const struct presence *p, const char *name, uint32_t len, uint32_t h)
{
	size_t mask = p->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct presence_slot *s = &p->slots[i];
		if (s->off == 0 || (s->hash == h && s->len == len &&
		    memcmp(p->text.buf + s->off, name, len) == 0))
			return s;
	}
}

/* Doubles the table (or makes the first one), rehashing every name. */
static void
presence_grow(struct presence *p)
{
	struct presence_slot *old = p->slots;
	size_t oldcap = p->cap;

	p->cap = oldcap ? oldcap * 2 : PRESENCE_MIN_CAP;
	p->slots = xcalloc(p->cap, sizeof(*p->slots));
	for (size_t i = 0; i < oldcap; i++) {
		size_t j = old[i].hash & (p->cap - 1);
		while (p->slots[j].off != 0)
			j = (j + 1) & (p->cap - 1);
		p->slots[j] = old[i];
	}
	free(old);
}

/* Adds name at its empty slot s and to the literal. Lock held. */
static void
presence_add(struct presence *p, struct presence_slot *s, const char *name, uint32_t len,
    uint32_t h)
{
	strbuf_appendc(&p->text, p->n == 0 ? '{' : ',');
	s->hash = h;
	s->off = (uint32_t)p->text.len;
	s->len = len;
	strbuf_appendn(&p->text, name, len);
	p->n++;
}

void
presence_note(struct presence *p, const char *node)
{
	size_t len = strlen(node);
	uint32_t h;
	struct presence_slot *s;

	if (len == 0 || len > PRESENCE_NAME_MAX)
		return;
	h = presence_hash(node, len);
	pthread_mutex_lock(&p->lock);
	if (p->n < PRESENCE_MAX) {
		if ((p->n + 1) * 2 > p->cap)
			presence_grow(p);
		s = presence_find(p, node, (uint32_t)len, h);
		if (s->off == 0)
			presence_add(p, s, node, (uint32_t)len, h);
	}
	pthread_mutex_unlock(&p->lock);
}

int
presence_take(struct presence *p, struct strbuf *out)
{
	struct strbuf text = STRBUF_INIT;
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	if (n > 0) {
		text = p->text;
		p->text = (struct strbuf)STRBUF_INIT;
		memset(p->slots, 0, p->cap * sizeof(*p->slots));
		p->n = 0;
	}
	pthread_mutex_unlock(&p->lock);
	if (n == 0)
		return 0;
	strbuf_appendc(&text, '}');
	if (out->len == 0) {
		strbuf_clear(out);
		*out = text;
	} else {
		strbuf_appendn(out, text.buf, text.len);
		strbuf_clear(&text);
	}
	return (int)n;
}
