/*
 * client.h: the CLI's calls to the postroute API.
 *
 * One call = one HTTP request with the bearer token, a JSON body built by
 * the caller (jansson, never by hand) and the answer parsed as JSON. The
 * result is already the CLI's exit status: CLIENT_OK for 2xx;
 * CLIENT_FAILED when the API refused the operation (400, 404, 409, ...),
 * with the API's "error" message; CLIENT_UNREACHABLE when the controller
 * cannot be reached, does not answer in time, answers 503 (its database is
 * down), or the token is refused (401, 403).
 *
 * Ownership: *out belongs to the caller (json_decref). Nothing is fatal.
 */
#ifndef POSTROUTE_CLI_CLIENT_H
#define POSTROUTE_CLI_CLIENT_H

#include <jansson.h>

#include "httpc_tls.h"
#include "strbuf.h"

enum client_exit {
	CLIENT_OK = 0,
	CLIENT_FAILED = 1,
	CLIENT_USAGE = 2,
	CLIENT_UNREACHABLE = 3,
};

struct client;

/* Takes over tls's material (tls is left empty); tls may be NULL. */
struct client *client_new(const char *url, const char *token, struct httpc_tls *tls);
struct client *client_free(struct client *c);

/*
 * METHOD url+path. body may be NULL. On CLIENT_OK *out (if out) is the
 * parsed body or NULL when empty; *status (if status) is the HTTP status,
 * 0 when no answer came. Otherwise err gets one line.
 */
int client_call(struct client *c, const char *method, const char *path,
    const json_t *body, json_t **out, long *status, struct strbuf *err);

/* Appends s percent-encoded, for paths and query values. */
void client_escape(struct strbuf *path, const char *s);

#endif
