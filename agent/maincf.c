/*
 * maincf.c: transport_maps and smtpd_sender_restrictions against the
 * agent's maps (see maincf.h).
 */
#include "maincf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strarr.h"
#include "xalloc.h"

#define MAINCF_SEP " \t\r\n,"

size_t
maincf_split(const char *value, char ***out)
{
	size_t n = 0, cap = 8;
	char **v = xmalloc(cap * sizeof(*v));

	for (const char *p = value; *p;) {
		p += strspn(p, MAINCF_SEP);
		if (*p == '\0')
			break;
		const char *q = p;
		int depth = 0;   /* separators inside "{ ... }" (inline:{...}) do not count */
		for (; *q && (depth > 0 || strchr(MAINCF_SEP, *q) == NULL); q++) {
			if (*q == '{')
				depth++;
			else if (*q == '}' && depth > 0)
				depth--;
		}
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = xstrndup(p, (size_t)(q - p));
		p = q;
	}
	*out = v;
	return n;
}

void
maincf_strv_free(char **v, size_t n)
{
	strarr_free(v, n);
}

/* 1 when a and b name one file: the same text, or the same name in the
 * same directory reached another way (a root-owned link on the path). */
static int
mc_same_file(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	struct stat x, y;
	int same;

	if (strcmp(a, b) == 0)
		return 1;
	if (sa == NULL || sb == NULL || strcmp(sa, sb) != 0)
		return 0;
	char *da = sa == a ? xstrdup("/") : xstrndup(a, (size_t)(sa - a));
	char *db = sb == b ? xstrdup("/") : xstrndup(b, (size_t)(sb - b));
	same = stat(da, &x) == 0 && stat(db, &y) == 0 && x.st_dev == y.st_dev &&
	    x.st_ino == y.st_ino;
	free(da), free(db);
	return same;
}

/* The first element "TYPE:/PATH" whose PATH is file, or -1. */
static long
mc_find_file(char **el, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = strstr(el[i], ":/");
		if (p != NULL && mc_same_file(p + 1, file))
			return (long)i;
	}
	return -1;
}

/* 1 when element el (naming the file) has type map_type. */
static int
mc_typed(const char *el, const char *map_type)
{
	size_t n = strlen(map_type);

	return strncmp(el, map_type, n) == 0 && el[n] == ':' && el[n + 1] == '/';
}

/* want, then the elements that do not name file, joined by ", ". */
static void
mc_fixed_list(const char *want, char **el, size_t n, const char *file, struct strbuf *out)
{
	strbuf_append(out, want);
	for (size_t i = 0; i < n; i++) {
		char *one[] = { el[i] };
		if (mc_find_file(one, 1, file) < 0)
			strbuf_appendf(out, ", %s", el[i]);
	}
}

/* The parameter's elements; MAINCF_ERROR with postconf's message. */
static enum maincf_result
mc_get(const struct postfix *pf, const char *name, char ***el, size_t *n, char **value,
    struct strbuf *msg)
{
	if (postfix_postconf(pf, name, value, msg) != 0) {
		*el = NULL, *n = 0;
		return MAINCF_ERROR;
	}
	*n = maincf_split(*value, el);
	return MAINCF_OK;
}

enum maincf_result
maincf_transport(const struct postfix *pf, const char *map_type, const char *file,
    struct strbuf *msg)
{
	char *want = xasprintf("%s:%s", map_type, file), *value = NULL, **el;
	struct strbuf fix = STRBUF_INIT;
	size_t n;
	enum maincf_result r = mc_get(pf, "transport_maps", &el, &n, &value, msg);
	long at = mc_find_file(el, n, file);

