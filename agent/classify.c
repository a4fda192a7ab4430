/*
 * classify.c: PCRE2 rules over delivery replies (see classify.h).
 *
 * Owns the rules (name, scope, compiled pattern) in trial order and one
 * buffer for the unwrapped reply, so classifying a line allocates nothing.
 */
#include "classify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relit.h"
#include "rulespec.h"
#include "validate.h"
#include "xalloc.h"

#define CLASSIFY_MAX_PROVIDERS 16

struct classify_rule {
	char *name;
	enum classify_class cls;
	enum classify_reroute reroutable;
	char *providers[CLASSIFY_MAX_PROVIDERS];
	size_t nproviders;
	char *dsn[CLASSIFY_MAX_PROVIDERS];
	size_t ndsn;
	unsigned stages;     /* bit per enum maillog_stage; 0 = any */
	unsigned statuses;   /* bit per enum maillog_status; 0 = any */
	int on_conn;         /* on=conn: sees connection failures, not replies */
	pcre2_code *re;
	struct relit lit;    /* one of these is in every match */
	int has_lit;
	int off;             /* "NAME off": removes, then is dropped */
};

struct classify {
	struct classify_rule **rules;   /* trial order */
	size_t nrules;
	pcre2_match_data *md;
	pcre2_match_context *mctx;      /* the match and depth limits */
	unsigned long match_errors;     /* matches stopped by a limit (or failed) */
	char *norm;                     /* MAILLOG_LINE_MAX + 1 */
	char *lower;                    /* norm lower-cased, for the prefilter */
	int prefilter;                  /* 1 unless a test turns it off */
};

/* The class names are common/rulespec.h's, in this enum's order. */
_Static_assert(CLASS_COUNT == RULESPEC_NCLASSES, "rulespec_classes and enum classify_class differ");
#define classify_names rulespec_classes

const char *
classify_class_name(enum classify_class cls)
{
	return (unsigned)cls < CLASS_COUNT ? classify_names[cls] : "none";
}

int
classify_class_parse(const char *name, enum classify_class *out)
{
	for (int i = CLASS_NONE + 1; i < CLASS_COUNT; i++) {
		if (strcmp(classify_names[i], name) == 0) {
			*out = (enum classify_class)i;
			return 0;
		}
	}
	return -1;
}

const char *
classify_reroute_name(enum classify_reroute r)
{
	return r == REROUTE_YES ? "yes" : r == REROUTE_AMBIGUOUS ? "ambiguous" : "no";
}

struct classify *
classify_new(void)
{
	struct classify *c = xcalloc(1, sizeof(*c));

	c->md = pcre2_match_data_create(1, NULL);
	c->mctx = pcre2_match_context_create(NULL);
	if (c->md == NULL || c->mctx == NULL)
		log_fatalx("classify: out of memory");
	pcre2_set_match_limit(c->mctx, CLASSIFY_MATCH_LIMIT);
	pcre2_set_depth_limit(c->mctx, CLASSIFY_DEPTH_LIMIT);
	c->norm = xmalloc(MAILLOG_LINE_MAX + 1);
	c->lower = xmalloc(MAILLOG_LINE_MAX + 1);
	c->prefilter = 1;
	return c;
}

static void
rule_free(struct classify_rule *r)
{
	if (r == NULL)
		return;
	free(r->name);
	for (size_t i = 0; i < r->nproviders; i++)
		free(r->providers[i]);
	for (size_t i = 0; i < r->ndsn; i++)
		free(r->dsn[i]);
	pcre2_code_free(r->re);
	relit_clear(&r->lit);
	free(r);
}

struct classify *
classify_free(struct classify *c)
{
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->nrules; i++)
		rule_free(c->rules[i]);
	free(c->rules);
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	free(c->norm);
	free(c->lower);
	free(c);
	return NULL;
}

void
classify_set_prefilter(struct classify *c, int on)
{
	c->prefilter = on;
}

size_t
classify_count(const struct classify *c)
{
	return c->nrules;
}

unsigned long
classify_match_errors(const struct classify *c)
{
	return c->match_errors;
}

/* ---- loading ---- */

