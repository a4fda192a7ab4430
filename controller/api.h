/*
 * api.h: what each path means: routing, authentication, handlers.
 *
 * api_admit matches the path against one table of endpoints (method,
 * pattern, roles, handler) and answers 404/405/401/403/429 itself, as soon
 * as the headers are in; api_dispatch then calls the handler with the
 * authenticated request and its whole body. The two are the HTTP
 * server's router (api_router, given to http_start by main.c): http.c
 * knows no endpoint and includes nothing of this module. Handlers fill a
 * struct http_reply and never abort on bad input: they answer 400 with
 * the field's name.
 * The helpers below are for handlers (api_*.c) only.
 */
#ifndef POSTROUTE_API_H
#define POSTROUTE_API_H

#include <jansson.h>

#include "db.h"
#include "http.h"

enum api_result { API_DONE, API_SUSPENDED };

/* Matches the path and checks the token, from the headers alone (before
 * any body is read): 0 when the request may go on, else -1 with the
 * answer (400-405, 429, 503) in rep. Sets req->endpoint and req->token. */
int api_admit(struct app *app, struct http_request *req, struct http_reply *rep);
/* Runs the admitted request's handler (the body is whole by then). */
enum http_result api_dispatch(struct app *app, struct http_request *req, struct http_reply *rep);
/* { api_admit, api_dispatch } for http_start. */
extern const struct http_router api_router;
void api_metrics_init(void);

void api_error(struct http_reply *rep, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers 429 with Retry-After: retry_s and the message as the error. */
void api_too_many(struct http_reply *rep, long retry_s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers status with o as body (steals the reference). */
void api_json(struct http_reply *rep, int status, json_t *o);
/* Answers for a failed query: 503 when the database is down, 409 on a
 * conflict, else 500; logs the server's message. */
void api_db_error(struct http_reply *rep, PGconn *c, PGresult *r, const char *what);

/* The body as a JSON object whose keys are all in allowed (NULL-ended);
 * NULL after answering 400. */
json_t *api_body(struct http_request *req, struct http_reply *rep, const char *const *allowed);
/* Field getters: 0 ok (absent optional fields leave *out alone), -1 after
 * answering 400 naming the field. */
int api_string(json_t *o, const char *key, int required, const char **out, struct http_reply *rep);
int api_int(json_t *o, const char *key, int required, long long min, long long max,
    long long *out, struct http_reply *rep);
int api_bool(json_t *o, const char *key, int required, int *out, struct http_reply *rep);
/* A free-text reason: printable, at most 1000 octets; "" when absent and
 * not required. */
int api_reason(const char *value, int required, const char *field, struct http_reply *rep);
/* A path or query name that must be an object name. */
int api_name(const char *value, const char *field, struct http_reply *rep);

/* Answers 200 with the JSON document that sql (one row, one column)
 * returns on c, or with api_db_error naming what. */
void api_reply_doc(PGconn *c, struct http_reply *rep, const char *what, const char *sql,
    int nparams, const char *const *params);

/* Parses a JSON text column (jsonb from SQL) into a new reference. */
json_t *api_parse(const char *text);

#endif
