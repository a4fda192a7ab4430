/*
 * notify.h: on-call notifications through a Slack-compatible webhook.
 *
 * notify_send only queues (it never blocks a request); one thread posts
 * {"text": ...} with libcurl, retrying with exponential backoff. Messages
 * with the same key within ten minutes are sent once; at most
 * max_per_minute go out per minute, and the ones held back are summarised
 * in the next message. With no webhook_url configured, messages are only
 * logged. Every text is posted with &, < and > escaped for Slack
 * (notify_slack_escape), so a reporter's text cannot mention @channel or
 * hide a link; the log line keeps the plain text.
 */
#ifndef POSTROUTE_NOTIFY_H
#define POSTROUTE_NOTIFY_H

#include "settings.h"

struct notify;

struct notify *notify_start(const struct settings *s);
/* Sends what is queued (bounded by the timeout) and stops the thread. */
void notify_stop(struct notify *n);

/* Queues text; key deduplicates (e.g. "block/mx01/google"). The runbook
 * link is appended. */
void notify_send(struct notify *n, const char *key, const char *text);

/* text with & < > as &amp; &lt; &gt; (Slack's escaping); caller frees. */
char *notify_slack_escape(const char *text);

#endif
