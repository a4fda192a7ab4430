/*
 * token.h: API tokens: creation (CLI), lookup (every request), roles.
 *
 * A token is "prt_" and 64 hex digits from getrandom(2). Only its SHA-256
 * is stored; the secret is printed once by `postrouted token create`.
 *
 * SECURITY: lookups compare digests in SQL by equality on a unique index;
 * the secret itself never reaches the database or a log line.
 */
#ifndef POSTROUTE_TOKEN_H
#define POSTROUTE_TOKEN_H

#include <libpq-fe.h>

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

/* 1 found, 0 unknown/revoked, -1 database error. */
int token_lookup(PGconn *c, const char *secret, struct token_info *out);

#endif
