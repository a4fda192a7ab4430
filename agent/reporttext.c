/*
 * reporttext.c: a report view as text (see reporttext.h).
 *
 * Each list is a struct tab: rows of cells (copies, owned by the tab)
 * printed with each column as wide as its widest cell.
 */
#include "reporttext.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define TAB_COLS 8

struct tab {
	const char *align;       /* 'l' or 'r' per column */
	size_t ncols, nrows;
	char **cell;             /* nrows * ncols */
};

static void
tab_init(struct tab *t, const char *align)
{
	t->align = align;
	t->ncols = strlen(align);
	t->nrows = 0;
	t->cell = NULL;
}

/* Adds a row of t->ncols cells; control bytes become '?'. */
static void
tab_row(struct tab *t, ...)
{
	va_list ap;

	t->cell = xrealloc(t->cell, (t->nrows + 1) * t->ncols * sizeof(*t->cell));
	va_start(ap, t);
	for (size_t c = 0; c < t->ncols; c++) {
		char *s = xstrdup(va_arg(ap, const char *));
		for (char *p = s; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
		t->cell[t->nrows * t->ncols + c] = s;
	}
	va_end(ap);
	t->nrows++;
}

/* Characters, not bytes, so that UTF-8 names line up. */
static size_t
tab_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void
tab_pad(struct strbuf *out, size_t n)
{
	while (n-- > 0)
		strbuf_appendc(out, ' ');
}

static void
tab_render(struct tab *t, struct strbuf *out)
{
	size_t w[TAB_COLS] = { 0 };

	for (size_t i = 0; i < t->nrows * t->ncols; i++) {
		size_t n = tab_width(t->cell[i]);
		if (n > w[i % t->ncols])
			w[i % t->ncols] = n;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		strbuf_append(out, " ");
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cell[r * t->ncols + c];
			size_t pad = w[c] - tab_width(s);
			strbuf_append(out, " ");
			if (t->align[c] == 'r')
				tab_pad(out, pad);
			strbuf_append(out, s);
			if (t->align[c] == 'l' && c + 1 < t->ncols)
				tab_pad(out, pad + 1);
			else if (c + 1 < t->ncols)
				strbuf_append(out, " ");
		}
		while (out->len > 0 && out->buf[out->len - 1] == ' ')
			out->buf[--out->len] = '\0';
		strbuf_append(out, "\n");
	}
}

static void
tab_free(struct tab *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->nrows = 0;
}

/* ---- pieces ---- */

static const char *
num(long long v, char *buf)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

static const char *
share(long long part, long long whole, char *buf)
{
	if (whole <= 0)
		return "-";
	snprintf(buf, 24, "%.1f%%", 100.0 * (double)part / (double)whole);
	return buf;
}

static void
duration(struct strbuf *out, long long s)
{
	if (s >= 86400)
		strbuf_appendf(out, "%lldd", s / 86400);
	if (s >= 3600)
		strbuf_appendf(out, "%lldh", s / 3600 % 24);
	if (s >= 60)
		strbuf_appendf(out, "%lldm", s / 60 % 60);
	strbuf_appendf(out, "%llds", s % 60);
}

static void
more(struct strbuf *out, size_t n, size_t top)
{
	if (n > top)
		strbuf_appendf(out, "  ... and %zu more (raise --top to list them)\n", n - top);
}

static void
summary(const struct report_view *v, struct strbuf *out)
{
	char a[REPORT_TIME_MAX], b[REPORT_TIME_MAX], pct[24];

	strbuf_append(out, "Summary\n");
	if (v->first == 0) {
		strbuf_append(out, "  span        no timestamped line\n");
	} else {
		strbuf_appendf(out, "  span        %s .. %s (", report_time(v->first, a),
		    report_time(v->last, b));
		duration(out, (long long)(v->last - v->first));
		strbuf_append(out, ")\n");
	}
	strbuf_appendf(out, "  lines       %lld read, %lld malformed skipped\n", v->lines,
	    v->malformed);
	strbuf_appendf(out, "  deliveries  %lld: %lld sent, %lld deferred, %lld bounced (%s failing)\n",
	    v->deliveries, v->sent, v->deferred, v->bounced,
	    share(v->deferred + v->bounced, v->sent + v->deferred + v->bounced, pct));
}

static void
providers(const struct report_view *v, size_t top, struct strbuf *out)
{
	struct tab t;
	char s[24], d[24], b[24], f[24];
	size_t n = v->nproviders < top ? v->nproviders : top;

	strbuf_append(out, "\nProviders\n");
	if (n == 0) {
		strbuf_append(out, "  none\n");
		return;
	}
	tab_init(&t, "lrrrr");
	tab_row(&t, "PROVIDER", "SENT", "DEFERRED", "BOUNCED", "FAILING");
	for (size_t i = 0; i < n; i++) {
		const struct report_provider *p = v->providers[i];
		tab_row(&t, p->name, num(p->sent, s), num(p->deferred, d), num(p->bounced, b),
		    share(p->deferred + p->bounced, p->sent + p->deferred + p->bounced, f));
	}
	tab_render(&t, out);
	tab_free(&t);
	more(out, v->nproviders, top);

	strbuf_append(out, "\nFailures by provider and class\n");
	tab_init(&t, "llrr");
	tab_row(&t, "PROVIDER", "CLASS", "DEFERRED", "BOUNCED");
	for (size_t i = 0; i < n; i++) {
		const struct report_provider *p = v->providers[i];
		for (int c = 0; c < CLASS_COUNT; c++)
			if (p->deferred_by[c] + p->bounced_by[c] > 0)
				tab_row(&t, p->name, classify_class_name((enum classify_class)c),
				    num(p->deferred_by[c], d), num(p->bounced_by[c], b));
	}
	if (t.nrows == 1)
		strbuf_append(out, "  none\n");
	else
		tab_render(&t, out);
	tab_free(&t);
}

