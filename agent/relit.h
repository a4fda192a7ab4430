/*
 * relit.h: literal text that every match of a regular expression contains.
 *
 * NAME
 *	relit - a cheap prefilter in front of PCRE2 rules
 *
 * DESCRIPTION
 *	relit_extract reads a PCRE2 pattern (caseless, not extended, 8-bit,
 *	not UTF) and, for each top-level alternative, picks the longest run
 *	of literal characters that the alternative cannot match without:
 *	outside any group or class, not followed by a quantifier that makes
 *	it optional. When every alternative has such a run of at least
 *	minlen bytes, a subject that contains none of them (caseless) cannot
 *	match, and the regular expression need not run.
 *
 *	Escapes: escaped punctuation is literal; \d \w \s \b and the other
 *	class and assertion escapes end a run; escapes that stand for a
 *	character by code (\x, \o, \c, \N, digits) or change the meaning of
 *	what follows (\Q, \E, \p, \P, \g, \k) give up: no prefilter. So does
 *	an inline option group that turns on extended mode ("(?x)").
 *
 * OWNERSHIP
 *	struct relit owns its lower-cased literals; relit_clear frees them.
 *
 * DIAGNOSTICS
 *	relit_extract returns -1 when it cannot promise anything; the caller
 *	then always runs the regular expression. Never fatal.
 */
#ifndef POSTROUTE_RELIT_H
#define POSTROUTE_RELIT_H

#include <stddef.h>

struct relit {
	char **lits;    /* lower-cased; a match contains at least one */
	size_t *lens;
	size_t *anchors; /* index of each literal's rarest byte: memchr looks for it */
	size_t n;
};

int relit_extract(const char *pattern, size_t minlen, struct relit *out);
void relit_clear(struct relit *r);

/* Whether lower-cased text contains one of the literals. */
int relit_any(const struct relit *r, const char *text, size_t len);

/* Lower-cases ASCII letters of s into out (n bytes). */
void relit_lower(const char *s, size_t n, char *out);

#endif
