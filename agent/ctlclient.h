/*
 * ctlclient.h: the agent's client of the controller API, for the feed
 * (feed.h), the report (below) and the detector's events (eventq.h).
 *
 * NAME
 *	ctlclient - controller requests with failover over several URLs
 *
 * DESCRIPTION
 *	ctlclient_call sends one request to a path of the API ("/v1/events").
 *	It starts with the URL that answered last and, on a transport error
 *	or a 5xx, tries the others in configured order, wrapping around, so
 *	a fleet of controllers behind several URLs is used in order with
 *	failover. A 4xx is not a reason to fail over (every controller
 *	shares the database): it is a final answer for the caller to read.
 *
 *	ctlclient_http_error words a final answer that is not the one
 *	wanted: "what: HTTP STATUS: the body's error".
 *
 *	ctlclient_report POSTs {version, status, error, step, durations_ms}
 *	to /v1/nodes/{node}/report: what the sync loop applied (sync.h).
 *
 * OWNERSHIP
 *	struct ctlclient keeps pointers to the caller's config strings
 *	and owns its HTTP handle (one per thread, as httpc.h asks). A
 *	response's body is the caller's (strbuf_clear).
 *
 * DIAGNOSTICS
 *	Never fatal. -1 with "METHOD URL: reason" for each URL tried,
 *	separated by "; ".
 *
 * SECURITY
 *	Faces the network. Bodies are capped by httpc (HTTPC_MAX_BODY). The
 *	bearer token goes only to the configured URLs (httpc follows no
 *	redirects). An error's text from a body is cut at 300 octets.
 */
#ifndef POSTROUTE_CTLCLIENT_H
#define POSTROUTE_CTLCLIENT_H

#include <stddef.h>

#include "agentconf.h"
#include "httpc.h"
#include "strbuf.h"

struct ctlclient {
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

struct ctlclient_report {
	long long version;
	const char *status;          /* "applied" or "failed" */
	const char *step;            /* failed step, or NULL */
	const char *error;           /* or NULL */
	const char *const *dur_names;    /* NULL-terminated, parallel to dur_ms */
	const long *dur_ms;
};

/* A client for the [agent] settings of cfg (borrowed). */
void ctlclient_init(struct ctlclient *cc, const struct agent_config *cfg,
    int (*abort_cb)(void *), void *abort_arg);
void ctlclient_clear(struct ctlclient *cc);

/*
 * One request to path (absolute: "/v1/events") with URL failover: 0 with
 * resp filled on a final answer (any status but 5xx), -1 when every URL
 * failed (reasons in err). resp->body is the caller's.
 */
int ctlclient_call(struct ctlclient *cc, const char *method, const char *path,
    const char *body, long timeout_ms, struct httpc_response *resp, struct strbuf *err);
/* The URL that gave the last final answer (or is tried first). */
const char *ctlclient_url(const struct ctlclient *cc);
/* "/v1/nodes/NODE" + tail, NODE escaped; caller frees. */
char *ctlclient_node_path(const struct ctlclient *cc, const char *tail);

/* Appends "what: HTTP STATUS: the body's error" to err. */
void ctlclient_http_error(const struct httpc_response *resp, const char *what,
    struct strbuf *err);

/* 0 when the controller took the report (200), else -1 with why in err. */
int ctlclient_report(struct ctlclient *cc, const struct ctlclient_report *r,
    struct strbuf *err);

#endif
