/*
 * render.c: validate, sort and print transport entries (see render.h).
 *
 * One pass over the entries checks each one and writes its line into a
 * private buffer: validate_domain's lower-cased copy goes straight to
 * where the line starts, and is compared there with the previous line's
 * domain, so that each entry's strings are read once and nothing is
 * allocated per entry. A nexthop equal to one already found valid in
 * this call is not validated again (a feed has a few distinct nexthops,
 * one per relay). When the domains arrive in strictly increasing byte
 * order, as the controller sends them, those lines are the text; only
 * otherwise are the entries sorted (through an array of keys holding
 * each domain's first 8 octets, so that most comparisons stay in it) and
 * the lines written again in that order. The text reaches the caller's
 * strbuf only when every entry passed, and becomes it when it is empty.
 */
#include "render.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "xalloc.h"

#define RENDER_SEEN 16          /* distinct valid nexthops remembered */
#define RENDER_LINE_MAX (VALIDATE_DOMAIN_MAX + 1 + 1 + VALIDATE_NEXTHOP_MAX + 1 + 1)

/* Nexthops found valid earlier in this call (pointers into the entries). */
struct render_seen {
	const char *s[RENDER_SEEN];
	size_t len[RENDER_SEEN];
	size_t n, next;
};

/* The lines being written. */
struct render_buf {
	char *p;
	size_t len, cap;
	size_t prev, prevlen;     /* the last line's domain: offset, length */
};

static int
render_seen_has(const struct render_seen *seen, const char *s, size_t len)
{
	for (size_t k = 0; k < seen->n; k++) {
		if (seen->len[k] == len && (seen->s[k] == s || memcmp(seen->s[k], s, len) == 0))
			return 1;
	}
	return 0;
}

static void
render_seen_add(struct render_seen *seen, const char *s, size_t len)
{
	seen->s[seen->next] = s;
	seen->len[seen->next] = len;
	seen->next = (seen->next + 1) % RENDER_SEEN;
	if (seen->n < RENDER_SEEN)
		seen->n++;
}

/* Room for one more line at b->p + b->len. */
static char *
render_room(struct render_buf *b)
{
	if (b->cap - b->len < RENDER_LINE_MAX) {
		b->cap = b->cap * 2 + RENDER_LINE_MAX;
		b->p = xrealloc(b->p, b->cap);
	}
	return b->p + b->len;
}

/* Appends "domain<TAB>nexthop<LF>" whose domain is already at the end. */
static void
render_finish(struct render_buf *b, size_t dlen, const char *nexthop, size_t nlen)
{
	char *p = b->p + b->len;

	p[dlen] = '\t';
	memcpy(p + dlen + 1, nexthop, nlen);
	p[dlen + 1 + nlen] = '\n';
	b->prev = b->len, b->prevlen = dlen;
	b->len += dlen + nlen + 2;
}

/* strcmp order of the last line's domain against d[0..dlen). */
static int
render_order(const struct render_buf *b, const char *d, size_t dlen)
{
	size_t m = b->prevlen < dlen ? b->prevlen : dlen;
	int c = memcmp(b->p + b->prev, d, m);

	if (c != 0)
		return c;
	return b->prevlen < dlen ? -1 : b->prevlen > dlen;
}

/*
 * Checks entry i; its lower-cased domain is left in dom (room for a
 * line), its lengths in *dlen and *nlen.
 */
static int
render_check(const struct render_entry *e, size_t i, struct render_seen *seen, char *dom,
    size_t *dlen, size_t *nlen, struct strbuf *err)
{
	const char *why;

	if (e->domain == NULL || e->nexthop == NULL) {
		strbuf_appendf(err, "entry %zu: %s: is missing", i,
		    e->domain == NULL ? "domain" : "nexthop");
		return -1;
	}
	if ((why = validate_domain(e->domain, dom, VALIDATE_DOMAIN_MAX + 2)) != NULL) {
		strbuf_appendf(err, "entry %zu: domain: %s", i, why);
		return -1;
	}
	*dlen = strlen(dom);
	if (memcmp(dom, e->domain, *dlen + 1) != 0) {
		strbuf_appendf(err, "entry %zu (%s): domain: is not lower case", i, dom);
		return -1;
	}
	*nlen = strlen(e->nexthop);
	if (render_seen_has(seen, e->nexthop, *nlen))
		return 0;
	if ((why = validate_nexthop(e->nexthop)) != NULL) {
		strbuf_appendf(err, "entry %zu (%s): nexthop: %s", i, dom, why);
		return -1;
	}
	render_seen_add(seen, e->nexthop, *nlen);
	return 0;
}

/*
 * Checks every entry and writes the lines while the domains increase.
 * *sorted: they all do, or increase with *dup the first index equal to
 * the one before it (else *dup is 0); when *sorted is 0 they need sorting
 * and b holds only the lines before the first that decreased.
 */
static int
render_scan(const struct render_entry *entries, size_t n, struct render_buf *b, int *sorted,
    size_t *dup, struct strbuf *err)
{
	struct render_seen seen = { .n = 0 };
	size_t dlen, nlen;

	*sorted = 1, *dup = 0;
	for (size_t i = 0; i < n; i++) {
		char *dom = render_room(b);
		if (render_check(&entries[i], i, &seen, dom, &dlen, &nlen, err) != 0)
			return -1;
		if (!*sorted)
			continue;
		int c = i == 0 ? -1 : render_order(b, dom, dlen);
		if (c > 0) {
			*sorted = 0;
			continue;
		}
		if (c == 0 && *dup == 0)
			*dup = i;
		render_finish(b, dlen, entries[i].nexthop, nlen);
	}
	return 0;
}