static const char *const classify_stage_names[] = {
	[MAILLOG_STAGE_NONE] = "none",
	[MAILLOG_STAGE_CONNECT] = "connect",
	[MAILLOG_STAGE_GREETING] = "greeting",
	[MAILLOG_STAGE_HELO] = "helo",
	[MAILLOG_STAGE_MAIL] = "mail",
	[MAILLOG_STAGE_RCPT] = "rcpt",
	[MAILLOG_STAGE_DATA] = "data",
	[MAILLOG_STAGE_EOD] = "eod",
	[MAILLOG_STAGE_OTHER] = "other",
};

static int
scope_bits(char *list, const char *const *names, size_t nnames, unsigned *bits)
{
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < nnames; i++)
			if (names[i] != NULL && strcmp(names[i], t) == 0)
				break;
		if (i == nnames)
			return -1;
		*bits |= 1u << i;
	}
	return 0;
}

static int
scope_list(char *list, char **out, size_t *n, int is_name)
{
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		if (*n == CLASSIFY_MAX_PROVIDERS || (is_name && validate_name(t) != NULL))
			return -1;
		if (!is_name && strspn(t, "0123456789.") != strlen(t))
			return -1;
		out[(*n)++] = xstrdup(t);
	}
	return *n > 0 ? 0 : -1;
}

static const char *
rule_scope(struct classify_rule *r, char *f)
{
	static const char *const statuses[] = {
		[MAILLOG_STATUS_NONE] = NULL,
		[MAILLOG_STATUS_SENT] = "sent",
		[MAILLOG_STATUS_DEFERRED] = "deferred",
		[MAILLOG_STATUS_BOUNCED] = "bounced",
		[MAILLOG_STATUS_EXPIRED] = "expired",
	};

	if (strncmp(f, "provider=", 9) == 0)
		return scope_list(f + 9, r->providers, &r->nproviders, 1) ? "bad provider= list" : NULL;
	if (strncmp(f, "dsn=", 4) == 0)
		return scope_list(f + 4, r->dsn, &r->ndsn, 0) ? "bad dsn= list (digits and dots)" : NULL;
	if (strncmp(f, "stage=", 6) == 0)
		return scope_bits(f + 6, classify_stage_names, sizeof(classify_stage_names) /
		    sizeof(classify_stage_names[0]), &r->stages) ? "bad stage= list" : NULL;
	if (strcmp(f, "on=conn") == 0 || strcmp(f, "on=reply") == 0) {
		r->on_conn = f[3] == 'c';
		return NULL;
	}
	if (strncmp(f, "status=", 7) == 0)
		return scope_bits(f + 7, statuses, sizeof(statuses) / sizeof(statuses[0]),
		    &r->statuses) ? "bad status= list" : NULL;
	return "expected provider=, dsn=, stage=, status=, on= or /PATTERN/";
}

/* Compiles pat into r (the one compile of common/rulespec.h); NULL or a
 * message in msg. */
static const char *
rule_compile(struct classify_rule *r, const char *pat, struct strbuf *msg)
{
	if ((r->re = rulespec_compile(pat, msg)) == NULL)
		return msg->buf;
	if (pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) != 0)
		log_debug("classify: rule %s: no JIT, interpreting", r->name);
	r->has_lit = relit_extract(pat, 3, &r->lit) == 0;
	return NULL;
}

static const char *
rule_pattern(struct classify_rule *r, char *pat, struct strbuf *msg)
{
	char *end = strrchr(pat, '/');
	if (end == pat || end[strspn(end + 1, " \t\r\n") + 1] != '\0')
		return "the pattern must be /PATTERN/ at the end of the line";
	*end = '\0';
	pat++;
	if (*pat == '\0')
		return "empty pattern";
	return rule_compile(r, pat, msg);
}

