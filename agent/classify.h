/*
 * classify.h: what a delivery result means, from data-driven rules.
 *
 * NAME
 *	classify - PCRE2 rules giving a class and "would another relay help"
 *
 * DESCRIPTION
 *	A rules file holds one rule per line:
 *
 *	    NAME  CLASS  REROUTABLE  [SCOPE...]  /PATTERN/
 *
 *	NAME is [a-z0-9][a-z0-9._-]*; CLASS one of the classes below;
 *	REROUTABLE yes, no or ambiguous (would sending through another IP
 *	help?). SCOPE narrows where the rule applies, each a comma list:
 *	provider=google,yahoo (a catalogue name, or "other"), dsn=5.7.
 *	(a prefix of the enhanced status code), stage=greeting,rcpt
 *	(connect greeting helo mail rcpt data eod other none: eod is the
 *	reply to the end of DATA), status=deferred,bounced, and on=conn
 *	(the rule sees Postfix's connection-failure texts instead of remote
 *	replies; without it, rules never see connection failures). PATTERN is a
 *	PCRE2 pattern, always caseless, running from the first field that
 *	starts with '/' to the last '/' of the line. "NAME off" removes a
 *	rule of that name loaded before. '#' at the start of a line is a
 *	comment.
 *
 *	Patterns see the remote reply as Postfix logged it with multi-line
 *	replies unwrapped: Postfix joins "550-5.7.1 a" / "550 5.7.1 b" into
 *	"550-5.7.1 a 550 5.7.1 b"; the classifier drops the repeated
 *	"550-5.7.1 " / "550 5.7.1 " prefixes after the first and folds runs
 *	of blanks, so "550 5.7.1 a b" is matched and a pattern may span
 *	the original line breaks. For connection failures the pattern sees
 *	Postfix's text ("connect to host[ip]:25: Connection refused").
 *
 * PRECEDENCE
 *	Files are loaded in order, usually deploy/rules.conf then the local
 *	file ([logwatch] rules, or scan --rules). A rule in a later file
 *	replaces one of the same name in an earlier file; otherwise rules
 *	of later files are tried first. Within a file, rules are tried from
 *	the top; the first match decides.
 *
 *	Rules from the controller (classify_add_specs) are added last, so
 *	they are tried before any file's and replace a file rule of the
 *	same name.
 *
 *	Before any rule: status=sent is class sent (no regular expression
 *	runs); "delivery temporarily suspended" is class suspended. When no
 *	rule matches: a connection failure is class connection, ambiguous;
 *	otherwise a specific enhanced status code decides (classify_fallback)
 *	and any other reply is class unknown, the class `scan --unknown`
 *	lists so that someone writes a rule for it.
 *
 * OWNERSHIP
 *	A struct classify owns its compiled patterns (JIT-compiled once, each
 *	with the literals every match must contain, checked first) and two
 *	reply buffers: use one per thread. Results point to static class
 *	names and to rule names owned by the classifier.
 *
 * LIMITS
 *	A remote reply is chosen by whoever runs the remote server, so a
 *	rule with nested quantifiers could backtrack for minutes on a
 *	hostile reply. Every match runs with a PCRE2 match limit
 *	(CLASSIFY_MATCH_LIMIT, also enforced by the JIT) and depth limit
 *	(CLASSIFY_DEPTH_LIMIT, for the interpreter); a match that hits one
 *	is "no match" for that rule, the next rules are tried, and it is
 *	counted (classify_match_errors) and logged.
 *
 * DIAGNOSTICS
 *	classify_load collects every bad line ("FILE:LINE: message", with
 *	PCRE2's own message and offset for a bad pattern) and returns -1;
 *	the rules of a file with errors are not added. Never fatal.
 */
#ifndef POSTROUTE_CLASSIFY_H
#define POSTROUTE_CLASSIFY_H

#include "maillog.h"
#include "rulespec.h"
#include "strbuf.h"

enum classify_class {
	CLASS_NONE,
	CLASS_BLOCK,
	CLASS_DNSBL,
	CLASS_RATE_LIMIT,
	CLASS_REPUTATION,
	CLASS_AUTH,
	CLASS_CONTENT,
	CLASS_POLICY,
	CLASS_TRANSIENT,
	CLASS_USER_UNKNOWN,
	CLASS_MAILBOX_FULL,
	CLASS_MAILBOX_DISABLED,
	CLASS_RECIPIENT_FILTER,
	CLASS_RECIPIENT_RATE_LIMIT,
	CLASS_GREYLIST,
	CLASS_CONNECTION,
	CLASS_SUSPENDED,
	CLASS_SENT,
	CLASS_UNKNOWN,      /* no rule and no specific status code: write a rule */
	CLASS_COUNT
};

enum classify_reroute {
	REROUTE_NO,
	REROUTE_YES,
	REROUTE_AMBIGUOUS,
};

struct classify_result {
	enum classify_class cls;
	enum classify_reroute reroutable;
	const char *rule;   /* the matching rule's name, or "sent", "fallback", ... */
};

#define CLASSIFY_MATCH_LIMIT 1000000
#define CLASSIFY_DEPTH_LIMIT 10000

struct classify;

struct classify *classify_new(void);
struct classify *classify_free(struct classify *c);

/* Adds the rules of a file (see PRECEDENCE). */
int classify_load(struct classify *c, const char *path, struct strbuf *errors);

/*
 * Adds the controller's rules (feed "rules", docs/detector.md): each is
 * checked with rulespec_check and compiled; a bad one is skipped with
 * "rule NAME skipped: why\n" appended to errors, the others go in front
 * of every rule loaded so far (a rule of the same name is replaced).
 * Returns how many were skipped. Never fatal.
 */
size_t classify_add_specs(struct classify *c, const struct rulespec *v, size_t n,
    struct strbuf *errors);

/*
 * Literal prefilter (agent/relit.h): a rule whose pattern needs one of a
 * few literals is skipped when none is in the reply. On by default; tests
 * turn it off to check that it never changes a result.
 */
void classify_set_prefilter(struct classify *c, int on);

/* Number of active rules. */
size_t classify_count(const struct classify *c);

/* Matches stopped by a limit (or another PCRE2 error) so far. */
unsigned long classify_match_errors(const struct classify *c);

/* Classifies one MAILLOG_DELIVERY record; provider NULL means "other". */
void classify_delivery(struct classify *c, const struct maillog_rec *rec,
    const char *provider, struct classify_result *res);

/* What the enhanced status code alone says (used when no rule matches). */
void classify_fallback(const struct maillog_rec *rec, struct classify_result *res);

const char *classify_class_name(enum classify_class cls);
int classify_class_parse(const char *name, enum classify_class *out);
const char *classify_reroute_name(enum classify_reroute r);

#endif
