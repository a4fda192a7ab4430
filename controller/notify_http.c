/*
 * notify_http.c: the bodies of Slack and PagerDuty messages and the POST.
 */
#include "notify_http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PD_SUMMARY_MAX 1024

char *
notify_slack_escape(const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '&')
			strbuf_append(&sb, "&amp;");
		else if (*p == '<')
			strbuf_append(&sb, "&lt;");
		else if (*p == '>')
			strbuf_append(&sb, "&gt;");
		else
			strbuf_appendc(&sb, *p);
	}
	return strbuf_detach(&sb);
}

char *
notify_slack_body(const char *text)
{
	char *escaped = notify_slack_escape(text);
	json_t *o = json_pack("{s:s}", "text", escaped);
	char *body = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	free(escaped);
	return body;
}

/* The first line of text, at most PD_SUMMARY_MAX characters (UTF-8). */
static char *
notify_summary(const char *text)
{
	size_t n = strcspn(text, "\n"), chars = 0, i = 0;

	for (; i < n; i++) {
		if (((unsigned char)text[i] & 0xC0) != 0x80) {   /* a character starts here */
			if (chars == PD_SUMMARY_MAX)
				break;
			chars++;
		}
	}
	return xasprintf("%.*s", (int)i, text);
}

char *
notify_pagerduty_body(const struct pd_event *ev)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "routing_key", ev->routing_key,
	    "event_action", ev->resolve ? "resolve" : "trigger", "dedup_key", ev->dedup_key);
	char *body;

	if (!ev->resolve) {
		char *summary = notify_summary(ev->text);
		json_object_set_new(o, "payload", json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}",
		    "summary", summary, "source", ev->source, "severity", ev->severity,
		    "custom_details", "text", ev->text, "key", ev->key));
		json_object_set_new(o, "client", json_string("postroute"));
		if (ev->runbook_url != NULL && ev->runbook_url[0] != '\0')
			json_object_set_new(o, "links", json_pack("[{s:s, s:s}]", "href", ev->runbook_url,
			    "text", "Runbook"));
		free(summary);
	}
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return body;
}

int
notify_http_post(struct httpc *h, const char *label, const char *url, const char *body,
    long timeout_ms, struct strbuf *err)
{
	struct httpc_request req = { .method = "POST", .url = url, .body = body,
	    .connect_timeout_ms = timeout_ms, .timeout_ms = timeout_ms, .label = label };
	struct httpc_response resp = { 0, STRBUF_INIT };
	int rc = httpc_do(h, &req, &resp, err);

	if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
		strbuf_appendf(err, "%s: answered %ld", label, resp.status);
		rc = -1;
	}
	strbuf_clear(&resp.body);
	return rc;
}
