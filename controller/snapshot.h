/*
 * snapshot.h: one routing version, read whole, for rendering feeds.
 *
 * A snapshot holds the version, every node's role, every route's
 * transport entries (domain, nexthop, provider, scope), the provider
 * catalogue, the held senders and the classifier rules, read in one
 * repeatable-read transaction. It is immutable once loaded and shared by
 * reference count: the long-poll (longpoll.h) keeps the newest, each
 * request holds the one it renders from.
 */
#ifndef POSTROUTE_SNAPSHOT_H
#define POSTROUTE_SNAPSHOT_H

#include <jansson.h>
#include <libpq-fe.h>

#include "strbuf.h"

struct snapshot_entry {
	char *domain;     /* "gmail.com" or ".gmail.com" */
	char *nexthop;
	char *provider;
	char *scope;      /* "*" or a node name */
};

struct snapshot_node {
	char *name;
	int is_relay;
};

struct snapshot {
	long long version;
	json_t *providers;                 /* [{"name","domains","mx_patterns","include_subdomains"}] */
	json_t *holds;                     /* ["sender", ...], sorted bytewise */
	json_t *rules;                     /* [{"name","pattern","class","reroutable","provider"}] */
	int refs;                          /* under the owner's lock */
	struct snapshot_entry *entries;    /* sorted by domain */
	size_t nentries;
	struct snapshot_node *nodes;       /* sorted by name */
	size_t nnodes;
	char *providers_text;              /* providers as compact JSON */
	char *holds_text;                  /* holds as compact JSON */
	char *rules_text;                  /* rules as compact JSON */
	char *shared_entries_text[2];      /* entries of a server [0] / relay [1]
	                                    * node without routes of its own */
};

/* Reads the current state through c (inside the caller's transaction if
 * one is open). Returns NULL with err set on a database error. */
struct snapshot *snapshot_load(PGconn *c, struct strbuf *err);
void snapshot_free(struct snapshot *s);

/* The node, or NULL when unknown. */
const struct snapshot_node *snapshot_node(const struct snapshot *s, const char *name);

/* The node's effective entries as a JSON array (new reference): a
 * node-scoped route wins over the "*" route of its provider; "*" routes
 * apply to server nodes only. */
json_t *snapshot_entries_json(const struct snapshot *s, const char *node);

/* The provider catalogue (new reference), for agents' log attribution. */
json_t *snapshot_providers_json(const struct snapshot *s);

/* A node's feed body as compact JSON (caller frees):
 * {"node","version","entries","providers","holds","rules"}; every node
 * gets the same "holds" and "rules". node is a valid object name
 * (nothing to escape). Nodes without routes of their own share text
 * serialised once per snapshot, so waking thousands of feeds does not
 * build and serialise the same JSON thousands of times. */
char *snapshot_feed_text(const struct snapshot *s, const char *node);

/* Per-node differences between two snapshots, as the dry-run "changes"
 * array: [{"node", "removed": [...], "added": [...]}] for nodes that differ. */
json_t *snapshot_diff_json(const struct snapshot *before, const struct snapshot *after);

#endif
