/*
 * rulespec.h: one classifier rule as the controller stores it, checked
 * the same way by the controller, the agent and the CLI.
 *
 * NAME
 *	rulespec - class names and the checks of a stored rule
 *
 * DESCRIPTION
 *	rulespec_classes is THE list of classifier class names, indexed by
 *	agent/classify.h's enum classify_class ("none" at 0, then block ...
 *	unknown); classify.c asserts at compile time that the two agree.
 *
 *	rulespec_check checks a rule as a whole: NAME as a rules-file rule
 *	name ([a-z0-9][a-z0-9._-]{0,62}), CLASS one of rulespec_classes but
 *	"none", REROUTABLE yes, no or ambiguous, PROVIDER (NULL: every
 *	provider) a provider name or "other", NOTE printable text of at most
 *	RULESPEC_NOTE_MAX octets, PATTERN 1..RULESPEC_PATTERN_MAX octets
 *	without control characters that compiles with PCRE2 under
 *	RULESPEC_PCRE2_OPTIONS (the classifier's own flags). It answers
 *	"FIELD: why", for a pattern PCRE2's own message and offset:
 *	"pattern: bad pattern at offset 3: missing closing parenthesis".
 *
 *	rulespec_compile is the one PCRE2 compile of a rule pattern, used
 *	by the classifier too.
 *
 * OWNERSHIP
 *	struct rulespec borrows its strings. rulespec_compile's code is the
 *	caller's (pcre2_code_free).
 *
 * DIAGNOSTICS
 *	Never fatal: bad input is a message.
 */
#ifndef POSTROUTE_RULESPEC_H
#define POSTROUTE_RULESPEC_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "strbuf.h"

#define RULESPEC_NCLASSES 19          /* with "none" */
#define RULESPEC_PATTERN_MAX 4096
#define RULESPEC_NOTE_MAX 1000
#define RULESPEC_PCRE2_OPTIONS PCRE2_CASELESS

extern const char *const rulespec_classes[RULESPEC_NCLASSES];

struct rulespec {
	const char *name;
	const char *pattern;
	const char *cls;
	const char *reroutable;
	const char *provider;      /* NULL: every provider */
	const char *note;          /* may be NULL */
};

/* The index of a class name (not "none"), or -1. */
int rulespec_class_index(const char *name);
/* "block dnsbl ... unknown": every class a rule may give, for messages. */
const char *rulespec_class_list(void);

/* NULL, or why the field is bad. */
const char *rulespec_check_name(const char *name);
const char *rulespec_check_class(const char *cls);
const char *rulespec_check_reroutable(const char *reroutable);
const char *rulespec_check_provider(const char *provider);
const char *rulespec_check_note(const char *note);

/* The compiled pattern, or NULL with "bad pattern at offset N: message"
 * (or why the text itself is refused) appended to msg. */
pcre2_code *rulespec_compile(const char *pattern, struct strbuf *msg);

/* 0, or -1 with "FIELD: why" appended to msg. */
int rulespec_check(const struct rulespec *r, struct strbuf *msg);

#endif
