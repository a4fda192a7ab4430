/*
 * token.h: API tokens: creation (CLI), lookup (every request), roles.
 *
 * A token is "prt_" and 64 hex digits from getrandom(2). Only its SHA-256
 * is stored; the secret is printed once by `postrouted token create`.
 *
 * SECURITY: lookups compare digests in SQL by equality on a unique index;
 * the secret itself never reaches the database or a log line.
 *
 * Lookup cache: token_authenticate may answer from a process-wide cache of
 * lookups that found an active token, keyed by the secret's digest (never
 * the secret), for at most [server] token_cache after the database was
 * asked. Unknown and revoked tokens are never cached: they go to the
 * database on every request. token_create and token_revoke drop the name
 * from their own process's cache at once; today they run in `postrouted
 * token`, a process of its own, so a serving controller sees a revocation
 * when its entry expires.
 */
#ifndef POSTROUTE_TOKEN_H
#define POSTROUTE_TOKEN_H

#include <libpq-fe.h>

#include "db.h"
#include "strbuf.h"

enum token_role { ROLE_ADMIN, ROLE_OPERATOR, ROLE_DETECTOR, ROLE_AGENT, ROLE_VIEWER };

struct token_info {
	char name[64];
	enum token_role role;
	char node[64];     /* agent tokens only, else "" */
};

int token_role_parse(const char *s, enum token_role *out);
const char *token_role_name(enum token_role r);

/* Creates a token; writes the secret to secret_out (>= 69 octets).
 * Returns 0 or -1 with err set. */
int token_create(PGconn *c, const char *name, const char *role, const char *node,
    const char *actor, char *secret_out, struct strbuf *err);
/* Revokes by name; returns 0, 1 when no such active token, -1 on error. */
int token_revoke(PGconn *c, const char *name, const char *actor, struct strbuf *err);

/* Looks a bearer secret up: 1 found (*out filled), 0 unknown or revoked,
 * -1 database error. A token the database found less than cache_ms ago is
 * answered from the cache, without a connection from the pool; cache_ms 0
 * always asks the database. Thread-safe. */
int token_authenticate(struct db_pool *pool, const char *secret, long long cache_ms,
    struct token_info *out);
/* Drops every cached lookup of the token named name. */
void token_cache_forget(const char *name);

#endif