/* Parses one non-blank line into r; returns NULL or a message. */
static const char *
rule_parse(struct classify_rule *r, char *line, struct strbuf *msg)
{
	char *pat = strchr(line, '/');
	char *f[8], *save = NULL;
	size_t n = 0;
	const char *why;

	if (pat != NULL)
		*pat = '\0';
	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == sizeof(f) / sizeof(f[0]))
			return "too many fields";
		f[n++] = t;
	}
	if (n == 0 || validate_name(f[0]) != NULL)
		return "a rule starts with its NAME ([a-z0-9][a-z0-9._-]*)";
	r->name = xstrdup(f[0]);
	if (n == 2 && pat == NULL && strcmp(f[1], "off") == 0) {
		r->off = 1;
		return NULL;
	}
	if (n < 3 || pat == NULL)
		return "expected NAME CLASS REROUTABLE [SCOPE...] /PATTERN/ or NAME off";
	if (classify_class_parse(f[1], &r->cls) != 0)
		return "unknown class";
	if (strcmp(f[2], "yes") == 0)
		r->reroutable = REROUTE_YES;
	else if (strcmp(f[2], "no") == 0)
		r->reroutable = REROUTE_NO;
	else if (strcmp(f[2], "ambiguous") == 0)
		r->reroutable = REROUTE_AMBIGUOUS;
	else
		return "reroutable must be yes, no or ambiguous";
	for (size_t i = 3; i < n; i++)
		if ((why = rule_scope(r, f[i])) != NULL)
			return why;
	*pat = '/';
	return rule_pattern(r, pat, msg);
}

static void
classify_remove(struct classify *c, const char *name)
{
	for (size_t i = 0; i < c->nrules; i++) {
		if (strcmp(c->rules[i]->name, name) == 0) {
			rule_free(c->rules[i]);
			memmove(&c->rules[i], &c->rules[i + 1], (c->nrules - i - 1) * sizeof(*c->rules));
			c->nrules--;
			return;
		}
	}
}

/* The new file's rules go in front: later files are tried first. */
static void
classify_install(struct classify *c, struct classify_rule **add, size_t nadd)
{
	size_t keep = 0;

	for (size_t i = 0; i < nadd; i++)
		classify_remove(c, add[i]->name);
	c->rules = xrealloc(c->rules, (c->nrules + nadd + 1) * sizeof(*c->rules));
	memmove(c->rules + nadd, c->rules, c->nrules * sizeof(*c->rules));
	for (size_t i = 0; i < nadd; i++) {
		if (add[i]->off)
			rule_free(add[i]);
		else
			c->rules[keep++] = add[i];
	}
	memmove(c->rules + keep, c->rules + nadd, c->nrules * sizeof(*c->rules));
	c->nrules += keep;
}

static struct classify_rule *
classify_find(struct classify_rule **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->name, name) == 0)
			return v[i];
	return NULL;
}

int
classify_load(struct classify *c, const char *path, struct strbuf *errors)
{
	FILE *fp = fopen(path, "r");
	struct classify_rule **add = NULL;
	size_t nadd = 0, cap = 0, lineno = 0;
	char *line = NULL;
	int bad = 0;

	if (fp == NULL) {
		strbuf_appendf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		char *s = line + strspn(line, " \t\r\n");
		if (*s == '\0' || *s == '#')
			continue;
		struct strbuf msg = STRBUF_INIT;
		struct classify_rule *r = xcalloc(1, sizeof(*r));
		const char *why = rule_parse(r, s, &msg);
		if (why != NULL) {
			strbuf_appendf(errors, "%s:%zu: %s%s%s\n", path, lineno,
			    r->name ? r->name : "", r->name ? ": " : "", why);
			rule_free(r);
			bad = 1;
		} else if (classify_find(add, nadd, r->name) != NULL) {
			strbuf_appendf(errors, "%s:%zu: %s: defined twice in this file\n", path, lineno,
			    r->name);
			rule_free(r);
			bad = 1;
		} else {
			add = xrealloc(add, (nadd + 1) * sizeof(*add));
			add[nadd++] = r;
		}
		strbuf_clear(&msg);
	}
	free(line);
	fclose(fp);
	if (bad) {
		for (size_t i = 0; i < nadd; i++)
			rule_free(add[i]);
	} else {
		classify_install(c, add, nadd);
	}
	free(add);
	return bad ? -1 : 0;
}

static enum classify_reroute
classify_reroute_parse(const char *s)
{
	return strcmp(s, "yes") == 0 ? REROUTE_YES : strcmp(s, "no") == 0 ? REROUTE_NO :
	    REROUTE_AMBIGUOUS;
}

