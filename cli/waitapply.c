/*
 * waitapply.c: polling the nodes until the affected agents applied.
 *
 * The poll is a plain GET /v1/nodes every interval (the node objects carry
 * the applied version and the last report; /v1/status computes lag too
 * and costs more): the CLI waits for people, not for milliseconds. An unreachable controller during
 * the wait is retried until the deadline, then reported.
 */
#include "waitapply.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "xalloc.h"

#define WAITAPPLY_HEARTBEAT_MS 5000

static const json_t *
waitapply_find(const json_t *status, const char *name)
{
	size_t i;
	json_t *n;

	json_array_foreach(json_object_get(status, "nodes"), i, n) {
		const char *nn = json_string_value(json_object_get(n, "name"));
		if (nn != NULL && strcmp(nn, name) == 0)
			return n;
	}
	return NULL;
}

json_t *
waitapply_targets(const json_t *status, const char *scope)
{
	json_t *out = json_array(), *n;
	size_t i;

	if (strcmp(scope, "*") != 0) {
		const json_t *node = waitapply_find(status, scope);
		const char *role = json_string_value(json_object_get(node, "role"));
		if (node == NULL) {
			json_decref(out);
			return NULL;
		}
		if (role == NULL || strcmp(role, "relay") != 0)
			json_array_append_new(out, json_string(scope));
		return out;
	}
	json_array_foreach(json_object_get(status, "nodes"), i, n) {
		const char *role = json_string_value(json_object_get(n, "role"));
		const char *name = json_string_value(json_object_get(n, "name"));
		if (name != NULL && (role == NULL || strcmp(role, "relay") != 0))
			json_array_append_new(out, json_string(name));
	}
	return out;
}

enum waitapply_state
waitapply_node_state(const json_t *node, long long version, const char *baseline)
{
	const json_t *av = json_object_get(node, "applied_version");
	const char *st = json_string_value(json_object_get(node, "last_status"));
	const char *at = json_string_value(json_object_get(node, "last_report_at"));

	if (json_is_integer(av) && json_integer_value(av) >= version)
		return WAITAPPLY_APPLIED;
	if (st != NULL && strcmp(st, "failed") == 0 && at != NULL &&
	    (baseline == NULL || strcmp(at, baseline) != 0))
		return WAITAPPLY_FAILED;
	return WAITAPPLY_PENDING;
}

/* One node's entry in the report, from its latest status (may be NULL). */
static json_t *
waitapply_entry(const char *name, const json_t *node, const char *state)
{
	json_t *av = json_object_get(node, "applied_version");
	json_t *er = json_object_get(node, "last_error");

	return json_pack("{s:s, s:s, s:O, s:O}", "node", name, "state", state,
	    "applied_version", av ? av : json_null(),
	    "error", strcmp(state, "applied") != 0 && json_is_string(er) ? er : json_null());
}

static const char *
waitapply_error(const json_t *node)
{
	const char *e = json_string_value(json_object_get(node, "last_error"));

	return e ? e : "(no error text)";
}

/* Polls once; fills states (one per target); returns how many are still pending. */
static size_t
waitapply_poll(struct cli *cli, const struct waitapply_opts *o, json_t *status,
    enum waitapply_state *states, long long started)
{
	size_t i, pending = 0;
	json_t *name;

	json_array_foreach(o->targets, i, name) {
		const char *nm = json_string_value(name);
		const json_t *node = waitapply_find(status, nm);
		const json_t *old = waitapply_find(o->before, nm);
		const char *base = json_string_value(json_object_get(old, "last_report_at"));
		enum waitapply_state s = node ? waitapply_node_state(node, o->version, base)
		    : WAITAPPLY_PENDING;
		if (s != states[i] && s == WAITAPPLY_APPLIED)
			verb_note(cli, "  %s: applied version %lld after %.1f s", nm, o->version,
			    (double)(monotime_ms() - started) / 1000.0);
		else if (s != states[i] && s == WAITAPPLY_FAILED)
			verb_note(cli, "  %s: failed: %s", nm, waitapply_error(node));
		states[i] = s;
		pending += s == WAITAPPLY_PENDING;
	}
	return pending;
}

static json_t *
waitapply_report(const struct waitapply_opts *o, const json_t *status,
    const enum waitapply_state *states, int *ok)
{
	json_t *nodes = json_array(), *name;
	size_t i;

	*ok = 1;
	json_array_foreach(o->targets, i, name) {
		const char *nm = json_string_value(name);
		const char *st = states[i] == WAITAPPLY_APPLIED ? "applied" :
		    states[i] == WAITAPPLY_FAILED ? "failed" : "timeout";
		json_array_append_new(nodes, waitapply_entry(nm, waitapply_find(status, nm), st));
		*ok &= states[i] == WAITAPPLY_APPLIED;
	}
	return json_pack("{s:I, s:b, s:o}", "version", (json_int_t)o->version, "complete", *ok,
	    "nodes", nodes);
}

/* Every few seconds: who is still pending, so a long wait shows life. */
static void
waitapply_heartbeat(struct cli *cli, const struct waitapply_opts *o,
    const enum waitapply_state *states, long long started, long long *next)
{
	struct strbuf sb = STRBUF_INIT;
	long long now = monotime_ms();
	size_t i;
	json_t *name;

	if (now < *next)
		return;
	*next = now + WAITAPPLY_HEARTBEAT_MS;
	json_array_foreach(o->targets, i, name) {
		if (states[i] == WAITAPPLY_PENDING)
			strbuf_appendf(&sb, "%s%s", sb.len ? ", " : "", json_string_value(name));
	}
	if (sb.len > 0)
		verb_note(cli, "  still waiting after %.0f s for: %s",
		    (double)(now - started) / 1000.0, strbuf_str(&sb));
	strbuf_clear(&sb);
}

int
waitapply_run(struct cli *cli, const struct waitapply_opts *o, json_t **report)
{
	size_t n = json_array_size(o->targets);
	enum waitapply_state *states = xcalloc(n + 1, sizeof(*states));
	long long started = monotime_ms(), deadline = started + o->timeout_ms;
	long long next_note = started + WAITAPPLY_HEARTBEAT_MS;
	json_t *status = NULL;
	struct strbuf err = STRBUF_INIT;
	int ok;

	verb_note(cli, "waiting for %zu node%s to apply version %lld", n, n == 1 ? "" : "s",
	    o->version);
	for (;;) {
		json_t *fresh = NULL;
		strbuf_reset(&err);
		if (client_call(cli->api, "GET", WAITAPPLY_PATH, NULL, &fresh, NULL, &err) == 0) {
			json_decref(status);
			status = fresh;
			if (waitapply_poll(cli, o, status, states, started) == 0)
				break;
		}
		if (monotime_ms() >= deadline) {
			if (err.len > 0)
				verb_error(cli, "%s", strbuf_str(&err));
			break;
		}
		waitapply_heartbeat(cli, o, states, started, &next_note);
		usleep((useconds_t)o->interval_ms * 1000);
	}
	*report = waitapply_report(o, status, states, &ok);
	json_decref(status);
	strbuf_clear(&err);
	free(states);
	return ok ? CLIENT_OK : CLIENT_FAILED;
}
