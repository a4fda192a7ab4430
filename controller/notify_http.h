/*
 * notify_http.h: one message posted to Slack or to PagerDuty, with common/httpc.
 *
 * Slack (or any Slack-compatible incoming webhook): {"text": ...}, with
 * &, < and > escaped as Slack asks (notify_slack_escape), so a reporter's
 * text cannot mention @channel or hide a link.
 *
 * PagerDuty Events API v2 (POST to [notify] pagerduty_url, by default
 * https://events.pagerduty.com/v2/enqueue), as PagerDuty documents it in
 * "Send an Alert Event" (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 *   {"routing_key": KEY, "event_action": "trigger", "dedup_key": INCIDENT,
 *    "payload": {"summary": first line (at most 1024 characters),
 *                "source": NODE, "severity": "error",
 *                "custom_details": {"text": the whole message, "key": KEY}},
 *    "client": "postroute", "links": [{"href": RUNBOOK, "text": "Runbook"}]}
 * and for a resolve only routing_key, event_action "resolve" and the
 * dedup_key of the trigger it ends. A trigger whose dedup_key names an
 * open alert is added to that alert, so a message sent twice is one alert.
 * Any 2xx answer (PagerDuty's is 202) counts as delivered.
 *
 * SECURITY: a webhook URL is a secret (whoever knows a Slack one may post
 * to the channel): errors name the channel by its label, never by its URL.
 * No redirect is followed; proxies from the environment are used but for
 * loopback (httpc.h).
 */
#ifndef POSTROUTE_NOTIFY_HTTP_H
#define POSTROUTE_NOTIFY_HTTP_H

#include "httpc.h"
#include "strbuf.h"

struct pd_event {
	const char *routing_key;
	int resolve;
	const char *dedup_key;
	const char *text, *key, *severity, *source;
	const char *runbook_url;    /* "" or NULL: no link */
};

/* text with & < > as &amp; &lt; &gt; (Slack's escaping); caller frees. */
char *notify_slack_escape(const char *text);
/* The JSON body of ev; caller frees. */
char *notify_pagerduty_body(const struct pd_event *ev);

/* Posts body (JSON) to url on h (the sender thread's); 0 on a 2xx
 * answer, else -1 with "label: what went wrong" in err. */
int notify_http_post(struct httpc *h, const char *label, const char *url, const char *body,
    long timeout_ms, struct strbuf *err);
/* {"text": escaped text} */
char *notify_slack_body(const char *text);

#endif
