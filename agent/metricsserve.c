/*
 * metricsserve.c: GET /metrics for the agent (see metricsserve.h).
 *
 * Owns the libmicrohttpd daemon and nothing else; the text comes from
 * agentmetrics_render on each request.
 */
#include "metricsserve.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentmetrics.h"
#include "netaddr.h"
#include "xalloc.h"

#define METRICSSERVE_KEY "[agent] metrics_listen"

struct metricsserve {
	struct MHD_Daemon *d;
};

int
metricsserve_listen(const char *value, struct sockaddr_storage *ss, struct strbuf *err)
{
	char buf[300];

	if (value[0] != '\0' && strspn(value, "0123456789") == strlen(value)) {
		long port = strtol(value, NULL, 10);
		if (strlen(value) > 5 || port < 1 || port > 65535) {
			strbuf_appendf(err, "%s: \"%s\" is not a port (1-65535)", METRICSSERVE_KEY, value);
			return -1;
		}
		snprintf(buf, sizeof(buf), "127.0.0.1:%ld", port);
		value = buf;
	}
	memset(ss, 0, sizeof(*ss));
	return netaddr_listen_resolve(value, METRICSSERVE_KEY, ss, err);
}

static enum MHD_Result
metricsserve_answer(struct MHD_Connection *conn, unsigned code, char *body, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (code == 405)
		MHD_add_response_header(r, "Allow", "GET");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
metricsserve_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct strbuf sb = STRBUF_INIT;

	(void)cls, (void)version, (void)upload_data;
	if (*con_cls == NULL) {          /* headers only: wait for the body */
		*con_cls = conn;
		return MHD_YES;
	}
	if (*upload_size > 0) {          /* a body is read and ignored */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return metricsserve_answer(conn, 404, xstrdup("not found: GET /metrics\n"),
		    "text/plain; charset=utf-8");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return metricsserve_answer(conn, 405, xstrdup("method not allowed: GET /metrics\n"),
		    "text/plain; charset=utf-8");
	agentmetrics_render(&sb);
	return metricsserve_answer(conn, 200, strbuf_detach(&sb), "text/plain; version=0.0.4");
}

struct metricsserve *
metricsserve_start(const char *value, struct strbuf *err)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct metricsserve *m;

	if (metricsserve_listen(value, &ss, err) != 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m = xcalloc(1, sizeof(*m));
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, metricsserve_access, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)4,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_END);
	if (m->d == NULL) {
		strbuf_appendf(err, "%s: cannot listen on %s (address in use, or not this host's)",
		    METRICSSERVE_KEY, value);
		free(m);
		return NULL;
	}
	return m;
}

struct metricsserve *
metricsserve_stop(struct metricsserve *m)
{
	if (m != NULL) {
		MHD_stop_daemon(m->d);
		free(m);
	}
	return NULL;
}
