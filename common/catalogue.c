/*
 * catalogue.c: provider catalogue and attribution (see catalogue.h).
 *
 * Providers live in an array; lookups go through one open-addressing hash
 * table of keys "d<domain>", "e<exact mx host>" and "s<mx suffix>", rebuilt
 * after every load or merge, plus a short list of general globs. A lookup
 * lower-cases into a stack buffer and allocates nothing.
 */
#include "catalogue.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strarr.h"
#include "validate.h"
#include "xalloc.h"

#define CAT_KEY_MAX 260

struct cat_provider {
	char *name;
	char **domains;
	size_t ndomains;
	char **mx;
	size_t nmx;
	int merged;
};

struct cat_entry {
	char *key;        /* NULL = empty slot */
	size_t len;
	uint32_t hash;
	size_t prov;
};

struct cat_glob {
	const char *pattern;
	size_t prov;
};

/* Recent MX hosts and what they matched: log lines repeat a few hosts. */
#define CAT_CACHE_SLOTS 256
#define CAT_CACHE_KEY 64

struct cat_cache {
	unsigned char len;        /* 0 = empty */
	char key[CAT_CACHE_KEY];
	long prov;                /* index into provs, or -1 for no match */
};

struct catalogue {
	struct cat_cache cache[CAT_CACHE_SLOTS];
	struct cat_provider *provs;
	size_t nprovs;
	struct cat_entry *tab;
	size_t tabcap;      /* power of two */
	struct cat_glob *globs;
	size_t nglobs;
};

static uint32_t
cat_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static size_t
cat_lower(char *out, char kind, const char *s, size_t n)
{
	out[0] = kind;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		out[i + 1] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out[n + 1] = '\0';
	return n + 1;
}

