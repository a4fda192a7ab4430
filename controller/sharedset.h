/*
 * sharedset.h: the settings every controller on one database must agree on.
 *
 * The [policy] keys and [notify] stale_after and max_per_minute decide
 * what the fleet does: how long an automatic route lives, when automation
 * stops, when a node counts as stale, how many messages go out a minute.
 * Two controllers behind one load balancer that read different values
 * from their INI files would answer the same event differently, so these
 * keys live in the database (table shared_settings, migration 0008):
 *
 *   postrouted migrate   seeds every key that is absent from the INI
 *                        file it reads (sharedset_seed); a key already in
 *                        the database is left as it is
 *   at run time          the controller reads them from the database
 *                        (sharedset_load: the INI values overlaid by the
 *                        database's, for each event and housekeeping pass)
 *   at start             a controller whose INI file says otherwise warns
 *                        once per key (sharedset_compare): the database's
 *                        value is the one in force
 *   postrouted settings  shows them, and sets one with a history row
 *   GET/PUT /v1/settings (setting.set), see main.c and api_settings.c
 *
 * Values are stored as a file would write them ("6h", "20", "yes").
 */
#ifndef POSTROUTE_SHAREDSET_H
#define POSTROUTE_SHAREDSET_H

#include <libpq-fe.h>

#include "settings.h"
#include "strbuf.h"

/* "policy.auto_ttl", ..., NULL */
extern const char *const sharedset_names[];

/* The key of settings_keys named "section.key" when it is shared, or NULL. */
const struct config_key *sharedset_key(const char *name);
/* The value of k in s as an INI file writes it; caller frees. */
char *sharedset_format(const struct config_key *k, const struct settings *s);

/* Inserts the keys absent from the database with ini's values. Returns
 * how many, or -1 with err. */
int sharedset_seed(PGconn *c, const struct settings *ini, struct strbuf *err);
/* *out = *ini (strings borrowed from ini), with the database's values of
 * the shared keys. Returns 0, or -1 with err (then *out is *ini). */
int sharedset_load(PGconn *c, const struct settings *ini, struct settings *out, struct strbuf *err);
/* Appends one line to warn per shared key whose value in ini differs
 * from the database's. Returns the number of such keys, or -1 with err. */
int sharedset_compare(PGconn *c, const struct settings *ini, struct strbuf *warn, struct strbuf *err);
/* Sets one shared key ("policy.auto_ttl") to value as actor, with a
 * setting.set history row (request_id may be NULL), in one change.
 * Returns 0, 1 when the name or value is refused (why in err), -1 on a
 * database error (err). */
int sharedset_set(PGconn *c, const char *name, const char *value, const char *actor,
    const char *request_id, struct strbuf *err);

#endif
