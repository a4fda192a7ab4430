/*
 * catalogue.h: which mailbox provider a delivery went to.
 *
 * Shared: the agent attributes deliveries with it, the controller parses
 * its compiled-in default catalogue with it (postrouted migrate).
 *
 * NAME
 *	catalogue - provider names, recipient domains and MX host patterns
 *
 * DESCRIPTION
 *	A provider is a name ("google"), recipient domains ("gmail.com")
 *	and MX host patterns ("*.google.com"). catalogue_attribute names the
 *	provider of one delivery: first by the MX host it talked to (so a
 *	company domain on Google Workspace or Microsoft 365, or AT&T mail on
 *	Yahoo's servers, is attributed right), then by the recipient domain,
 *	trying parent domains ("mail.yahoo.co.jp" -> "yahoo.co.jp").
 *
 *	MX patterns: "host.example" matches that host; "*.example" matches
 *	every host below example (not example itself); any other pattern
 *	with '*', '?' or '[' is an fnmatch(3) glob. Exact hosts win over
 *	suffixes, longer suffixes over shorter, suffixes over other globs.
 *	Names and hosts are compared without regard to case.
 *
 * FILE FORMAT (deploy/providers.conf)
 *	One fact per line, whitespace-separated, '#' starts a comment:
 *
 *	    google  domains  gmail.com googlemail.com
 *	    google  mx       *.google.com *.googlemail.com
 *
 *	A provider may have any number of lines. A line-oriented format
 *	rather than INI: one fact per line diffs and greps well, a list of
 *	a hundred domains needs no continuation syntax, errors carry exact
 *	line numbers, and it reads like the rules file next to it.
 *
 * PRECEDENCE
 *	catalogue_merge (the controller's providers table, reaching the
 *	agent with its feed) replaces every domain and pattern of a file
 *	provider of the same name, and adds the others. When two providers
 *	claim the same domain or pattern, the merged one wins, then the
 *	later one in the file.
 *
 * OWNERSHIP
 *	The catalogue copies everything it is given. Names returned by
 *	catalogue_attribute stay valid until the next load/merge or free.
 *	catalogue_attribute remembers recent MX hosts (256 slots, cleared by
 *	every load and merge): one catalogue per thread.
 *
 * DIAGNOSTICS
 *	catalogue_load collects every bad line as "FILE:LINE: message" and
 *	returns -1; a file with errors adds nothing. catalogue_merge returns
 *	-1 with a message naming the bad value and changes nothing.
 */
#ifndef POSTROUTE_CATALOGUE_H
#define POSTROUTE_CATALOGUE_H

#include <stddef.h>

#include "strbuf.h"

struct catalogue;

struct catalogue *catalogue_new(void);
struct catalogue *catalogue_free(struct catalogue *cat);

/* Adds the providers of a file. */
int catalogue_load(struct catalogue *cat, const char *path, struct strbuf *errors);
/* The same from text in memory (the controller's compiled-in copy of
 * deploy/providers.conf); name stands for the file in messages. */
int catalogue_load_text(struct catalogue *cat, const char *name, const char *text,
    struct strbuf *errors);

/* Adds or replaces one provider (the controller's entry). */
int catalogue_merge(struct catalogue *cat, const char *name,
    const char *const *domains, size_t ndomains,
    const char *const *mx_patterns, size_t nmx, struct strbuf *errors);

/*
 * The provider of a delivery to domain through MX host mx (either may
 * be empty), or NULL when none matches. Lengths given; no NUL needed.
 */
const char *catalogue_attribute(struct catalogue *cat, const char *mx, size_t mxlen,
    const char *domain, size_t domlen);

enum catalogue_how {
	CATALOGUE_NONE,        /* no provider */
	CATALOGUE_BY_MX,       /* the host is one of the provider's MX hosts */
	CATALOGUE_BY_DOMAIN,   /* by domain; no host, or the provider has no MX patterns */
	CATALOGUE_ELSEWHERE,   /* by domain, but the host is none of the provider's MX
				  hosts: delivered through something else (a relay) */
};

/* catalogue_attribute, also saying how the provider was found. */
const char *catalogue_match(struct catalogue *cat, const char *mx, size_t mxlen,
    const char *domain, size_t domlen, enum catalogue_how *how);

/* Number of providers. */
size_t catalogue_count(const struct catalogue *cat);

/* Provider i (0 .. count-1) in the order first seen, domains and patterns
 * normalised (lower case); borrowed until the next load/merge or free. */
struct catalogue_entry {
	const char *name;
	const char *const *domains;
	size_t ndomains;
	const char *const *mx_patterns;
	size_t nmx;
};
int catalogue_provider(const struct catalogue *cat, size_t i, struct catalogue_entry *out);

#endif
