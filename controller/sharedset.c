/*
 * sharedset.c: shared_settings, seeded, read and compared.
 *
 * Owns nothing between calls. Parsing and bounds are those of the INI
 * file (settings_keys through config_set_value), so a value the database
 * holds is one a file could hold.
 */
#include "sharedset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "db.h"
#include "log.h"
#include "xalloc.h"

const char *const sharedset_names[] = {
	"notify.stale_after", "notify.max_per_minute",
	"policy.auto_ttl", "policy.max_ttl", "policy.reblock_window", "policy.max_flips_per_hour",
	"policy.max_auto_routes_per_hour", "policy.max_relay_share_percent",
	"policy.relay_block_reporters", "policy.hold_on_surge", NULL,
};

const struct config_key *
sharedset_key(const char *name)
{
	const char *dot = strchr(name, '.');
	int shared = 0;

	for (int i = 0; sharedset_names[i] != NULL; i++)
		shared |= strcmp(sharedset_names[i], name) == 0;
	if (!shared || dot == NULL)
		return NULL;
	for (const struct config_key *k = settings_keys; k->key != NULL; k++)
		if (strlen(k->section) == (size_t)(dot - name) &&
		    strncmp(k->section, name, (size_t)(dot - name)) == 0 && strcmp(k->key, dot + 1) == 0)
			return k;
	return NULL;
}

char *
sharedset_format(const struct config_key *k, const struct settings *s)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	};
	const char *slot = (const char *)s + k->offset;
	long long v;

	if (k->type == CONFIG_BOOL)
		return xstrdup(*(const int *)slot ? "yes" : "no");
	v = *(const long long *)slot;
	if (k->type == CONFIG_DURATION) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (v != 0 && v % units[i].ms == 0)
				return xasprintf("%lld%s", v / units[i].ms, units[i].unit);
		return xasprintf("%lldms", v);
	}
	return xasprintf("%lld", v);
}

static void
sharedset_split(const char *name, char *section, size_t slen, const char **key)
{
	const char *dot = strchr(name, '.');

	snprintf(section, slen, "%.*s", (int)(dot - name), name);
	*key = dot + 1;
}

int
sharedset_seed(PGconn *c, const struct settings *ini, struct strbuf *err)
{
	int n = 0;

	for (int i = 0; sharedset_names[i] != NULL; i++) {
		const struct config_key *k = sharedset_key(sharedset_names[i]);
		char section[32], *value = sharedset_format(k, ini), *got = NULL;
		const char *key;
		PGresult *fail = NULL;
		sharedset_split(sharedset_names[i], section, sizeof(section), &key);
		const char *p[] = { section, key, value };
		int rc = db_one(c, "INSERT INTO shared_settings (section, key, value, updated_by)"
		    " VALUES ($1, $2, $3, 'migrate') ON CONFLICT DO NOTHING RETURNING 1", 3, p, &got, &fail);
		free(value), free(got);
		if (rc < 0) {
			strbuf_appendf(err, "shared settings: %s", PQresultErrorMessage(fail));
			PQclear(fail);
			return -1;
		}
		n += rc;
	}
	return n;
}

/* The database's rows: section, key, value. NULL with err on failure. */
static PGresult *
sharedset_rows(PGconn *c, struct strbuf *err)
{
	PGresult *r = db_query(c, "SELECT section || '.' || key, value FROM shared_settings", 0, NULL);

	if (!db_ok(r)) {
		strbuf_appendf(err, "shared settings: %s", PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

int
sharedset_load(PGconn *c, const struct settings *ini, struct settings *out, struct strbuf *err)
{
	PGresult *r = sharedset_rows(c, err);

	*out = *ini;
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		const struct config_key *k = sharedset_key(PQgetvalue(r, i, 0));
		const char *why = k ? config_set_value(k, out, PQgetvalue(r, i, 1)) : NULL;
		if (why != NULL)
			log_warnx("shared settings: %s = \"%s\" in the database %s; using %s's value",
			    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), why, "the INI file");
	}
	PQclear(r);
	return 0;
}

int
sharedset_compare(PGconn *c, const struct settings *ini, struct strbuf *warn, struct strbuf *err)
{
	struct settings db;
	int n = 0;

	if (sharedset_load(c, ini, &db, err) != 0)
		return -1;
	for (int i = 0; sharedset_names[i] != NULL; i++) {
		const struct config_key *k = sharedset_key(sharedset_names[i]);
		char *mine = sharedset_format(k, ini), *theirs = sharedset_format(k, &db);
		if (strcmp(mine, theirs) != 0) {
			strbuf_appendf(warn, "[%s] %s = %s in this controller's INI file, but the database"
			    " says %s: the database's value is in force for every controller (postrouted"
			    " settings set %s VALUE changes it)\n", k->section, k->key, mine, theirs,
			    sharedset_names[i]);
			n++;
		}
		free(mine), free(theirs);
	}
	return n;
}

/* Validates value for k: 0, or 1 with why in err. The canonical text in *canon. */
static int
sharedset_check(const struct config_key *k, const char *name, const char *value, char **canon,
    struct strbuf *err)
{
	struct settings tmp;
	const char *why;

	memset(&tmp, 0, sizeof(tmp));
	if ((why = config_set_value(k, &tmp, value)) != NULL) {
		strbuf_appendf(err, "%s: \"%s\" %s", name, value, why);
		return 1;
	}
	*canon = sharedset_format(k, &tmp);
	return 0;
}

int
sharedset_set(PGconn *c, const char *name, const char *value, const char *actor,
    const char *request_id, struct strbuf *err)
{
	const struct config_key *k = sharedset_key(name);
	struct change ch = { c, actor, NULL, request_id, 0, NULL, 0 };
	char section[32], *canon = NULL, *before = NULL, *after = NULL;
	const char *key;
	int rc = -1;

	if (k == NULL) {
		strbuf_appendf(err, "%s: not a shared setting (one of: policy.auto_ttl, policy.max_ttl,"
		    " ...; postrouted settings show lists them)", name);
		return 1;
	}
	if (sharedset_check(k, name, value, &canon, err) != 0)
		return 1;
	sharedset_split(name, section, sizeof(section), &key);
	const char *p[] = { section, key, canon, actor };
	if (change_begin(&ch) != 0 ||
	    change_one(&ch, "SELECT jsonb_build_object('value', value)::text FROM shared_settings"
	    " WHERE section = $1 AND key = $2 FOR UPDATE", 2, p, &before) < 0 ||
	    change_one(&ch, "INSERT INTO shared_settings (section, key, value, updated_by)"
	    " VALUES ($1, $2, $3, $4) ON CONFLICT (section, key) DO UPDATE SET value = $3,"
	    " updated_at = now(), updated_by = $4"
	    " RETURNING jsonb_build_object('value', value)::text", 4, p, &after) < 0)
		goto out;
	struct change_row row = { "setting.set", "setting", name, NULL, NULL, NULL, before, after };
	if (change_note(&ch, &row) == 0 && change_end(&ch, 1) == 0)
		rc = 0;
out:
	if (rc != 0) {
		strbuf_appendf(err, "%s: %s", name, ch.error ? PQresultErrorMessage(ch.error) :
		    PQerrorMessage(c));
		if (PQtransactionStatus(c) != PQTRANS_IDLE)
			change_end(&ch, 0);
	}
	change_clear(&ch);
	free(canon), free(before), free(after);
	return rc;
}
