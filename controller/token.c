/*
 * token.c: token storage, lookup, and the cache of successful lookups.
 *
 * The cache is this file's static state, shared by the HTTP worker threads
 * under one mutex: a hash table over a fixed array of TOKEN_CACHE_MAX
 * entries, each also linked in the order its token was found in the
 * database, which is the order they expire in; a full cache drops its
 * oldest entry. Links are an entry's index + 1 (0: none), so the zeroed
 * static storage is an empty cache and costs no memory until used.
 */
#include "token.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "metrics.h"
#include "monotime.h"
#include "sha256.h"
#include "validate.h"
#include "xalloc.h"

#define TOKEN_CACHE_MAX 16384            /* entries */
#define TOKEN_CACHE_BUCKETS 32768        /* a power of two */

struct token_cached {
	char digest[SHA256_HEX_LEN];     /* hex, no NUL */
	struct token_info info;
	long long asked_ms;              /* CLOCK_MONOTONIC, before the database was asked */
	int chain;                       /* next in its bucket, or in the free list */
	int older, newer;                /* in the order found */
};

static struct {
	pthread_mutex_t lock;
	struct token_cached entry[TOKEN_CACHE_MAX];
	int bucket[TOKEN_CACHE_BUCKETS];
	int used;                        /* entries handed out at least once */
	int free;                        /* dropped entries, through chain */
	int oldest, newest;
	unsigned long generation;        /* bumped by every token_cache_forget */
} token_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the lookup cache: get, put and forget take the lock, the rest run under it ---- */

static long long
token_now_ms(void)
{
	return monotime_ms();
}

long long (*token_clock_ms)(void) = token_now_ms;

static struct token_cached *
token_cache_at(int link)
{
	return &token_cache.entry[link - 1];
}

/* The digest is SHA-256 in lower-case hex: its first 8 digits are as good
 * as any hash. */
static unsigned
token_cache_hash(const char *digest)
{
	unsigned h = 0;

	for (int i = 0; i < 8; i++)
		h = h << 4 | (unsigned)(digest[i] <= '9' ? digest[i] - '0' : digest[i] - 'a' + 10);
	return h & (TOKEN_CACHE_BUCKETS - 1);
}

static int
token_cache_find(const char *digest)
{
	int e = token_cache.bucket[token_cache_hash(digest)];

	while (e != 0 && memcmp(token_cache_at(e)->digest, digest, SHA256_HEX_LEN) != 0)
		e = token_cache_at(e)->chain;
	return e;
}

/* Unlinks entry e from its bucket and from the order, onto the free list. */
static void
token_cache_drop(int e)
{
	struct token_cached *x = token_cache_at(e);
	int *p = &token_cache.bucket[token_cache_hash(x->digest)];

	while (*p != e)
		p = &token_cache_at(*p)->chain;
	*p = x->chain;
	if (x->older != 0)
		token_cache_at(x->older)->newer = x->newer;
	else
		token_cache.oldest = x->newer;
	if (x->newer != 0)
		token_cache_at(x->newer)->older = x->older;
	else
		token_cache.newest = x->older;
	x->chain = token_cache.free;
	token_cache.free = e;
}

/* A free entry, after dropping the oldest one when every entry is in use. */
static int
token_cache_take(void)
{
	int e;

	if (token_cache.free == 0 && token_cache.used == TOKEN_CACHE_MAX)
		token_cache_drop(token_cache.oldest);
	if (token_cache.free == 0)
		return ++token_cache.used;
	e = token_cache.free;
	token_cache.free = token_cache_at(e)->chain;
	return e;
}

/* Adds a digest that is not in the cache, as the newest entry. */
static void
token_cache_add(const char *digest, const struct token_info *info, long long asked_ms)
{
	int e = token_cache_take();
	struct token_cached *x = token_cache_at(e);
	unsigned b = token_cache_hash(digest);

	memcpy(x->digest, digest, SHA256_HEX_LEN);
	x->info = *info;
	x->asked_ms = asked_ms;
	x->chain = token_cache.bucket[b];
	token_cache.bucket[b] = e;
	x->older = token_cache.newest;
	x->newer = 0;
	if (token_cache.newest != 0)
		token_cache_at(token_cache.newest)->newer = e;
	else
		token_cache.oldest = e;
	token_cache.newest = e;
}

/* 1 with *out when the database was asked for the digest less than ttl_ms
 * ago; else 0 with the generation a lookup made now must be stored under. */