size_t
classify_add_specs(struct classify *c, const struct rulespec *v, size_t n, struct strbuf *errors)
{
	struct classify_rule **add = xcalloc(n + 1, sizeof(*add));
	size_t nadd = 0, skipped = 0;

	for (size_t i = 0; i < n; i++) {
		struct strbuf msg = STRBUF_INIT;
		struct classify_rule *r = NULL;
		if (rulespec_check(&v[i], &msg) == 0 && classify_find(add, nadd, v[i].name) == NULL) {
			r = xcalloc(1, sizeof(*r));
			r->name = xstrdup(v[i].name);
			classify_class_parse(v[i].cls, &r->cls);
			r->reroutable = classify_reroute_parse(v[i].reroutable);
			if (v[i].provider != NULL)
				r->providers[r->nproviders++] = xstrdup(v[i].provider);
			strbuf_reset(&msg);
			if (rule_compile(r, v[i].pattern, &msg) != NULL) {
				rule_free(r);
				r = NULL;
			}
		} else if (msg.len == 0) {
			strbuf_append(&msg, "defined twice");
		}
		if (r != NULL) {
			add[nadd++] = r;
		} else {
			strbuf_appendf(errors, "rule %.63s skipped: %s\n",
			    v[i].name && !validate_name(v[i].name) ? v[i].name : "(bad name)",
			    strbuf_str(&msg));
			skipped++;
		}
		strbuf_clear(&msg);
	}
	classify_install(c, add, nadd);
	free(add);
	return skipped;
}

/* ---- matching ---- */

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Length of a continuation prefix at s: the reply's own code followed by
 * '-' or ' ', then optionally an enhanced code of the same class and a
 * blank ("550-5.7.1 ", "550 "). 0 when s does not start with one.
 */
static size_t
cont_prefix(const char *s, const char *end, const char *code)
{
	const char *p = s;

	if (end - p < 4 || memcmp(p, code, 3) != 0 || (p[3] != '-' && p[3] != ' '))
		return 0;
	p += 4;
	const char *q = p;
	if (q < end && *q == code[0] && q + 1 < end && q[1] == '.') {
		q += 2;
		int d = 0;
		while (q < end && is_digit(*q) && d < 3)
			q++, d++;
		if (d > 0 && q < end && *q == '.') {
			q++;
			d = 0;
			while (q < end && is_digit(*q) && d < 3)
				q++, d++;
			if (d > 0 && (q == end || *q == ' '))
				p = q < end ? q + 1 : q;
		}
	}
	return (size_t)(p - s);
}

/* Unwraps a joined multi-line reply into c->norm (see classify.h). */
static size_t
classify_unwrap(struct classify *c, const char *s, size_t n)
{
	const char *end = s + n, *p = s;
	char *out = c->norm;
	size_t len = 0;
	char code[3];
	int have_code = n >= 3 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]);

	if (have_code)
		memcpy(code, s, 3);
	while (p < end && len < MAILLOG_LINE_MAX) {
		if (*p == ' ' || *p == '\t') {
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (have_code && len > 0) {
				size_t k;
				while ((k = cont_prefix(p, end, code)) > 0) {
					p += k;
					while (p < end && (*p == ' ' || *p == '\t'))
						p++;
				}
			}
			if (len > 0 && p < end)
				out[len++] = ' ';
			continue;
		}
		if (len == 0 && have_code && p == s && n > 3 && p[3] == '-')
			out[len++] = *p++, out[len++] = *p++, out[len++] = *p++, out[len++] = ' ', p++;
		else
			out[len++] = *p++;
	}
	out[len] = '\0';
	return len;
}

static int
rule_in_scope(const struct classify_rule *r, const struct maillog_rec *rec, const char *provider)
{
	if (r->on_conn != (rec->conn != MAILLOG_CONN_NONE))
		return 0;
	if (r->stages && !(r->stages & (1u << rec->stage)))
		return 0;
	if (r->statuses && !(r->statuses & (1u << rec->status)))
		return 0;
	if (r->nproviders > 0) {
		size_t i;
		for (i = 0; i < r->nproviders; i++)
			if (strcmp(r->providers[i], provider ? provider : "other") == 0)
				break;
		if (i == r->nproviders)
			return 0;
	}
	if (r->ndsn > 0) {
		size_t i;
		for (i = 0; i < r->ndsn; i++) {
			size_t k = strlen(r->dsn[i]);
			if (rec->dsn.len >= k && memcmp(rec->dsn.p, r->dsn[i], k) == 0)
				break;
		}
		if (i == r->ndsn)
			return 0;
	}
	return 1;
}