static struct cat_entry *
cat_slot(struct catalogue *cat, const char *key, size_t len, uint32_t h)
{
	size_t mask = cat->tabcap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct cat_entry *e = &cat->tab[i];
		if (e->key == NULL || (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

static void
cat_put(struct catalogue *cat, char kind, const char *s, size_t prov)
{
	char key[CAT_KEY_MAX];
	size_t n = strlen(s);

	if (n + 2 > sizeof(key))
		return;
	n = cat_lower(key, kind, s, n);
	uint32_t h = cat_hash(key, n);
	struct cat_entry *e = cat_slot(cat, key, n, h);
	if (e->key == NULL) {
		e->key = xstrndup(key, n);
		e->len = n;
		e->hash = h;
	}
	e->prov = prov;
}

static const struct cat_entry *
cat_get(struct catalogue *cat, const char *key, size_t n)
{
	if (cat->tabcap == 0)
		return NULL;
	struct cat_entry *e = cat_slot(cat, key, n, cat_hash(key, n));
	return e->key ? e : NULL;
}

static void
cat_index_clear(struct catalogue *cat)
{
	for (size_t i = 0; i < cat->tabcap; i++)
		free(cat->tab[i].key);
	free(cat->tab);
	free(cat->globs);
	cat->tab = NULL;
	cat->tabcap = 0;
	cat->globs = NULL;
	cat->nglobs = 0;
	for (size_t i = 0; i < CAT_CACHE_SLOTS; i++)
		cat->cache[i].len = 0;
}

static void
cat_index_provider(struct catalogue *cat, size_t p)
{
	const struct cat_provider *pv = &cat->provs[p];

	for (size_t i = 0; i < pv->ndomains; i++)
		cat_put(cat, 'd', pv->domains[i], p);
	for (size_t i = 0; i < pv->nmx; i++) {
		const char *m = pv->mx[i];
		if (m[0] == '*' && m[1] == '.' && strpbrk(m + 2, "*?[") == NULL)
			cat_put(cat, 's', m + 2, p);
		else if (strpbrk(m, "*?[") == NULL)
			cat_put(cat, 'e', m, p);
		else
			cat->globs[cat->nglobs++] = (struct cat_glob){ m, p };
	}
}

/* File providers first, merged ones last, so that they win collisions. */
static void
cat_index_build(struct catalogue *cat)
{
	size_t nkeys = 0, nmx = 0;

	cat_index_clear(cat);
	for (size_t p = 0; p < cat->nprovs; p++) {
		nkeys += cat->provs[p].ndomains + cat->provs[p].nmx;
		nmx += cat->provs[p].nmx;
	}
	cat->tabcap = 16;
	while (cat->tabcap < nkeys * 2 + 2)
		cat->tabcap *= 2;
	cat->tab = xcalloc(cat->tabcap, sizeof(*cat->tab));
	cat->globs = xcalloc(nmx + 1, sizeof(*cat->globs));
	for (int merged = 0; merged <= 1; merged++)
		for (size_t p = 0; p < cat->nprovs; p++)
			if (cat->provs[p].merged == merged)
				cat_index_provider(cat, p);
}

struct catalogue *
catalogue_new(void)
{
	return xcalloc(1, sizeof(struct catalogue));
}

struct catalogue *
catalogue_free(struct catalogue *cat)
{
	if (cat == NULL)
		return NULL;
	cat_index_clear(cat);
	for (size_t p = 0; p < cat->nprovs; p++) {
		free(cat->provs[p].name);
		strarr_free(cat->provs[p].domains, cat->provs[p].ndomains);
		strarr_free(cat->provs[p].mx, cat->provs[p].nmx);
	}
	free(cat->provs);
	free(cat);
	return NULL;
}

size_t
catalogue_count(const struct catalogue *cat)
{
	return cat->nprovs;
}

static struct cat_provider *
cat_provider(struct catalogue *cat, const char *name)
{
	for (size_t p = 0; p < cat->nprovs; p++)
		if (strcmp(cat->provs[p].name, name) == 0)
			return &cat->provs[p];
	cat->provs = xrealloc(cat->provs, (cat->nprovs + 1) * sizeof(*cat->provs));
	struct cat_provider *pv = &cat->provs[cat->nprovs++];
	memset(pv, 0, sizeof(*pv));
	pv->name = xstrdup(name);
	return pv;
}

/* An MX host pattern: hostname characters and the glob characters *?[]. */
static const char *
cat_check_pattern(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > VALIDATE_DOMAIN_MAX || n >= outlen)
		return "is longer than 253 octets";
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != '\0' && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '*' || c == '?' || c == '[' || c == ']'))
			return "may contain only letters, digits, '.', '-' and the glob characters *?[]";
		out[i] = c;
	}
	return NULL;
}

static int
cat_add_values(struct cat_provider *pv, int is_mx, const char *const *vals, size_t n,
    const char *where, struct strbuf *errors)
{
	char buf[VALIDATE_DOMAIN_MAX + 2];
	const char *why;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		why = is_mx ? cat_check_pattern(vals[i], buf, sizeof(buf))
		    : validate_domain(vals[i], buf, sizeof(buf));
		if (why == NULL && !is_mx && buf[0] == '.')
			why = "must not start with '.' (parent domains match by themselves)";
		if (why != NULL) {
			strbuf_appendf(errors, "%s%s %s \"%.100s\" %s\n", where, pv->name,
			    is_mx ? "mx pattern" : "domain", vals[i], why);
			bad = 1;
			continue;
		}
		if (is_mx)
			strarr_add(&pv->mx, &pv->nmx, buf);
		else
			strarr_add(&pv->domains, &pv->ndomains, buf);
	}
	return bad ? -1 : 0;
}

int
catalogue_merge(struct catalogue *cat, const char *name, const char *const *domains,
    size_t ndomains, const char *const *mx_patterns, size_t nmx, struct strbuf *errors)
{
	struct cat_provider tmp = { .name = (char *)name, .merged = 1 };
	const char *why;

	if ((why = validate_name(name)) != NULL) {
		strbuf_appendf(errors, "provider name \"%.100s\" %s\n", name, why);
		return -1;
	}
	if (cat_add_values(&tmp, 0, domains, ndomains, "", errors) != 0 ||
	    cat_add_values(&tmp, 1, mx_patterns, nmx, "", errors) != 0) {
		strarr_free(tmp.domains, tmp.ndomains);
		strarr_free(tmp.mx, tmp.nmx);
		return -1;
	}
	struct cat_provider *pv = cat_provider(cat, name);
	strarr_free(pv->domains, pv->ndomains);
	strarr_free(pv->mx, pv->nmx);
	pv->domains = tmp.domains;
	pv->ndomains = tmp.ndomains;
	pv->mx = tmp.mx;
	pv->nmx = tmp.nmx;
	pv->merged = 1;
	cat_index_build(cat);
	return 0;
}