/* A domain in the sort: its first 8 octets big-endian (zero-padded), so
 * that comparing pre compares those octets in strcmp order. */
struct render_key {
	uint64_t pre;
	const char *s;
	size_t i;
};

static uint64_t
render_prefix(const char *s)
{
	uint64_t v = 0;
	int k;

	for (k = 0; k < 8 && s[k] != '\0'; k++)
		v = v << 8 | (unsigned char)s[k];
	return k == 0 ? 0 : v << (8 * (8 - k));
}

/* strcmp order of the domains; equal ones by entry index. */
static int
render_key_cmp(const void *a, const void *b)
{
	const struct render_key *x = a, *y = b;
	int c;

	if (x->pre != y->pre)
		return x->pre < y->pre ? -1 : 1;
	/* equal prefixes ending in NUL are equal strings */
	if ((x->pre & 0xff) != 0 && (c = strcmp(x->s + 8, y->s + 8)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The entries' indexes in domain order; NULL and err set on a duplicate. */
static struct render_key *
render_sort(const struct render_entry *entries, size_t n, struct strbuf *err)
{
	struct render_key *k = xmalloc((n ? n : 1) * sizeof(*k));

	for (size_t i = 0; i < n; i++) {
		k[i].pre = render_prefix(entries[i].domain);
		k[i].s = entries[i].domain;
		k[i].i = i;
	}
	qsort(k, n, sizeof(*k), render_key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (k[i].pre == k[i - 1].pre &&
		    ((k[i].pre & 0xff) == 0 || strcmp(k[i].s + 8, k[i - 1].s + 8) == 0)) {
			/* equal domains are in index order: k[i] is the later entry */
			strbuf_appendf(err, "entry %zu (%s): domain: is listed twice", k[i].i, k[i].s);
			free(k);
			return NULL;
		}
	}
	return k;
}

/* Writes the lines again in domain order, after the header (hlen octets);
 * -1 on a duplicate. */
static int
render_sorted(const struct render_entry *entries, size_t n, size_t hlen, struct render_buf *b,
    struct strbuf *err)
{
	struct render_key *k = render_sort(entries, n, err);

	if (k == NULL)
		return -1;
	b->len = hlen;
	for (size_t i = 0; i < n; i++) {
		const struct render_entry *e = &entries[k[i].i];
		size_t dlen = strlen(e->domain);
		memcpy(render_room(b), e->domain, dlen);
		render_finish(b, dlen, e->nexthop, strlen(e->nexthop));
	}
	free(k);
	return 0;
}

/*
 * Appends the text to out. An empty out (the agent's case) takes the
 * buffer itself rather than a copy of megabytes: it holds what strbuf.h
 * says a strbuf holds, len octets in a malloc'd block of cap, NUL after
 * them.
 */
static void
render_give(struct render_buf *b, struct strbuf *out)
{
	b->p[b->len] = '\0';      /* render_room left room for it */
	if (out->len != 0) {
		strbuf_appendn(out, b->p, b->len);
		return;
	}
	strbuf_attach(out, b->p, b->len, b->cap);
	b->p = NULL;
}

int
render_transport(const char *node, long long version,
    const struct render_entry *entries, size_t n, struct strbuf *out,
    struct strbuf *err)
{
	struct strbuf head = STRBUF_INIT;
	struct render_buf b = { NULL, 0, 0, 0, 0 };
	const char *why;
	size_t dup;
	int sorted, rc = -1;

	if ((why = validate_name(node)) != NULL) {
		strbuf_appendf(err, "node: %s", why);
		return -1;
	}
	strbuf_appendf(&head, "# postroute transport map for node %s, version %lld\n"
	    "# generated by postroute-agent, do not edit\n", node, version);
	b.cap = head.len + n * 48 + RENDER_LINE_MAX;   /* typical lines; grows if longer */
	b.p = xmalloc(b.cap);
	memcpy(b.p, head.buf, head.len);
	b.len = head.len;
	if (render_scan(entries, n, &b, &sorted, &dup, err) != 0)
		goto done;
	if (sorted && dup != 0) {
		strbuf_appendf(err, "entry %zu (%s): domain: is listed twice", dup, entries[dup].domain);
		goto done;
	}
	if (!sorted && render_sorted(entries, n, head.len, &b, err) != 0)
		goto done;
	render_give(&b, out);
	rc = 0;
done:
	free(b.p);
	strbuf_clear(&head);
	return rc;
}

const char *
render_body(const char *text)
{
	while (*text == '#') {
		const char *nl = strchr(text, '\n');
		if (nl == NULL)
			return text + strlen(text);
		text = nl + 1;
	}
	return text;
}

size_t
render_parse(const char *text, struct render_entry **out)
{
	size_t n = 0, cap = 16;
	struct render_entry *v = xmalloc(cap * sizeof(*v));

	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		size_t k = strcspn(p, " \t\n");
		if (*p != '#' && k > 0 && k < len) {
			size_t vs = k + strspn(p + k, " \t");
			if (n == cap)
				v = xrealloc(v, (cap *= 2) * sizeof(*v));
			v[n].domain = xstrndup(p, k);
			v[n].nexthop = xstrndup(p + vs, len - vs);
			v[n].provider = NULL;
			n++;
		}
		p += len + (p[len] == '\n');
	}
	*out = v;
	return n;
}

void
render_entries_free(struct render_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].domain);
		free(e[i].nexthop);
		free(e[i].provider);
	}
	free(e);
}
