/*
 * defcat.c: load the compiled-in default provider catalogue into an empty
 * providers table (see defcat.h).
 */
#include "defcat.h"

#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "change.h"
#include "validate.h"

/* Generated from deploy/providers.conf by the Makefile. */
extern const char default_catalogue[];

#define DEFCAT_NAME "providers.conf (compiled in)"

/* values as a PostgreSQL array literal; MX patterns as the API takes them:
 * "*.DOMAIN" or a host. -1 naming a value the providers table would refuse. */
static int
defcat_array(const char *prov, const char *const *v, size_t n, int patterns,
    struct strbuf *lit, struct strbuf *err)
{
	char norm[VALIDATE_DOMAIN_MAX + 2];

	strbuf_appendc(lit, '{');
	for (size_t i = 0; i < n; i++) {
		const char *d = patterns && strncmp(v[i], "*.", 2) == 0 ? v[i] + 2 : v[i];
		const char *why = validate_domain(d, norm, sizeof(norm));
		if (why != NULL) {
			strbuf_appendf(err, "%s: provider %s: \"%s\" %s", DEFCAT_NAME, prov, v[i], why);
			return -1;
		}
		strbuf_appendf(lit, "%s%s%s", i ? "," : "", d != v[i] ? "*." : "", norm);
	}
	strbuf_appendc(lit, '}');
	return 0;
}

/* Inserts one provider and its history row inside ch. */
static int
defcat_put(struct change *ch, const struct catalogue_entry *e, struct strbuf *err)
{
	struct strbuf dom = STRBUF_INIT, mx = STRBUF_INIT;
	char *after = NULL;
	int rc = -1;

	if (defcat_array(e->name, e->domains, e->ndomains, 0, &dom, err) != 0 ||
	    defcat_array(e->name, e->mx_patterns, e->nmx, 1, &mx, err) != 0)
		goto out;
	const char *p[] = { e->name, strbuf_str(&dom), strbuf_str(&mx) };
	const char *q[] = { e->name, strbuf_str(&mx) };
	if (change_one(ch, "INSERT INTO providers (name, mx_patterns) VALUES ($1, $2::text[])",
	    2, q, NULL) < 0 ||
	    change_one(ch, "INSERT INTO provider_domains (domain, provider)"
	    " SELECT DISTINCT unnest($2::text[]), $1", 2, p, NULL) < 0 ||
	    change_one(ch, "SELECT doc FROM provider_json WHERE name = $1", 1, p, &after) != 1)
		goto out;
	struct change_row row = { "provider.put", "provider", e->name, e->name, NULL, NULL,
		NULL, after };
	rc = change_record(ch, &row);
out:
	free(after);
	strbuf_clear(&dom);
	strbuf_clear(&mx);
	return rc;
}

static void
defcat_db_error(struct change *ch, struct strbuf *err)
{
	if (err->len == 0 && ch->error != NULL) {
		const char *m = PQresultErrorMessage(ch->error);
		strbuf_appendf(err, "default catalogue: %.*s", (int)strcspn(m, "\n"), m);
	} else if (err->len == 0) {
		const char *m = PQerrorMessage(ch->conn);
		strbuf_appendf(err, "default catalogue: %.*s", (int)strcspn(m, "\n"), m);
	}
}

int
defcat_load(PGconn *c, struct strbuf *err)
{
	struct catalogue *cat = catalogue_new();
	struct change ch = { c, "migrate", "default provider catalogue (postrouted migrate)",
		NULL, 0, NULL, 0 };
	struct catalogue_entry e;
	size_t n = 0;
	int any = -1, rc = -1;

	if (catalogue_load_text(cat, DEFCAT_NAME, default_catalogue, err) != 0)
		goto out;
	if (change_begin(&ch) != 0)
		goto fail;
	/* a new database only: providers an operator deleted on purpose do
	 * not come back at the next upgrade */
	if ((any = change_one(&ch, "SELECT 1 FROM providers UNION ALL"
	    " SELECT 1 FROM history WHERE object_type = 'provider' LIMIT 1", 0, NULL, NULL)) < 0)
		goto fail;
	for (; any == 0 && catalogue_provider(cat, n, &e) == 0; n++)
		if (defcat_put(&ch, &e, err) != 0)
			goto fail;
	if (change_end(&ch, any == 0) != 0)
		goto fail;
	rc = any == 0 ? (int)n : 0;
	goto out;
fail:
	defcat_db_error(&ch, err);
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		change_end(&ch, 0);
out:
	change_clear(&ch);
	catalogue_free(cat);
	return rc;
}