#define CAT_MAX_FIELDS 256

/* Splits line into fields at whitespace; a '#' field ends the line. */
static size_t
cat_split(char *line, char **f, size_t max)
{
	char *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && *t != '#';
	    t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return max + 1;
		f[n++] = t;
	}
	return n;
}

static int
cat_load_line(struct catalogue *cat, char *line, const char *where, struct strbuf *errors)
{
	char *f[CAT_MAX_FIELDS];
	size_t n = cat_split(line, f, CAT_MAX_FIELDS);
	const char *why;

	if (n == 0)
		return 0;
	if (n > CAT_MAX_FIELDS) {
		strbuf_appendf(errors, "%stoo many values on one line (split it)\n", where);
		return -1;
	}
	if (n < 3 || (strcmp(f[1], "domains") != 0 && strcmp(f[1], "mx") != 0)) {
		strbuf_appendf(errors, "%sexpected \"NAME domains DOMAIN...\" or \"NAME mx PATTERN...\"\n",
		    where);
		return -1;
	}
	if ((why = validate_name(f[0])) != NULL) {
		strbuf_appendf(errors, "%sprovider name \"%.100s\" %s\n", where, f[0], why);
		return -1;
	}
	struct cat_provider *pv = cat_provider(cat, f[0]);
	return cat_add_values(pv, strcmp(f[1], "mx") == 0, (const char *const *)f + 2, n - 2,
	    where, errors);
}

/* Adds the file providers of src to cat, except those the controller set. */
static void
cat_adopt(struct catalogue *cat, const struct catalogue *src)
{
	for (size_t p = 0; p < src->nprovs; p++) {
		const struct cat_provider *sp = &src->provs[p];
		struct cat_provider *pv = cat_provider(cat, sp->name);
		if (pv->merged)
			continue;
		for (size_t i = 0; i < sp->ndomains; i++)
			strarr_add(&pv->domains, &pv->ndomains, sp->domains[i]);
		for (size_t i = 0; i < sp->nmx; i++)
			strarr_add(&pv->mx, &pv->nmx, sp->mx[i]);
	}
}

/* Reads fp (named where for messages) into cat; a file with errors adds nothing. */
static int
cat_load_fp(struct catalogue *cat, FILE *fp, const char *name, struct strbuf *errors)
{
	struct catalogue *tmp = catalogue_new();
	char *line = NULL, where[512];
	size_t cap = 0, lineno = 0;
	int bad = 0;

	while (getline(&line, &cap, fp) > 0) {
		snprintf(where, sizeof(where), "%s:%zu: ", name, ++lineno);
		if (cat_load_line(tmp, line, where, errors) != 0)
			bad = 1;
	}
	free(line);
	if (!bad) {
		cat_adopt(cat, tmp);
		cat_index_build(cat);
	}
	catalogue_free(tmp);
	return bad ? -1 : 0;
}

/* Loads fp, just opened (NULL: opening it failed with errno, as verb). */
static int
cat_load_opened(struct catalogue *cat, FILE *fp, const char *name, const char *verb,
    struct strbuf *errors)
{
	int rc;

	if (fp == NULL) {
		strbuf_appendf(errors, "%s: cannot %s: %s\n", name, verb, strerror(errno));
		return -1;
	}
	rc = cat_load_fp(cat, fp, name, errors);
	fclose(fp);
	return rc;
}

int
catalogue_load(struct catalogue *cat, const char *path, struct strbuf *errors)
{
	return cat_load_opened(cat, fopen(path, "r"), path, "open", errors);
}

