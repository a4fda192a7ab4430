/*
 * webhook.h: a local HTTP receiver standing in for a chat webhook.
 *
 * Listens on 127.0.0.1 with libmicrohttpd, keeps every POSTed body, and can
 * be told to answer 500 for a while (to exercise retries).
 */
#ifndef POSTROUTE_WEBHOOK_H
#define POSTROUTE_WEBHOOK_H

struct webhook;

struct webhook *webhook_start(void);
void webhook_stop(struct webhook *w);
const char *webhook_url(const struct webhook *w);
/* Answer 500 to the next n requests. */
void webhook_fail_next(struct webhook *w, int n);
int webhook_count(struct webhook *w);
/* A copy of body i (0-based), or NULL. */
char *webhook_body(struct webhook *w, int i);
/* Waits until at least n bodies arrived; 1 when they did. */
int webhook_wait(struct webhook *w, int n, int timeout_ms);
/* Index of the first body containing every one of the needles (up to a
 * NULL), or -1. */
int webhook_find(struct webhook *w, const char *needle, const char *also);
/* Waits until webhook_find finds one; returns its index, or fails the
 * test naming the needle and the count received. */
int webhook_await(struct webhook *w, const char *needle, const char *also, int timeout_ms);

#endif