static int
token_cache_get(const char *digest, long long ttl_ms, struct token_info *out,
    unsigned long *generation)
{
	int e, hit = 0;

	pthread_mutex_lock(&token_cache.lock);
	if ((e = token_cache_find(digest)) != 0) {
		if (token_clock_ms() - token_cache_at(e)->asked_ms < ttl_ms) {
			*out = token_cache_at(e)->info;
			hit = 1;
		} else {
			token_cache_drop(e);
		}
	}
	*generation = token_cache.generation;
	pthread_mutex_unlock(&token_cache.lock);
	return hit;
}

/* Stores a lookup that found the token, begun at asked_ms, unless a token
 * was forgotten since it began (it may have read the row just before a
 * revocation). Timed from before the query, an entry cannot outlive a
 * revocation committed after the query's snapshot by more than the TTL. */
static void
token_cache_put(const char *digest, const struct token_info *info, unsigned long generation,
    long long asked_ms)
{
	int e;

	pthread_mutex_lock(&token_cache.lock);
	if (generation == token_cache.generation) {
		if ((e = token_cache_find(digest)) != 0)
			token_cache_drop(e);
		token_cache_add(digest, info, asked_ms);
	}
	pthread_mutex_unlock(&token_cache.lock);
}

void
token_cache_forget(const char *name)
{
	pthread_mutex_lock(&token_cache.lock);
	token_cache.generation++;
	for (int e = token_cache.oldest, next; e != 0; e = next) {
		next = token_cache_at(e)->newer;
		if (strcmp(token_cache_at(e)->info.name, name) == 0)
			token_cache_drop(e);
	}
	pthread_mutex_unlock(&token_cache.lock);
}

/* ---- storage ---- */

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

#define TOKEN_NODES_MAX 1000

/* A detector's --node: "*" alone, or distinct node names separated by
 * commas. */