int
catalogue_load_text(struct catalogue *cat, const char *name, const char *text,
    struct strbuf *errors)
{
	return cat_load_opened(cat, fmemopen((void *)text, strlen(text), "r"), name, "read",
	    errors);
}

int
catalogue_provider(const struct catalogue *cat, size_t i, struct catalogue_entry *out)
{
	if (i >= cat->nprovs)
		return -1;
	const struct cat_provider *pv = &cat->provs[i];
	out->name = pv->name;
	out->domains = (const char *const *)pv->domains;
	out->ndomains = pv->ndomains;
	out->mx_patterns = (const char *const *)pv->mx;
	out->nmx = pv->nmx;
	return 0;
}

static long
cat_lookup_mx(struct catalogue *cat, const char *mx, size_t len)
{
	char key[CAT_KEY_MAX];
	const struct cat_entry *e;

	size_t n = cat_lower(key, 'e', mx, len);
	if ((e = cat_get(cat, key, n)) != NULL)
		return (long)e->prov;
	for (size_t i = 1; i < n; i++) {
		if (key[i] != '.')
			continue;
		key[i] = 's';
		e = cat_get(cat, key + i, n - i);
		key[i] = '.';
		if (e != NULL)
			return (long)e->prov;
	}
	for (size_t g = 0; g < cat->nglobs; g++)
		if (fnmatch(cat->globs[g].pattern, key + 1, 0) == 0)
			return (long)cat->globs[g].prov;
	return -1;
}

static const char *
cat_attribute_mx(struct catalogue *cat, const char *mx, size_t len)
{
	struct cat_cache *slot;
	long prov;

	if (len == 0 || len + 2 > CAT_KEY_MAX)
		return NULL;
	if (len < CAT_CACHE_KEY) {
		size_t h = (len * 31u + (unsigned char)mx[0] * 7u + (unsigned char)mx[len / 2] * 131u +
		    (unsigned char)mx[len - 1]) % CAT_CACHE_SLOTS;
		slot = &cat->cache[h];
		if (slot->len == len && memcmp(slot->key, mx, len) == 0)
			prov = slot->prov;
		else {
			prov = cat_lookup_mx(cat, mx, len);
			memcpy(slot->key, mx, len);
			slot->len = (unsigned char)len;
			slot->prov = prov;
		}
	} else {
		prov = cat_lookup_mx(cat, mx, len);
	}
	return prov < 0 ? NULL : cat->provs[prov].name;
}

static const char *
cat_attribute_domain(struct catalogue *cat, const char *dom, size_t len)
{
	char key[CAT_KEY_MAX];
	const struct cat_entry *e;

	if (len == 0 || len + 2 > sizeof(key))
		return NULL;
	size_t n = cat_lower(key, 'd', dom, len);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && key[i] != '.')
			continue;
		char save = key[i];
		key[i] = 'd';
		e = cat_get(cat, key + i, n - i);
		key[i] = save;
		if (e != NULL)
			return cat->provs[e->prov].name;
	}
	return NULL;
}

const char *
catalogue_match(struct catalogue *cat, const char *mx, size_t mxlen, const char *domain,
    size_t domlen, enum catalogue_how *how)
{
	const char *name = cat_attribute_mx(cat, mx, mxlen);

	if (name != NULL) {
		*how = CATALOGUE_BY_MX;
		return name;
	}
	if ((name = cat_attribute_domain(cat, domain, domlen)) == NULL) {
		*how = CATALOGUE_NONE;
		return NULL;
	}
	*how = CATALOGUE_BY_DOMAIN;
	if (mxlen > 0) {
		for (size_t p = 0; p < cat->nprovs; p++)
			if (cat->provs[p].name == name && cat->provs[p].nmx > 0)
				*how = CATALOGUE_ELSEWHERE;
	}
	return name;
}

const char *
catalogue_attribute(struct catalogue *cat, const char *mx, size_t mxlen, const char *domain,
    size_t domlen)
{
	enum catalogue_how how;

	return catalogue_match(cat, mx, mxlen, domain, domlen, &how);
}
