/*
 * feed.h: the node's transport feed: long-poll it and parse it.
 *
 * NAME
 *	feed - fetch and parse the node's feed
 *
 * DESCRIPTION
 *	feed_fetch asks GET {url}/v1/nodes/{node}/transport?after=V&wait=S
 *	through the controller client (ctlclient.h: URL failover, error
 *	text); after = -1 asks for the feed at once (no long-poll).
 *
 *	feed_parse turns a 200 body into struct feed; unknown fields are
 *	ignored as docs/api.md asks. It checks shapes and types only; the
 *	caller validates values (render.h for entries, catalogue_merge for
 *	providers, validate_sender for holds, classify_add_specs for rules).
 *	"providers", "holds" and "rules" are optional (an older controller
 *	sends none of them); a rule whose fields have the wrong types is
 *	kept with those fields NULL, for the classifier to skip and report.
 *
 * OWNERSHIP
 *	struct feed owns its entries: feed_clear.
 *
 * DIAGNOSTICS
 *	Never fatal. FEED_ERROR with ctlclient's reasons, or "feed: HTTP
 *	STATUS: error" for a 4xx; FEED_BAD with the first field found wrong.
 *
 * SECURITY
 *	Faces the network. Bodies are capped by httpc (HTTPC_MAX_BODY),
 *	parsed by jansson, and nothing from them is trusted before render
 *	validates it.
 */
#ifndef POSTROUTE_FEED_H
#define POSTROUTE_FEED_H

#include <stddef.h>

#include "ctlclient.h"
#include "render.h"
#include "strbuf.h"

/* FEED_BAD: a 200 whose body is not a valid feed (out->version is its
 * version when that much parsed, else -1; no entries). */
enum feed_result { FEED_BAD = -2, FEED_ERROR = -1, FEED_SAME = 0, FEED_NEW = 1 };

/* One provider of the controller's catalogue (feed "providers"). */
struct feed_provider {
	char *name;
	char **domains;
	size_t ndomains;
	char **mx_patterns;
	size_t nmx;
};

/* One classifier rule of the controller (feed "rules"); a field of the
 * wrong type is NULL, so that the rule is skipped, not the feed refused. */
struct feed_rule {
	char *name;
	char *pattern;
	char *cls;
	char *reroutable;
	char *provider;                /* NULL: every provider */
};

struct feed {
	long long version;
	struct render_entry *entries;
	size_t n;
	struct feed_provider *providers;   /* absent in the body: none */
	size_t nproviders;
	char **holds;                      /* senders to hold ("holds") */
	size_t nholds;
	struct feed_rule *rules;           /* classifier rules ("rules") */
	size_t nrules;
	int has_rules;                     /* the body had "rules" */
	char *warning;                     /* set by sync's on_feed: reported with
	                                    * an "applied" report, or NULL */
};

enum feed_result feed_fetch(struct ctlclient *cc, long long after, int wait_s,
    struct feed *out, struct strbuf *err);
int feed_parse(const char *body, const char *node, struct feed *out,
    struct strbuf *err);
void feed_clear(struct feed *f);
/* Frees n strings and the array (NULL: nothing). */

#endif