static int
token_check_nodes(const char *list, struct strbuf *err)
{
	struct strbuf seen = STRBUF_INIT;
	const char *p = list, *why;
	int rc = 0, n = 0;

	if (strcmp(list, "*") == 0)
		return 0;
	strbuf_appendc(&seen, ',');
	while (rc == 0) {
		char *name = xstrndup(p, strcspn(p, ","));
		char *mark = xasprintf(",%s,", name);
		if (strcmp(name, "*") == 0) {
			strbuf_append(err, "--node: '*' (every node) stands alone, not in a list");
			rc = -1;
		} else if ((why = validate_name(name)) != NULL) {
			strbuf_appendf(err, "--node: \"%s\" %s", name, why);
			rc = -1;
		} else if (strstr(strbuf_str(&seen), mark) != NULL) {
			strbuf_appendf(err, "--node: %s is listed twice", name);
			rc = -1;
		} else if (++n > TOKEN_NODES_MAX) {
			strbuf_appendf(err, "--node: more than %d nodes; use '*' for every node",
			    TOKEN_NODES_MAX);
			rc = -1;
		}
		strbuf_append(&seen, mark + 1);
		p += strlen(name);
		free(name), free(mark);
		if (*p++ == '\0')
			break;
	}
	strbuf_clear(&seen);
	return rc;
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
	if (r == ROLE_DETECTOR) {
		if (node == NULL) {
			strbuf_append(err, "--node: required for a detector token: name the nodes it may"
			    " report for (--node mx01,mx02) or give --node '*' for every node");
			return -1;
		}
		return token_check_nodes(node, err);
	}
	if ((r == ROLE_AGENT) != (node != NULL)) {
		strbuf_append(err, r == ROLE_AGENT ? "--node: required for an agent token"
		    : "--node: only agent and detector tokens are bound to nodes");
		return -1;
	}
	if (node != NULL && (why = validate_name(node)) != NULL) {
		strbuf_appendf(err, "--node: %s%s", why,
		    strchr(node, ',') ? " (an agent token is bound to one node)" : "");
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
	int detector = strcmp(role, "detector") == 0;
	const char *p[] = { name, role, detector ? NULL : node, digest, actor, detector ? node : NULL };
	r = db_query(c,
	    "WITH t AS (INSERT INTO tokens (name, role, node, secret_sha256, nodes)"
	    " VALUES ($1, $2, $3, $4, string_to_array($6, ','))"
	    " RETURNING name, role, node, nodes, created_at)"
	    " INSERT INTO history (actor, action, object_type, object, node, after)"
	    " SELECT $5, 'token.create', 'token', t.name, t.node,"
	    "  jsonb_build_object('name', t.name, 'role', t.role, 'node', t.node, 'nodes', t.nodes)"
	    " FROM t", 6, p);
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
	token_cache_forget(name);
	return 0;
}

int
token_revoke(PGconn *c, const char *name, const char *actor, struct strbuf *err)
{
	const char *p[] = { name, actor };
	PGresult *r = db_query(c,
	    "WITH t AS (UPDATE tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL"
	    " RETURNING name, role, node, nodes)"
	    " INSERT INTO history (actor, action, object_type, object, node, before)"
	    " SELECT $2, 'token.revoke', 'token', t.name, t.node,"
	    "  jsonb_build_object('name', t.name, 'role', t.role, 'node', t.node, 'nodes', t.nodes)"
	    " FROM t",
	    2, p);
	int rc;

	if (!db_ok(r)) {
		strbuf_append(err, PQresultErrorMessage(r));
		rc = -1;
	} else {
		rc = strcmp(PQcmdTuples(r), "0") == 0 ? 1 : 0;
	}
	PQclear(r);
	/* after the commit: a lookup that read the row before it is not stored */
	token_cache_forget(name);
	return rc;
}

/* The first line of a failed statement's message. */
static void
token_db_error(PGresult *r, struct strbuf *err)
{
	const char *m = PQresultErrorMessage(r);

	strbuf_appendf(err, "%.*s", (int)strcspn(m, "\n"), m);
}

int
token_list(PGconn *c, struct strbuf *out, struct strbuf *err)
{
	PGresult *r = db_query(c, "SELECT name, role, coalesce(node, array_to_string(nodes, ','), '-'),"
	    " rfc3339(created_at), coalesce(rfc3339(revoked_at), '-'), nodes_by_migration"
	    " AND revoked_at IS NULL FROM tokens ORDER BY name", 0, NULL);

	if (!db_ok(r)) {
		token_db_error(r, err);
		PQclear(r);
		return -1;
	}
	strbuf_appendf(out, "%-24s %-9s %-24s %-24s %s\n", "NAME", "ROLE", "NODES", "CREATED", "REVOKED");
	for (int i = 0; i < PQntuples(r); i++)
		strbuf_appendf(out, "%-24s %-9s %-24s %-24s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	for (int i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 5), "t") == 0)
			strbuf_appendf(out, "warning: detector token %s was made before tokens were bound to"
			    " nodes and may report for every node ('*'): create one with --node NODE,..."
			    " and revoke it\n", PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return 0;
}

int
token_unbound(PGconn *c, struct strbuf *names, struct strbuf *err)
{
	PGresult *r = db_query(c, "SELECT name FROM tokens WHERE nodes_by_migration"
	    " AND revoked_at IS NULL ORDER BY name", 0, NULL);
	int n;

	if (!db_ok(r)) {
		token_db_error(r, err);
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	for (int i = 0; i < n; i++)
		strbuf_appendf(names, "%s%s", i ? ", " : "", PQgetvalue(r, i, 0));
	PQclear(r);
	return n;
}

int
token_may_report(PGconn *c, const struct token_info *t, const char *node, struct strbuf *why)
{
	const char *p[] = { t->name, node };
	PGresult *r;
	int rc;

	if (t->role == ROLE_AGENT && strcmp(t->node, node) != 0) {
		strbuf_appendf(why, "token \"%s\" is bound to node %s, not %s", t->name, t->node, node);
		return 0;
	}
	if (t->role != ROLE_DETECTOR)
		return 1;
	r = db_query(c, "SELECT nodes = '{*}' OR $2 = ANY (nodes) FROM tokens WHERE name = $1", 2, p);
	if (!db_ok(r)) {
		token_db_error(r, why);
		rc = -1;
	} else {
		rc = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		if (rc == 0)
			strbuf_appendf(why, "token \"%s\" may not report for node %s (not among the nodes"
			    " it is bound to)", t->name, node);
	}
	PQclear(r);
	return rc;
}

/* 1 found, 0 unknown/revoked, -1 database error. */
static int
token_lookup(PGconn *c, const char *digest, struct token_info *out)
{
	const char *p[1] = { digest };
	PGresult *r;
	int rc = 0;

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

int
token_authenticate(struct db_pool *pool, const char *secret, long long cache_ms,
    struct token_info *out)
{
	char digest[SHA256_HEX_LEN + 1];
	unsigned long generation = 0;
	long long asked_ms;
	PGconn *c;
	int found;

	sha256_hex(secret, strlen(secret), digest);
	if (cache_ms > 0 && token_cache_get(digest, cache_ms, out, &generation)) {
		metrics_count_token_lookup(1);
		return 1;
	}
	asked_ms = token_clock_ms();
	c = db_acquire(pool);
	found = token_lookup(c, digest, out);
	db_release(pool, c);
	metrics_count_token_lookup(0);
	if (found == 1 && cache_ms > 0)
		token_cache_put(digest, out, generation, asked_ms);
	return found;
}
