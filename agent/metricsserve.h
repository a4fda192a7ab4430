/*
 * metricsserve.h: the agent's GET /metrics listener ([agent] metrics_listen).
 *
 * NAME
 *	metricsserve - serve agentmetrics over HTTP with libmicrohttpd
 *
 * DESCRIPTION
 *	metricsserve_listen turns the key's value into an address: "PORT"
 *	alone is 127.0.0.1:PORT (loopback unless an address is given),
 *	"HOST:PORT" or "[V6]:PORT" a numeric address. metricsserve_start
 *	binds it and answers GET /metrics (text format 0.0.4) from its own
 *	thread; any other path is 404, any other method 405. No token: the
 *	series say which providers and relays this node uses, nothing more.
 *	It runs in the unprivileged process when [agent] user is set
 *	(privsep.h): started after the split, it never holds root.
 *
 * OWNERSHIP
 *	struct metricsserve owns the daemon: metricsserve_stop.
 *
 * DIAGNOSTICS
 *	-1/NULL with the reason in err ("[agent] metrics_listen: ...").
 */
#ifndef POSTROUTE_METRICSSERVE_H
#define POSTROUTE_METRICSSERVE_H

#include <sys/socket.h>

#include "strbuf.h"

struct metricsserve;

int metricsserve_listen(const char *value, struct sockaddr_storage *ss, struct strbuf *err);
struct metricsserve *metricsserve_start(const char *value, struct strbuf *err);
/* Stops the thread and frees; returns NULL. */
struct metricsserve *metricsserve_stop(struct metricsserve *m);

#endif
