/*
 * token.h: API tokens: creation (CLI), lookup (every request), roles.
 *
 * A token is "prt_" and 64 hex digits from getrandom(2). Only its SHA-256
 * is stored; the secret is printed once by `postrouted token create`.
 *
 * SECURITY: lookups compare digests in SQL by equality on a unique index;
 * the secret itself never reaches the database or a log line.
 *
 * Node binding: an agent token speaks for its one node; a detector token
 * for the nodes listed when it was made (--node mx01,mx02), or for every
 * node when that list is "*" (given explicitly, or set by migration 0005
 * for detector tokens made before binding existed). token_may_report
 * decides; the list is read from the database (not cached: events are
 * rare, and the list may be long).
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

/* Creates a token; writes the secret to secret_out (>= 69 octets). node:
 * the agent's node, the detector's "NODE,NODE..." or "*", NULL for the
 * other roles. Returns 0 or -1 with err set. */
int token_create(PGconn *c, const char *name, const char *role, const char *node,
    const char *actor, char *secret_out, struct strbuf *err);
/* Revokes by name; returns 0, 1 when no such active token, -1 on error. */
int token_revoke(PGconn *c, const char *name, const char *actor, struct strbuf *err);

/* Appends one line per token (name, role, nodes, created, revoked) under a
 * header, and a note on each detector token bound to '*' by migration
 * 0005. Returns 0 or -1 with err set. */
int token_list(PGconn *c, struct strbuf *out, struct strbuf *err);
/* Appends the names of the active detector tokens that migration 0005
 * bound to '*', comma-separated; returns how many, or -1 with err set. */
int token_unbound(PGconn *c, struct strbuf *names, struct strbuf *err);
/* May token t report events about node? 1 yes, 0 no (why says so, naming
 * the node), -1 database error (why has the message). */
int token_may_report(PGconn *c, const struct token_info *t, const char *node,
    struct strbuf *why);

/* Looks a bearer secret up: 1 found (*out filled), 0 unknown or revoked,
 * -1 database error. A token the database found less than cache_ms ago is
 * answered from the cache, without a connection from the pool; cache_ms 0
 * always asks the database. Thread-safe. */
int token_authenticate(struct db_pool *pool, const char *secret, long long cache_ms,
    struct token_info *out);
/* Drops every cached lookup of the token named name. */
void token_cache_forget(const char *name);
/* The cache's clock: CLOCK_MONOTONIC milliseconds. A seam for tests,
 * which set it to a clock of their own to age entries without waiting;
 * nothing else assigns it. */
extern long long (*token_clock_ms)(void);

#endif
