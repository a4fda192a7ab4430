/*
 * relit.c: required literals of a PCRE2 pattern (see relit.h).
 *
 * One pass over the pattern with a nesting depth: characters at depth 0
 * build the current run, anything that is not a plain character ends it,
 * a quantifier also takes back the character it applies to. The longest
 * run of each top-level alternative is kept.
 */
#include "relit.h"

#include <stdlib.h>
#include <string.h>

#include "strarr.h"
#include "xalloc.h"

struct relit_branch {
	char run[256];
	size_t runlen;
	char best[256];
	size_t bestlen;
};

void
relit_lower(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
}

static void
branch_end_run(struct relit_branch *b)
{
	if (b->runlen > b->bestlen) {
		memcpy(b->best, b->run, b->runlen);
		b->bestlen = b->runlen;
	}
	b->runlen = 0;
}

static void
branch_add(struct relit_branch *b, char c)
{
	if (b->runlen == sizeof(b->run)) {
		branch_end_run(b);
	}
	b->run[b->runlen++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* A quantifier takes back the character before it, then ends the run. */
static void
branch_quantifier(struct relit_branch *b)
{
	if (b->runlen > 0)
		b->runlen--;
	branch_end_run(b);
}

/* Skips a [...] class starting at p; returns the index after it, or 0. */
static size_t
skip_class(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	for (; p[i] != '\0'; i++) {
		if (p[i] == '\\' && p[i + 1] != '\0')
			i++;
		else if (p[i] == ']')
			return i + 1;
	}
	return 0;
}

/* Length of a {n,m} quantifier at p, or 0 when '{' starts none. */
static size_t
quantifier_len(const char *p)
{
	size_t i = 1;

	while (p[i] >= '0' && p[i] <= '9')
		i++;
	if (p[i] == ',')
		i++;
	while (p[i] >= '0' && p[i] <= '9')
		i++;
	return p[i] == '}' && i > 1 ? i + 1 : 0;
}

/* Handles the escape at p[i] ('\\'); returns -1 to give up, else chars consumed. */
static int
do_escape(const char *p, size_t i, int depth, struct relit_branch *b)
{
	char e = p[i + 1];

	if (e == '\0' || strchr("xocNQEpPgk0123456789", e) != NULL)
		return -1;
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
		if (depth == 0)
			branch_end_run(b);   /* \d \w \s \b \n ... */
		return 2;
	}
	if (depth == 0)
		branch_add(b, e);
	return 2;
}

/* How common a byte is in English SMTP replies: lower is rarer. */
static int
byte_commonness(unsigned char c)
{
	static const char order[] = " etaoinsrhldcumfpgwybvkxjqz";
	const char *p = c ? strchr(order, c) : NULL;

	return p ? (int)(sizeof(order) - (size_t)(p - order)) : 0;
}

static size_t
rarest_index(const char *s, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (byte_commonness((unsigned char)s[i]) < byte_commonness((unsigned char)s[best]))
			best = i;
	return best;
}

static int
relit_push(struct relit *out, const struct relit_branch *b, size_t minlen)
{
	if (b->bestlen < minlen)
		return -1;
	out->lits = xrealloc(out->lits, (out->n + 1) * sizeof(*out->lits));
	out->lens = xrealloc(out->lens, (out->n + 1) * sizeof(*out->lens));
	out->anchors = xrealloc(out->anchors, (out->n + 1) * sizeof(*out->anchors));
	out->lits[out->n] = xstrndup(b->best, b->bestlen);
	out->lens[out->n] = b->bestlen;
	out->anchors[out->n] = rarest_index(b->best, b->bestlen);
	out->n++;
	return 0;
}

/* Whether an inline option group turns on extended mode ("(?x)", "(?ix:"): blanks stop being literal. */
static int
sets_extended(const char *p)
{
	for (const char *g = strstr(p, "(?"); g != NULL; g = strstr(g + 1, "(?")) {
		size_t n = strspn(g + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-^");
		if ((g[2 + n] == ')' || g[2 + n] == ':') && memchr(g + 2, 'x', n) != NULL)
			return 1;
	}
	return 0;
}

int
relit_extract(const char *p, size_t minlen, struct relit *out)
{
	struct relit_branch b = { .runlen = 0, .bestlen = 0 };
	int depth = 0, k;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (sets_extended(p))
		return -1;
	while (p[i] != '\0') {
		char c = p[i];
		if (c == '\\') {
			if ((k = do_escape(p, i, depth, &b)) < 0)
				goto fail;
			i += (size_t)k;
		} else if (c == '[') {
			if ((i = skip_class(p, i)) == 0)
				goto fail;
			if (depth == 0)
				branch_end_run(&b);
		} else if (c == '(') {
			if (depth++ == 0)
				branch_end_run(&b);
			i++;
		} else if (c == ')') {
			if (--depth < 0)
				goto fail;
			i++;
		} else if (depth > 0) {
			i++;
		} else if (c == '|') {
			branch_end_run(&b);
			if (relit_push(out, &b, minlen) != 0)
				goto fail;
			b.bestlen = 0;
			i++;
		} else if (c == '{') {
			/* {n} {n,} {n,m} {,m}: a quantifier; any other '{' only ends the run */
			size_t q = quantifier_len(p + i);
			if (q > 0) {
				branch_quantifier(&b);
				i += q;
			} else {
				branch_end_run(&b);
				i++;
			}
		} else if (c == '?' || c == '*') {
			branch_quantifier(&b);
			i++;
		} else if (c == '+' || c == '.' || c == '^' || c == '$') {
			branch_end_run(&b);
			i++;
		} else {
			branch_add(&b, c);
			i++;
		}
	}
	if (depth != 0)
		goto fail;
	branch_end_run(&b);
	if (relit_push(out, &b, minlen) != 0)
		goto fail;
	return 0;
fail:
	relit_clear(out);
	return -1;
}

void
relit_clear(struct relit *r)
{
	strarr_free(r->lits, r->n);
	free(r->lens);
	free(r->anchors);
	memset(r, 0, sizeof(*r));
}

/* Whether text holds lit: memchr for its rarest byte, then compare. */
static int
relit_find(const char *text, size_t len, const char *lit, size_t n, size_t anchor)
{
	const char *p = text + anchor, *last = text + len - (n - anchor);

	if (n > len)
		return 0;
	while (p < last + 1 && (p = memchr(p, lit[anchor], (size_t)(last + 1 - p))) != NULL) {
		if (memcmp(p - anchor, lit, n) == 0)
			return 1;
		p++;
	}
	return 0;
}

int
relit_any(const struct relit *r, const char *text, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (relit_find(text, len, r->lits[i], r->lens[i], r->anchors[i]))
			return 1;
	return 0;
}
