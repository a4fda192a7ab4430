/*
 * feed.h: the agent's side of the controller API: long-poll the node's
 * transport feed and report what was applied.
 *
 * NAME
 *	feed - long-poll client with failover over several controller URLs
 *
 * DESCRIPTION
 *	feed_fetch asks GET {url}/v1/nodes/{node}/transport?after=V&wait=S.
 *	It starts with the URL that answered last and, on a transport error
 *	or a 5xx, tries the others in configured order, wrapping around, so
 *	a fleet of controllers behind several URLs is used in order with
 *	failover. A 4xx is not a reason to fail over (every controller
 *	shares the database): it is returned as an error.
 *
 *	feed_parse turns a 200 body into struct feed; unknown fields are
 *	ignored as docs/api.md asks. It checks shapes and types only; the
 *	caller validates values (render.h for entries, catalogue_merge for
 *	providers, validate_sender for holds, classify_add_specs for rules).
 *	"providers", "holds" and "rules" are optional (an older controller
 *	sends none of them); a rule whose fields have the wrong types is
 *	kept with those fields NULL, for the classifier to skip and report.
 *
 *	feed_report POSTs {version, status, error, step, durations_ms}.
 *
 * OWNERSHIP
 *	struct feed_client keeps pointers to the caller's config strings
 *	and owns its HTTP handle. struct feed owns its entries: feed_release.
 *
 * DIAGNOSTICS
 *	Never fatal. FEED_ERROR with "URL: reason" for each URL tried.
 *
 * SECURITY
 *	Faces the network. Bodies are capped by httpc (HTTPC_MAX_BODY),
 *	parsed by jansson, and nothing from them is trusted before render
 *	validates it. The bearer token goes only to the configured URLs
 *	(httpc follows no redirects).
 */
#ifndef POSTROUTE_FEED_H
#define POSTROUTE_FEED_H

#include <stddef.h>

#include "agentconf.h"
#include "httpc.h"
#include "render.h"
#include "strbuf.h"

/* FEED_BAD: a 200 whose body is not a valid feed (out->version is its
 * version when that much parsed, else -1; no entries). */
enum feed_result { FEED_BAD = -2, FEED_ERROR = -1, FEED_SAME = 0, FEED_NEW = 1 };

struct feed_client {
	char **urls;                 /* borrowed */
	size_t nurls;
	size_t cur;                  /* index of the URL that answered last */
	const char *node;
	const char *token;
	const struct httpc_tls *tls; /* borrowed: the config's CA and client certificate */
	long connect_timeout_ms;
	long request_timeout_ms;     /* added to the wait for long-polls */
	int (*abort_cb)(void *);     /* see httpc.h; may be NULL */
	void *abort_arg;
	struct httpc *http;          /* owned */
};

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

struct feed_report {
	long long version;
	const char *status;          /* "applied" or "failed" */
	const char *step;            /* failed step, or NULL */
	const char *error;           /* or NULL */
	const char *const *dur_names;    /* NULL-terminated, parallel to dur_ms */
	const long *dur_ms;
};

void feed_client_init(struct feed_client *fc);
/* feed_client_init for the [agent] settings of cfg (borrowed). */
void feed_client_from_config(struct feed_client *fc, const struct agent_config *cfg,
    int (*abort_cb)(void *), void *abort_arg);
void feed_client_release(struct feed_client *fc);

enum feed_result feed_fetch(struct feed_client *fc, long long after, int wait_s,
    struct feed *out, struct strbuf *err);
int feed_parse(const char *body, const char *node, struct feed *out,
    struct strbuf *err);
void feed_release(struct feed *f);
/* Frees n strings and the array (NULL: nothing). */

/*
 * One request to path (absolute: "/v1/events") with the client's URL
 * failover: 0 with resp filled on a final answer (any status but 5xx),
 * -1 when every URL failed (reasons in err). resp->body is the caller's.
 */
int feed_call(struct feed_client *fc, const char *method, const char *path,
    const char *body, long timeout_ms, struct httpc_response *resp, struct strbuf *err);

/* Appends "what: HTTP STATUS: the body's error" to err. */
void feed_http_error(const struct httpc_response *resp, const char *what, struct strbuf *err);

int feed_report_send(struct feed_client *fc, const struct feed_report *r,
    struct strbuf *err);

#endif