	if (r != MAINCF_OK)
		goto done;
	mc_fixed_list(want, el, n, file, &fix);
	r = MAINCF_WRONG;
	if (at == 0 && mc_typed(el[0], map_type)) {
		strbuf_appendf(msg, "main.cf names the agent's map %s first", el[0]);
		r = MAINCF_OK;
	} else if (n == 0) {
		strbuf_appendf(msg, "%s/main.cf does not set transport_maps, so Postfix does not "
		    "read the agent's map: add \"transport_maps = %s\", then postfix reload",
		    pf->config_dir, want);
	} else if (at >= 0 && !mc_typed(el[at], map_type)) {
		strbuf_appendf(msg, "main.cf names %s, but [postfix] map_type is %s: make them "
		    "agree (\"transport_maps = %s\", or map_type = the type main.cf uses), then "
		    "postfix reload", el[at], map_type, strbuf_str(&fix));
	} else if (at > 0) {
		strbuf_appendf(msg, "main.cf names %s first; the agent's map %s must come first: "
		    "\"transport_maps = %s\", then postfix reload", el[0], want, strbuf_str(&fix));
	} else {
		strbuf_appendf(msg, "main.cf names %s but not the agent's map %s: put it first "
		    "(\"transport_maps = %s\"), then postfix reload", value, want, strbuf_str(&fix));
	}
done:
	maincf_strv_free(el, n);
	strbuf_clear(&fix);
	free(want), free(value);
	return r;
}

/* A restriction before the hold map that accepts the sender first, or NULL. */
static const char *
mc_permit_before(char **el, size_t at)
{
	for (size_t i = 0; i < at; i++) {
		if (strcmp(el[i], "permit_sasl_authenticated") == 0 || strcmp(el[i], "permit") == 0)
			return el[i];
	}
	return NULL;
}

enum maincf_result
maincf_hold(const struct postfix *pf, const char *map_type, const char *file,
    struct strbuf *msg)
{
	char *want = xasprintf("%s:%s", map_type, file), *value = NULL, **el;
	size_t n;
	enum maincf_result r = mc_get(pf, "smtpd_sender_restrictions", &el, &n, &value, msg);
	long at = mc_find_file(el, n, file);
	const char *permit;

	if (r != MAINCF_OK)
		goto done;
	r = MAINCF_WRONG;
	if (at >= 0 && !mc_typed(el[at], map_type)) {
		strbuf_appendf(msg, "main.cf names %s, but [postfix] map_type is %s: make them "
		    "agree (\"check_sasl_access %s\"), then postfix reload", el[at], map_type, want);
	} else if (at < 0) {
		strbuf_appendf(msg, "main.cf does not name the hold map %s, so a held sender's "
		    "mail is delivered: add \"check_sasl_access %s\" first "
		    "(\"smtpd_sender_restrictions = check_sasl_access %s%s%s\"), then postfix reload",
		    want, want, want, n ? ", " : "", value);
	} else if ((permit = mc_permit_before(el, (size_t)at)) != NULL) {
		strbuf_appendf(msg, "main.cf has %s before the hold map %s, which accepts the "
		    "sender before the hold is looked up: move \"check_sasl_access %s\" before it, "
		    "then postfix reload", permit, want, want);
	} else {
		strbuf_appendf(msg, "main.cf names the hold map %s%s%s", at > 0 ? el[at - 1] : "",
		    at > 0 ? " " : "", el[at]);
		r = MAINCF_OK;
	}
done:
	maincf_strv_free(el, n);
	free(want), free(value);
	return r;
}

int
maincf_check(const struct agent_config *cfg, struct strbuf *why)
{
	struct postfix pf = agentconf_postfix(cfg);
	struct strbuf m = STRBUF_INIT;
	int rc = 0;

	if (maincf_transport(&pf, cfg->map_type, cfg->transport_file, &m) != MAINCF_OK) {
		strbuf_appendf(why, "transport_maps: %s", strbuf_str(&m));
		rc = -1;
	}
	strbuf_reset(&m);
	if (cfg->hold_map[0] != '\0' &&
	    maincf_hold(&pf, cfg->map_type, cfg->hold_map, &m) != MAINCF_OK) {
		strbuf_appendf(why, "%ssmtpd_sender_restrictions: %s", rc ? "; " : "", strbuf_str(&m));
		rc = -1;
	}
	strbuf_clear(&m);
	return rc;
}
