/*
 * cmd_sender.c: holding a sender's new mail, releasing it, and the list of
 * held senders.
 *
 * hold and release are one request each (PUT or DELETE /v1/holds/USER).
 * The controller puts the held senders in every node's feed; agents with
 * a hold map make Postfix park that sender's new mail in the hold queue,
 * and release it again (postsuper) once the sender is released. USER is
 * checked locally with validate_sender, the grammar the controller and the
 * agents apply, so that a typo is a usage error and nothing malformed
 * reaches a URL. Holding a sender that is held already is not an error:
 * the controller changes nothing and says since when it is held.
 *
 * Nothing here is fatal; every failure is an exit status and a message.
 */
#include "cmd_sender.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rows.h"
#include "validate.h"

/* USER: a valid sender that fits in one path segment. */
static int
sender_check(const struct cli *cli, const char *user)
{
	const char *why = validate_sender(user);

	if (why == NULL && strchr(user, '/') != NULL)
		why = "contains '/', which the API cannot take in a path";
	if (why == NULL)
		return 0;
	verb_error(cli, "USER \"%.255s\": %s", user, why);
	return -1;
}

static void
sender_path(struct strbuf *path, const char *user, const char *reason)
{
	strbuf_append(path, "/v1/holds/");
	client_escape(path, user);
	if (reason != NULL) {
		strbuf_append(path, "?reason=");
		client_escape(path, reason);
	}
}

static void
sender_print_hold(struct cli *cli, const json_t *doc, const char *user)
{
	const json_t *h = json_object_get(doc, "hold");
	long long version = (long long)json_integer_value(json_object_get(doc, "version"));
	char *since;

	if (json_is_true(json_object_get(doc, "created"))) {
		fprintf(cli->out, "sender ");
		output_text(cli->out, user);
		fprintf(cli->out, " held: its new mail stays in the hold queue (version %lld)\n",
		    version);
		return;
	}
	since = output_short_time(json_string_value(json_object_get(h, "created_at")));
	fprintf(cli->out, "sender ");
	output_text(cli->out, json_string_value(json_object_get(h, "sender")));
	fprintf(cli->out, " was held already, since %s UTC by ", since ? since : "?");
	output_text(cli->out, json_string_value(json_object_get(h, "actor")));
	fprintf(cli->out, "; nothing changed\n");
	free(since);
}

static int
sender_hold(struct cli *cli, const struct args *a)
{
	const char *user = a->pos[0], *reason = args_get(a, "reason");
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	json_t *body, *doc = NULL;
	int rc;

	if (sender_check(cli, user) != 0 || check_reason(cli, "--reason", reason, 0) != 0)
		return CLIENT_USAGE;
	sender_path(&path, user, NULL);
	body = reason ? json_pack("{s:s}", "reason", reason) : json_object();
	rc = client_call(cli->api, "PUT", strbuf_str(&path), body, &doc, NULL, &err);
	if (rc != CLIENT_OK)
		verb_fail(cli, rc, &err);
	else if (cli->format == OUTPUT_JSON)
		output_json(cli->out, doc);
	else
		sender_print_hold(cli, doc, user);
	json_decref(body), json_decref(doc);
	strbuf_clear(&path), strbuf_clear(&err);
	return rc;
}

static int
sender_release(struct cli *cli, const struct args *a)
{
	const char *user = a->pos[0], *reason = args_get(a, "reason");
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	json_t *doc = NULL;
	int rc;

	if (sender_check(cli, user) != 0 || check_reason(cli, "--reason", reason, 0) != 0)
		return CLIENT_USAGE;
	sender_path(&path, user, reason);
	rc = client_call(cli->api, "DELETE", strbuf_str(&path), NULL, &doc, NULL, &err);
	if (rc != CLIENT_OK) {
		verb_fail(cli, rc, &err);
	} else if (cli->format == OUTPUT_JSON) {
		output_json(cli->out, doc);
	} else {
		fprintf(cli->out, "sender ");
		output_text(cli->out, json_string_value(json_object_get(json_object_get(doc,
		    "released"), "sender")));
		fprintf(cli->out, " released: agents let its held mail go (version %lld)\n",
		    (long long)json_integer_value(json_object_get(doc, "version")));
	}
	json_decref(doc);
	strbuf_clear(&path), strbuf_clear(&err);
	return rc;
}

const struct rows_col cmd_sender_cols[] = {
	{ "SENDER", "sender", ROWS_VALUE },
	{ "ORIGIN", "origin", ROWS_VALUE },
	{ "SINCE", "created_at", ROWS_TIME },
	{ "ACTOR", "actor", ROWS_VALUE },
	{ "REASON", "reason", ROWS_VALUE },
	{ NULL, NULL, ROWS_VALUE },
};

static int
sender_list(struct cli *cli, const struct args *a)
{
	(void)a;
	return rows_list(cli, "/v1/holds", "holds", cmd_sender_cols);
}

static const struct args_opt sender_no_opts[] = { { NULL, ARGS_FLAG, NULL, NULL } };

static const struct args_opt sender_reason_opts[] = {
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

const struct cli_verb cmd_sender_verbs[] = {
	{ "sender hold", "USER [--reason TEXT]",
	  "hold a sender's new mail (a hijacked account?)",
	  "Holds USER, a SASL login name or an envelope sender: every node's agent\n"
	  "that keeps a hold map ([postfix] hold_map) adds it, and Postfix parks\n"
	  "that sender's new mail in the hold queue instead of sending it, until\n"
	  "\"postroute sender release\". Holding a sender that is held already\n"
	  "changes nothing. Case does not matter (Postfix folds it).\n\n"
	  "example:\n"
	  "  postroute sender hold info@shop.example.jp --reason \"hijacked, ticket 4711\"",
	  sender_reason_opts, 1, 1, sender_hold },
	{ "sender release", "USER [--reason TEXT]",
	  "let a held sender's mail go again",
	  "Releases USER: agents remove it from their hold map and release its mail\n"
	  "from the hold queue. Fails (1) when USER is not held.\n\n"
	  "example:\n"
	  "  postroute sender release info@shop.example.jp --reason \"password reset\"",
	  sender_reason_opts, 1, 1, sender_release },
	{ "sender list", "",
	  "held senders: since when, by whom, why",
	  "Lists every held sender: manual holds, and automatic ones (origin auto,\n"
	  "actor policy) made on a volume surge when the controller's\n"
	  "[policy] hold_on_surge is on.\n\n"
	  "example:\n"
	  "  postroute sender list --json",
	  sender_no_opts, 0, 0, sender_list },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