static void
blocks(const struct report_view *v, size_t top, struct strbuf *out)
{
	struct tab t;
	char s[REPORT_TIME_MAX], e[REPORT_TIME_MAX], c[24];
	size_t n = v->nblocks < top ? v->nblocks : top;

	strbuf_append(out, "\nBlocks\n");
	if (n == 0)
		strbuf_append(out, "  none\n");
	tab_init(&t, "lllllr");
	if (n > 0)
		tab_row(&t, "NODE", "PROVIDER", "CLASS", "START", "END", "COUNT");
	for (size_t i = 0; i < n; i++) {
		const struct report_block *b = v->blocks[i];
		tab_row(&t, b->node, b->provider, classify_class_name(b->cls), report_time(b->start, s),
		    b->end == 0 ? "still open" : report_time(b->end, e), num(b->count, c));
	}
	tab_render(&t, out);
	tab_free(&t);
	more(out, v->nblocks, top);
	if (v->blocks_dropped > 0)
		strbuf_appendf(out, "  (%lld more episodes not kept: at most %d are)\n",
		    v->blocks_dropped, REPORT_BLOCKS);
}

static void
reasons(unsigned bits, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int k = VOLUME_RATE; k <= VOLUME_NODE; k++)
		if (bits & (1u << k))
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? "," : "",
			    report_reason_name((enum volume_kind)k));
}

static const char *
sender_kind(const struct report_surge *s)
{
	return strcmp(s->sender, "*") == 0 && (s->reasons & (1u << VOLUME_NODE)) ? "node" :
	    s->sasl ? "sasl" : "envelope";
}

static void
surges(const struct report_view *v, size_t top, struct strbuf *out)
{
	struct tab t;
	char f[REPORT_TIME_MAX], l[REPORT_TIME_MAX], ev[24], rate[24], why[64];
	size_t n = v->nsurges < top ? v->nsurges : top;

	strbuf_append(out, "\nSurges\n");
	if (n == 0)
		strbuf_append(out, "  none\n");
	tab_init(&t, "llllllrr");
	if (n > 0)
		tab_row(&t, "NODE", "SENDER", "KIND", "REASON", "FIRST", "LAST", "EVENTS", "RATE");
	for (size_t i = 0; i < n; i++) {
		const struct report_surge *s = v->surges[i];
		reasons(s->reasons, why, sizeof(why));
		tab_row(&t, s->node, s->sender, sender_kind(s), why, report_time(s->start, f),
		    report_time(s->last, l), num(s->events, ev), num((long long)s->rate, rate));
	}
	tab_render(&t, out);
	tab_free(&t);
	more(out, v->nsurges, top);
	if (v->surges_dropped > 0)
		strbuf_appendf(out, "  (%lld more surge events not kept: at most %d senders are)\n",
		    v->surges_dropped, REPORT_SURGES);
}

static void
unknown_list(const struct report_view *v, size_t top, struct strbuf *out)
{
	struct tab t;
	char c[32], prov[256];
	size_t n = v->nunknown < top ? v->nunknown : top;

	if (n == 0) {
		strbuf_append(out, "  none\n");
		return;
	}
	tab_init(&t, "rll");
	tab_row(&t, "COUNT", "PROVIDERS", "REPLY");
	for (size_t i = 0; i < n; i++) {
		const struct report_unknown *u = v->unknown[i];
		snprintf(c, sizeof(c), "%s%lld", u->error > 0 ? "~" : "", u->count);
		prov[0] = '\0';
		for (int k = 0; k < u->nproviders; k++)
			snprintf(prov + strlen(prov), sizeof(prov) - strlen(prov), "%s%s",
			    k ? "," : "", u->providers[k]);
		if (u->more_providers)
			snprintf(prov + strlen(prov), sizeof(prov) - strlen(prov), ",...");
		tab_row(&t, c, prov, u->reply);
		if (strcmp(u->example, u->reply) != 0) {   /* nothing was masked: no example */
			struct strbuf eg = STRBUF_INIT;
			strbuf_appendf(&eg, "e.g. %s", u->example);
			tab_row(&t, "", "", strbuf_str(&eg));
			strbuf_clear(&eg);
		}
	}
	tab_render(&t, out);
	tab_free(&t);
	more(out, v->nunknown, top);
	if (v->unknown_evicted > 0)
		strbuf_appendf(out, "  (over %d distinct replies: the rarest gave way %lld times; "
		    "a count with ~ may be too high)\n", REPORT_UNKNOWN, v->unknown_evicted);
}

static void
unknown_head(const struct report_view *v, struct strbuf *out)
{
	strbuf_appendf(out, "%lld of %lld deliveries, %s%zu distinct", v->unknown_deliveries,
	    v->deliveries, v->unknown_evicted > 0 ? "over " : "", v->nunknown);
}

void
reporttext_full(const struct report_view *v, size_t top, struct strbuf *out)
{
	summary(v, out);
	providers(v, top, out);
	blocks(v, top, out);
	surges(v, top, out);
	strbuf_append(out, "\nUnknown replies (");
	unknown_head(v, out);
	strbuf_append(out, ")\n");
	unknown_list(v, top, out);
}

void
reporttext_unknown(const struct report_view *v, size_t top, struct strbuf *out)
{
	strbuf_append(out, "Unknown replies: ");
	unknown_head(v, out);
	strbuf_append(out, "\n");
	unknown_list(v, top, out);
}