static void
result_set(struct classify_result *res, enum classify_class cls, enum classify_reroute rr,
    const char *rule)
{
	res->cls = cls;
	res->reroutable = rr;
	res->rule = rule;
}

/* "5.7.26" -> 5, 7, 26; -1 where absent. */
static void
dsn_parts(struct maillog_str dsn, int *a, int *b, int *d)
{
	int v[3] = { -1, -1, -1 }, k = 0;

	for (size_t i = 0; i < dsn.len && k < 3; i++) {
		if (is_digit(dsn.p[i]))
			v[k] = (v[k] < 0 ? 0 : v[k] * 10) + (dsn.p[i] - '0');
		else if (dsn.p[i] == '.')
			k++;
		else
			break;
	}
	*a = v[0], *b = v[1], *d = v[2];
}

void
classify_fallback(const struct maillog_rec *rec, struct classify_result *res)
{
	int a, b, d;

	dsn_parts(rec->dsn, &a, &b, &d);
	if (rec->conn == MAILLOG_CONN_DNS)
		result_set(res, CLASS_TRANSIENT, REROUTE_NO, "fallback");
	else if (rec->conn != MAILLOG_CONN_NONE)
		result_set(res, CLASS_CONNECTION, REROUTE_AMBIGUOUS, "fallback");
	else if (b == 1)
		result_set(res, CLASS_USER_UNKNOWN, REROUTE_NO, "fallback");
	else if (b == 2 && d == 2)
		result_set(res, CLASS_MAILBOX_FULL, REROUTE_NO, "fallback");
	else if (b == 2)
		result_set(res, CLASS_MAILBOX_DISABLED, REROUTE_NO, "fallback");
	else if (b == 7 && d >= 20 && d <= 39)
		result_set(res, CLASS_AUTH, REROUTE_NO, "fallback");
	else if (b == 7)
		result_set(res, CLASS_UNKNOWN, REROUTE_AMBIGUOUS, "fallback");
	else if (b == 3 || b == 5 || b == 6)
		result_set(res, CLASS_POLICY, REROUTE_NO, "fallback");
	else
		result_set(res, CLASS_UNKNOWN, REROUTE_NO, "fallback");
}

/* A match that stopped on a limit (or another error) counts as no match;
 * it is counted, and logged the first time and then every 1000th. */
static void
classify_match_error(struct classify *c, const struct classify_rule *r, int rc)
{
	PCRE2_UCHAR buf[128];

	if (c->match_errors++ % 1000 != 0)
		return;
	pcre2_get_error_message(rc, buf, sizeof(buf));
	log_warnx("classify: rule %s stopped on a reply: %s; counted as no match (%lu so far)",
	    r->name, (char *)buf, c->match_errors);
}

void
classify_delivery(struct classify *c, const struct maillog_rec *rec, const char *provider,
    struct classify_result *res)
{
	if (rec->status == MAILLOG_STATUS_SENT) {
		result_set(res, CLASS_SENT, REROUTE_NO, "sent");
		return;
	}
	if (rec->suspended) {
		result_set(res, CLASS_SUSPENDED, REROUTE_NO, "suspended");
		return;
	}
	size_t n = classify_unwrap(c, rec->reply.p, rec->reply.len);
	int lowered = 0;
	for (size_t i = 0; i < c->nrules; i++) {
		const struct classify_rule *r = c->rules[i];
		if (!rule_in_scope(r, rec, provider))
			continue;
		if (r->has_lit && c->prefilter) {
			if (!lowered)
				relit_lower(c->norm, n, c->lower), lowered = 1;
			if (!relit_any(&r->lit, c->lower, n))
				continue;   /* cannot match: none of its literals is there */
		}
		int rc = pcre2_match(r->re, (PCRE2_SPTR)c->norm, n, 0, 0, c->md, c->mctx);
		if (rc >= 0) {
			result_set(res, r->cls, r->reroutable, r->name);
			return;
		}
		if (rc != PCRE2_ERROR_NOMATCH)
			classify_match_error(c, r, rc);
	}
	classify_fallback(rec, res);
}
