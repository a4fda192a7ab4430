/*
 * token.c: token storage and lookup.
 */
#include "token.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "db.h"
#include "sha256.h"
#include "validate.h"

static const char *const role_names[] = { "admin", "operator", "detector", "agent", "viewer" };

int
token_role_parse(const char *s, enum token_role *out)
{
	for (int i = 0; i < 5; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum token_role)i;
			return 0;
		}
	}
	return -1;
}

const char *
token_role_name(enum token_role r)
{
	return role_names[r];
}

static int
token_random(char *secret_out, struct strbuf *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		strbuf_append(err, "getrandom failed");
		return -1;
	}
	memcpy(secret_out, "prt_", 4);
	for (int i = 0; i < 32; i++) {
		secret_out[4 + 2 * i] = hex[raw[i] >> 4];
		secret_out[5 + 2 * i] = hex[raw[i] & 15];
	}
	secret_out[68] = '\0';
	return 0;
}

static int
token_check_args(const char *name, const char *role, const char *node, struct strbuf *err)
{
	enum token_role r;
	const char *why;

	if ((why = validate_name(name)) != NULL) {
		strbuf_appendf(err, "--name: %s", why);
		return -1;
	}
	if (token_role_parse(role, &r) != 0) {
		strbuf_appendf(err, "--role: must be admin, operator, detector, agent or viewer");
		return -1;
	}
	if ((r == ROLE_AGENT) != (node != NULL)) {
		strbuf_append(err, r == ROLE_AGENT ? "--node: required for an agent token"
		    : "--node: only agent tokens are bound to a node");
		return -1;
	}
	if (node != NULL && (why = validate_name(node)) != NULL) {
		strbuf_appendf(err, "--node: %s", why);
		return -1;
	}
	return 0;
}

int
token_create(PGconn *c, const char *name, const char *role, const char *node,
    const char *actor, char *secret_out, struct strbuf *err)
{
	char digest[SHA256_HEX_LEN + 1];
	PGresult *r;

	if (token_check_args(name, role, node, err) != 0 || token_random(secret_out, err) != 0)
		return -1;
	sha256_hex(secret_out, strlen(secret_out), digest);
	const char *p[] = { name, role, node, digest, actor };
	r = db_query(c,
	    "WITH t AS (INSERT INTO tokens (name, role, node, secret_sha256)"
	    " VALUES ($1, $2, $3, $4) RETURNING name, role, node, created_at)"
	    " INSERT INTO history (actor, action, object_type, object, node, after)"
	    " SELECT $5, 'token.create', 'token', t.name, t.node,"
	    "  jsonb_build_object('name', t.name, 'role', t.role, 'node', t.node) FROM t",
	    5, p);
	if (!db_ok(r)) {
		const char *m = PQresultErrorMessage(r);
		if (db_class(c, r) == DB_CONFLICT)
			strbuf_appendf(err, "a token named \"%s\" exists", name);
		else
			strbuf_appendf(err, "%.*s", (int)strcspn(m, "\n"), m);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

int
token_revoke(PGconn *c, const char *name, const char *actor, struct strbuf *err)
{
	const char *p[] = { name, actor };
	PGresult *r = db_query(c,
	    "WITH t AS (UPDATE tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL"
	    " RETURNING name, role, node)"
	    " INSERT INTO history (actor, action, object_type, object, node, before)"
	    " SELECT $2, 'token.revoke', 'token', t.name, t.node,"
	    "  jsonb_build_object('name', t.name, 'role', t.role, 'node', t.node) FROM t",
	    2, p);
	int rc;

	if (!db_ok(r)) {
		strbuf_append(err, PQresultErrorMessage(r));
		rc = -1;
	} else {
		rc = strcmp(PQcmdTuples(r), "0") == 0 ? 1 : 0;
	}
	PQclear(r);
	return rc;
}

int
token_lookup(PGconn *c, const char *secret, struct token_info *out)
{
	char digest[SHA256_HEX_LEN + 1];
	const char *p[1] = { digest };
	PGresult *r;
	int rc = 0;

	sha256_hex(secret, strlen(secret), digest);
	r = db_query(c, "SELECT name, role, coalesce(node, '') FROM tokens"
	    " WHERE secret_sha256 = $1 AND revoked_at IS NULL", 1, p);
	if (!db_ok(r)) {
		rc = -1;
	} else if (PQntuples(r) == 1) {
		snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 0));
		snprintf(out->node, sizeof(out->node), "%s", PQgetvalue(r, 0, 2));
		rc = token_role_parse(PQgetvalue(r, 0, 1), &out->role) == 0 ? 1 : 0;
	}
	PQclear(r);
	return rc;
}
