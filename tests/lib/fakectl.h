/*
 * fakectl.h: a stand-in controller for agent tests, serving whatever feed
 * a test sets, hostile ones included, and recording the reports.
 *
 * NAME
 *	fakectl - tiny feed/report server on libmicrohttpd
 *
 * DESCRIPTION
 *	Serves GET /v1/nodes/{node}/transport?after=V&wait=S like the real
 *	controller: 200 with the set body when its "version" is above V
 *	(or V absent), else holds up to S seconds, answering 200 on a
 *	change and 304 at the deadline. POST /v1/nodes/{node}/report
 *	stores the parsed body and answers 200 {}. Anything else: 404;
 *	a wrong bearer token: 401; fakectl_set_status makes every request
 *	answer that status (e.g. 503).
 *
 *	fakectl_start(port 0) picks a free port; fakectl_stop then
 *	fakectl_start on the same port models a controller that was down.
 *
 * OWNERSHIP
 *	The caller owns the server (fakectl_stop frees it) and every json_t
 *	that fakectl_reports returns.
 *
 * DIAGNOSTICS
 *	Failing to start fails the test.
 */
#ifndef POSTROUTE_FAKECTL_H
#define POSTROUTE_FAKECTL_H

#include <jansson.h>

struct fakectl;

struct fakectl *fakectl_start(const char *token, int port);
void fakectl_stop(struct fakectl *f);
int fakectl_port(const struct fakectl *f);
const char *fakectl_url(const struct fakectl *f);

/* The raw feed body; its "version" (when it parses) decides 200/304. The
 * version may also be given separately for bodies that do not parse. */
void fakectl_set_feed(struct fakectl *f, long long version, const char *body);
void fakectl_set_status(struct fakectl *f, int status);

/* A copy of the reports so far (JSON array). */
json_t *fakectl_reports(struct fakectl *f);
size_t fakectl_report_count(struct fakectl *f);
/* The latest report (the caller's reference); fails the test when none
 * came. */
json_t *fakectl_last_report(struct fakectl *f);
/* Fails the test, showing the report, unless the latest is version with
 * status, and (when not NULL) step and an error containing error_part. */
void fakectl_expect_report(struct fakectl *f, long long version, const char *status,
    const char *step, const char *error_part);
/* Polls until at least n reports arrived; 1 when they did. */
int fakectl_wait_reports(struct fakectl *f, size_t n, int timeout_ms);
size_t fakectl_feed_requests(struct fakectl *f);
/* Feed requests held right now (waiting for a change); polls until at
 * least n are, 1 when they were. */
size_t fakectl_held(struct fakectl *f);
int fakectl_wait_held(struct fakectl *f, size_t n, int timeout_ms);
/* Polls until at least n feed requests arrived; 1 when they did. */
int fakectl_wait_feed_requests(struct fakectl *f, size_t n, int timeout_ms);

#endif
