/*
 * policy.c: blocks, automatic failover and its guards.
 */
#include "policy.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "senderhold.h"
#include "validate.h"
#include "xalloc.h"

/* Records a decision (or refusal) with its evidence: a note, which bumps
 * no version by itself (a flip's route.set did already); limit names the
 * [policy] key that refused, or NULL. why is the reason the metrics count
 * it under (metrics.h) when no limit refused. */
static int
policy_decision(struct change *ch, const struct policy_event *ev, const char *action,
    const char *text, const char *relay, const char *limit, const char *why)
{
	int flip = strcmp(action, "policy.flip") == 0;

	if (ev->outcome != NULL) {
		ev->outcome->action = flip ? "flip" : "refused";
		ev->outcome->reason = limit != NULL && !flip ? limit : why;
	}
	json_t *evidence = json_loads(ev->evidence ? ev->evidence : "null", JSON_DECODE_ANY, NULL);
	json_t *after = json_pack("{s:s, s:o?}", "decision", text, "evidence", evidence);
	char *doc, *object = xasprintf("%s/%s", ev->node, ev->provider);

	if (limit != NULL)
		json_object_set_new(after, "limit", json_string(limit));
	doc = json_dumps(after, JSON_COMPACT);
	struct change_row row = { action, "policy", object, ev->provider, ev->node, relay, NULL, doc };
	int rc = change_note(ch, &row);

	json_decref(after);
	free(doc), free(object);
	return rc;
}

/* The relays a route of provider may go to: not drained, not exclude, not
 * blocked for the provider (open blocks from relay_block_reporters distinct
 * nodes linked to it), and carrying fewer than cap automatic routes of the
 * provider; the one with the fewest automatic routes, ties to the lowest
 * name. */
static char *
policy_best_relay(struct change *ch, const struct settings *s, const char *provider,
    const char *exclude, long long cap, int *rc)
{
	char reporters[32], capbuf[32];
	const char *p[] = { provider, exclude ? exclude : "", reporters, capbuf };
	char *name = NULL;

	snprintf(reporters, sizeof(reporters), "%lld", s->relay_block_reporters);
	snprintf(capbuf, sizeof(capbuf), "%lld", cap);
	*rc = change_one(ch,
	    "SELECT r.name FROM relays r WHERE NOT r.drained AND r.name <> $2"
	    " AND (SELECT count(DISTINCT b.node) FROM blocks b JOIN nodes n ON n.name = b.node"
	    "  WHERE n.relay = r.name AND b.provider = $1 AND b.cleared_at IS NULL) < $3::bigint"
	    " AND (SELECT count(*) FROM routes x WHERE x.relay = r.name AND x.provider = $1"
	    "  AND x.origin = 'auto') < $4::bigint"
	    " ORDER BY (SELECT count(*) FROM routes x WHERE x.relay = r.name AND x.origin = 'auto'), r.name"
	    " LIMIT 1", 4, p, &name);
	return name;
}

/*
 * The most automatic routes of one provider that one relay may carry:
 * [policy] max_relay_share_percent of the server nodes, rounded down, at
 * least one; no cap when at most one relay is in service (not drained):
 * then no report can make the policy choose, so there is nothing to steer.
 */
static int
policy_share_cap(struct change *ch, const struct settings *s, long long *servers, long long *cap)
{
	char *v = NULL;
	int rc = change_one(ch, "SELECT (SELECT count(*) FROM nodes WHERE role = 'server') || ' ' ||"
	    " (SELECT count(*) FROM relays WHERE NOT drained)", 0, NULL, &v);
	long long relays = 0;

	*servers = 0;
	if (v != NULL && sscanf(v, "%lld %lld", servers, &relays) != 2)
		relays = 0;
	*cap = *servers * s->max_relay_share_percent / 100;
	if (*cap < 1)
		*cap = 1;
	if (relays <= 1)
		*cap = LLONG_MAX;
	free(v);
	return rc < 0 ? -1 : 0;
}

/*
 * The relay for a new or moved automatic route of provider. NULL when none
 * fits: then *why says whether every healthy relay has its share (naming
 * one) or there is no healthy relay at all, and *limit is
 * "max_relay_share_percent" in the first case.
 */
static char *
policy_pick_relay(struct change *ch, const struct settings *s, const char *provider,
    const char *exclude, struct strbuf *why, const char **limit, int *rc)
{
	long long servers, cap;
	char *relay, *full, *n = NULL;

	*limit = NULL;
	if ((*rc = policy_share_cap(ch, s, &servers, &cap)) != 0)
		return NULL;
	relay = policy_best_relay(ch, s, provider, exclude, cap, rc);
	if (*rc < 0 || relay != NULL) {
		*rc = *rc < 0 ? -1 : 0;
		return relay;
	}
	full = policy_best_relay(ch, s, provider, exclude, LLONG_MAX, rc);
	if (*rc <= 0)
		return NULL;
	const char *p[] = { provider, full };
	*rc = change_one(ch, "SELECT count(*) FROM routes WHERE provider = $1 AND relay = $2"
	    " AND origin = 'auto'", 2, p, &n);
	if (*rc >= 0) {
		strbuf_appendf(why, "relay %s already carries %s automatic routes of %s, the most one relay"
		    " may ([policy] max_relay_share_percent = %lld of %lld server nodes), and no other"
		    " healthy relay is under that share", full, n ? n : "?", provider,
		    s->max_relay_share_percent, servers);
		*limit = "max_relay_share_percent";
		*rc = 0;
	}
	free(full), free(n);
	return NULL;
}

/* Automatic flips of provider (NULL: of every provider) in the last hour. */
static int
policy_recent_flips(struct change *ch, const char *provider, long long *n)
{
	const char *p[] = { provider };
	char *v = NULL;
	int rc = change_one(ch, "SELECT count(*) FROM history WHERE ($1::text IS NULL OR provider = $1)"
	    " AND actor = 'policy' AND action = 'route.set' AND at > now() - interval '1 hour'", 1, p, &v);

	*n = v ? atoll(v) : 0;
	free(v);
	return rc < 0 ? -1 : 0;
}

/*
 * The hourly guards before an automatic route of provider is set: 1 when
 * one refuses (what it says appended to why, the key in *limit), 0 when
 * none does, -1 on error.
 */
static int
policy_guards(struct change *ch, const struct settings *s, const char *provider,
    struct strbuf *why, const char **limit)
{
	long long flips, all;

	if (policy_recent_flips(ch, provider, &flips) != 0 || policy_recent_flips(ch, NULL, &all) != 0)
		return -1;
	if (flips >= s->max_flips_per_hour) {
		strbuf_appendf(why, "automation stopped for %s: %lld automatic flips in the last hour"
		    " (limit %lld)", provider, flips, s->max_flips_per_hour);
		*limit = "max_flips_per_hour";
		return 1;
	}
	if (all >= s->max_auto_routes_per_hour) {
		strbuf_appendf(why, "automation stopped for every provider: %lld automatic routes set in"
		    " the last hour across all providers (limit %lld, [policy] max_auto_routes_per_hour)",
		    all, s->max_auto_routes_per_hour);
		*limit = "max_auto_routes_per_hour";
		return 1;
	}
	return 0;
}

/* The lifetime of the next automatic route for object, in seconds. */
static int
policy_ttl(struct change *ch, const struct settings *s, const char *object, long long *ttl)
{
	char window[32], *prev = NULL;
	const char *p[] = { object, window };
	int rc;

	snprintf(window, sizeof(window), "%lld", s->reblock_window_ms / 1000);
	rc = change_one(ch, "SELECT extract(epoch FROM (after->>'expires_at')::timestamptz"
	    " - (after->>'created_at')::timestamptz)::bigint FROM history"
	    " WHERE object = $1 AND actor = 'policy' AND action = 'route.set'"
	    " AND at > now() - $2::bigint * interval '1 second' ORDER BY id DESC LIMIT 1", 2, p, &prev);
	*ttl = s->auto_ttl_ms / 1000;
	if (rc == 1 && prev != NULL) {
		*ttl = atoll(prev) * 2;
		if (*ttl > s->max_ttl_ms / 1000)
			*ttl = s->max_ttl_ms / 1000;
	}
	free(prev);
	return rc < 0 ? -1 : 0;
}

/* Sets provider/scope to relay as an automatic route. */
static int
policy_route(struct change *ch, const struct settings *s, const struct policy_event *ev,
    const char *scope, const char *relay, const char *before, long long *ttl_out)
{
	char *object = xasprintf("%s/%s", ev->provider, scope);
	char *reason = xasprintf("automatic: %s on %s (%lld of %lld attempts in %llds), reported by %s",
	    ev->class_, ev->node, ev->count, ev->attempts, ev->window_s, ev->reporter);
	char ttl[32], *after = NULL;
	long long t;
	int rc = -1;

	if (policy_ttl(ch, s, object, &t) != 0)
		goto out;
	snprintf(ttl, sizeof(ttl), "%lld", t);
	*ttl_out = t;
	const char *p[] = { ev->provider, scope, relay, reason, ttl };
	if (change_one(ch, "INSERT INTO routes (provider, scope, relay, origin, reason, actor, expires_at)"
	    " VALUES ($1, $2, $3, 'auto', $4, 'policy', now() + $5::bigint * interval '1 second')"
	    " ON CONFLICT (provider, scope) DO UPDATE SET relay = $3, reason = $4, created_at = now(),"
	    " expires_at = EXCLUDED.expires_at WHERE routes.origin = 'auto' RETURNING 1", 5, p, NULL) < 0 ||
	    change_one(ch, "SELECT doc FROM route_json WHERE provider = $1 AND scope = $2", 2, p, &after) < 0)
		goto out;
	const char *saved = ch->reason;
	ch->reason = reason;
	struct change_row row = { "route.set", "route", object, ev->provider,
		strcmp(scope, "*") ? scope : NULL, relay, before, after };
	const char *actor = ch->actor;
	ch->actor = "policy";
	rc = change_record(ch, &row);
	ch->actor = actor;
	ch->reason = saved;
out:
	free(object), free(reason), free(after);
	return rc;
}

/* Opens the block, or refreshes an open one. Returns 1 when new. */
static int
policy_open_block(struct change *ch, const struct policy_event *ev)
{
	char counts[128], *id = NULL, *object;
	const char *p[] = { ev->node, ev->provider, ev->at, ev->class_, counts, ev->evidence,
		ev->reporter };
	int rc;

	snprintf(counts, sizeof(counts), "{\"count\": %lld, \"attempts\": %lld, \"window_s\": %lld}",
	    ev->count, ev->attempts, ev->window_s);
	const char *q[] = { ev->node, ev->provider, counts, ev->evidence };
	rc = change_one(ch, "UPDATE blocks SET counts = $3::jsonb,"
	    " samples = coalesce($4::jsonb->'samples', samples)"
	    " WHERE node = $1 AND provider = $2 AND cleared_at IS NULL RETURNING id", 4, q, &id);
	free(id);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (change_one(ch, "INSERT INTO blocks (node, provider, since, class, counts, samples, reporter)"
	    " VALUES ($1, $2, coalesce($3::timestamptz, now()), $4, $5::jsonb,"
	    " coalesce($6::jsonb->'samples', '[]'), $7) RETURNING id", 7, p, &id) < 0)
		return -1;
	free(id);
	object = xasprintf("%s/%s", ev->node, ev->provider);
	struct change_row row = { "block.open", "block", object, ev->provider, ev->node, NULL, NULL,
		ev->evidence };
	rc = change_note(ch, &row);   /* blocks are in no feed */
	free(object);
	return rc == 0 ? 1 : -1;
}

static int
policy_on_server(struct change *ch, const struct settings *s, const struct policy_event *ev,
    struct strbuf *summary)
{
	const char *p[] = { ev->provider, ev->node }, *limit = NULL;
	struct strbuf why = STRBUF_INIT;
	char *route = NULL, *relay = NULL;
	long long ttl = 0;
	int rc, found;

	found = change_one(ch, "SELECT doc::text FROM route_json WHERE provider = $1"
	    " AND scope IN ($2, '*') ORDER BY scope = $2 DESC LIMIT 1", 2, p, &route);
	if (found < 0)
		return -1;
	if (found == 1) {
		json_t *r = json_loads(route, 0, NULL);
		const char *origin = json_string_value(json_object_get(r, "origin"));
		strbuf_appendf(summary, "%s route of %s via %s stays as it is; no automatic change.",
		    origin ? origin : "a", ev->provider, json_string_value(json_object_get(r, "relay")));
		json_decref(r);
		free(route);
		return policy_decision(ch, ev, "policy.refused", strbuf_str(summary), NULL, NULL,
		    "route_exists");
	}
	if ((rc = policy_guards(ch, s, ev->provider, &why, &limit)) == 0 &&
	    (relay = policy_pick_relay(ch, s, ev->provider, NULL, &why, &limit, &rc)) == NULL &&
	    rc == 0 && limit == NULL)
		strbuf_appendf(&why, "no healthy relay for %s (all drained or blocked)", ev->provider);
	if (rc < 0) {
		strbuf_clear(&why);
		return -1;
	}
	if (relay == NULL) {
		strbuf_appendf(summary, "%s; no change made%s.", strbuf_str(&why),
		    limit ? ", act by hand" : "");
		strbuf_clear(&why);
		return policy_decision(ch, ev, "policy.refused", strbuf_str(summary), NULL, limit,
		    "no_healthy_relay");
	}
	strbuf_clear(&why);
	rc = policy_route(ch, s, ev, ev->node, relay, NULL, &ttl);
	if (rc == 0) {
		strbuf_appendf(summary, "failed over: %s on %s now goes through relay %s for %lldh%02lldm.",
		    ev->provider, ev->node, relay, ttl / 3600, ttl % 3600 / 60);
		rc = policy_decision(ch, ev, "policy.flip", strbuf_str(summary), relay, NULL,
		    "server_block");
	}
	free(relay);
	return rc;
}

/*
 * How many distinct nodes linked to relay have an open block of provider:
 * 1 when fewer than [policy] relay_block_reporters (the relay does not
 * count as blocked yet: what is missing appended to summary), 0 when
 * enough, -1 on error.
 */
static int
policy_relay_unconfirmed(struct change *ch, const struct settings *s,
    const struct policy_event *ev, const char *relay, struct strbuf *summary)
{
	const char *p[] = { ev->provider, relay };
	char *v = NULL;
	long long n;

	if (change_one(ch, "SELECT count(DISTINCT b.node) || ' ' || string_agg(DISTINCT b.node, ', ')"
	    " FROM blocks b JOIN nodes n ON n.name = b.node WHERE n.relay = $2 AND b.provider = $1"
	    " AND b.cleared_at IS NULL", 2, p, &v) < 0)
		return -1;
	n = v ? atoll(v) : 0;
	if (n < s->relay_block_reporters)
		strbuf_appendf(summary, "relay %s is reported blocked for %s by %lld node(s) (%s), fewer"
		    " than [policy] relay_block_reporters = %lld: not treated as blocked yet; no change"
		    " made.", relay, ev->provider, n, v && strchr(v, ' ') ? strchr(v, ' ') + 1 : "",
		    s->relay_block_reporters);
	free(v);
	return n < s->relay_block_reporters;
}

/* Moves the automatic routes of the provider off the blocked relay. */
static int
policy_on_relay(struct change *ch, const struct settings *s, const struct policy_event *ev,
    const char *blocked, struct strbuf *summary)
{
	const char *p[] = { ev->provider, blocked }, *limit = NULL;
	PGresult *r;
	int rc = policy_relay_unconfirmed(ch, s, ev, blocked, summary), moved = 0, manual = 0;
	int stuck = 0;

	if (rc != 0)
		return rc < 0 ? -1 : policy_decision(ch, ev, "policy.refused", strbuf_str(summary),
		    blocked, "relay_block_reporters", NULL);
	r = db_query(ch->conn, "SELECT scope, origin, doc::text FROM route_json"
	    " WHERE provider = $1 AND relay = $2 ORDER BY scope", 2, p);
	if (!db_ok(r)) {
		PQclear(ch->error);
		ch->error = r;
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const char *scope = PQgetvalue(r, i, 0), *lim = NULL;
		struct strbuf why = STRBUF_INIT;
		long long ttl;
		if (strcmp(PQgetvalue(r, i, 1), "manual") == 0) {
			strbuf_appendf(summary, "manual route %s/%s via %s left as it is: move it by hand. ",
			    ev->provider, scope, blocked);
			manual++;
			continue;
		}
		if ((rc = policy_guards(ch, s, ev->provider, &why, &lim)) != 0) {
			if (rc > 0)
				strbuf_appendf(summary, "%s. ", strbuf_str(&why));
			limit = limit ? limit : lim;
			rc = rc < 0 ? -1 : 0;
			strbuf_clear(&why);
			break;
		}
		char *relay = policy_pick_relay(ch, s, ev->provider, blocked, &why, &lim, &rc);
		limit = limit ? limit : lim;
		if (rc == 0 && relay == NULL) {
			stuck++;
			if (lim != NULL)
				strbuf_appendf(summary, "%s/%s stays on %s: %s. ", ev->provider, scope, blocked,
				    strbuf_str(&why));
			else
				strbuf_appendf(summary, "no healthy relay to move %s/%s to. ", ev->provider, scope);
		} else if (rc == 0) {
			rc = policy_route(ch, s, ev, scope, relay, PQgetvalue(r, i, 2), &ttl);
			strbuf_appendf(summary, "moved %s/%s from %s to %s. ", ev->provider, scope, blocked, relay);
			moved++;
		}
		strbuf_clear(&why);
		free(relay);
	}
	PQclear(r);
	if (rc != 0)
		return -1;
	if (summary->len == 0)
		strbuf_appendf(summary, "no route of %s goes through %s; nothing to move.", ev->provider, blocked);
	return policy_decision(ch, ev, moved ? "policy.flip" : "policy.refused", strbuf_str(summary),
	    blocked, limit, moved ? "relay_block" : stuck ? "no_healthy_relay" :
	    manual ? "manual_route" : "nothing_to_move");
}

/*
 * For a block that stays open (the agent confirmed it again): 1 when a
 * route still takes the provider around this server node, 0 when none
 * does any more (the automatic route expired while the provider still
 * refuses the node: act again), -1 on error.
 */
static int
policy_routed(struct change *ch, const struct policy_event *ev)
{
	const char *p[] = { ev->provider, ev->node };

	return change_one(ch, "SELECT 1 FROM routes WHERE provider = $1 AND scope IN ($2, '*')",
	    2, p, NULL);
}

static int
policy_block(struct change *ch, const struct settings *s, const struct policy_event *ev,
    struct strbuf *summary, struct strbuf *key)
{
	const char *p[] = { ev->node };
	char *relay = NULL;
	struct strbuf what = STRBUF_INIT;
	int rc = policy_open_block(ch, ev);

	if (rc < 0)
		return rc;
	const char *q[] = { ev->provider };
	if (change_one(ch, "SELECT coalesce(relay, '') FROM nodes WHERE name = $1", 1, p, &relay) < 0)
		return -1;
	if (rc == 0 && (relay[0] != '\0' || (rc = policy_routed(ch, ev)) != 0)) {
		free(relay);     /* a refresh: acted on already, or a relay node */
		return rc < 0 ? -1 : 0;
	}
	if ((rc = change_one(ch, "SELECT 1 FROM providers WHERE name = $1", 1, q, NULL)) < 0)
		return -1;
	if (rc == 0) {
		strbuf_appendf(&what, "provider %s is not configured in the controller: add it"
		    " (postroute provider add) so that automation can route it; no change made.",
		    ev->provider);
		rc = policy_decision(ch, ev, "policy.refused", strbuf_str(&what), NULL, NULL,
		    "unknown_provider");
	} else if (relay != NULL && relay[0] != '\0')
		rc = policy_on_relay(ch, s, ev, relay, &what);
	else
		rc = policy_on_server(ch, s, ev, &what);
	strbuf_appendf(summary, ":no_entry: %s is blocked on %s: %s, %lld of %lld attempts in %llds. %s",
	    ev->provider, ev->node, ev->class_, ev->count, ev->attempts, ev->window_s, strbuf_str(&what));
	strbuf_appendf(key, "block/%s/%s", ev->node, ev->provider);
	strbuf_clear(&what);
	free(relay);
	return rc;
}

static int
policy_clear(struct change *ch, const struct policy_event *ev, struct strbuf *summary,
    struct strbuf *key)
{
	const char *p[] = { ev->node, ev->provider, ev->at };
	char *before = NULL, *object;
	int rc = change_one(ch, "UPDATE blocks SET cleared_at = greatest(coalesce($3::timestamptz, now()), since)"
	    " WHERE node = $1 AND provider = $2 AND cleared_at IS NULL"
	    " RETURNING jsonb_build_object('node', node, 'provider', provider, 'since', rfc3339(since),"
	    " 'class', class, 'counts', counts)::text", 3, p, &before);

	if (rc <= 0)
		return rc;
	object = xasprintf("%s/%s", ev->node, ev->provider);
	struct change_row row = { "block.clear", "block", object, ev->provider, ev->node, NULL, before,
		ev->evidence };
	rc = change_note(ch, &row);
	strbuf_appendf(summary, ":white_check_mark: %s is no longer blocked on %s. Automatic routes"
	    " revert when they expire.", ev->provider, ev->node);
	strbuf_appendf(key, "clear/%s/%s", ev->node, ev->provider);
	free(before), free(object);
	return rc;
}

/* sender as one shell word for a command to copy: quoted unless plain. */
static char *
policy_shell_word(const char *sender)
{
	struct strbuf sb = STRBUF_INIT;

	if (strspn(sender, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._+-=/%")
	    == strlen(sender))
		return xstrdup(sender);
	strbuf_appendc(&sb, '\'');
	for (const char *p = sender; *p; p++) {
		if (*p == '\'')
			strbuf_append(&sb, "'\\''");
		else
			strbuf_appendc(&sb, *p);
	}
	strbuf_appendc(&sb, '\'');
	return strbuf_detach(&sb);
}

/* The reason of an automatic hold: the surge's figures and its reporter. */
static char *
policy_hold_reason(const struct policy_event *ev)
{
	struct strbuf figs = STRBUF_INIT;
	char *reason;

	if (ev->has_rate)
		strbuf_appendf(&figs, ", rate %.15g", ev->rate);
	if (ev->has_baseline)
		strbuf_appendf(&figs, ", baseline %.15g", ev->baseline);
	if (ev->has_client_ips)
		strbuf_appendf(&figs, ", client_ips %lld", ev->client_ips);
	if (ev->window_s > 0)
		strbuf_appendf(&figs, ", window %llds", ev->window_s);
	if (figs.len > 0)
		reason = xasprintf("automatic: volume surge on %s (%s), reported by %s", ev->node,
		    strbuf_str(&figs) + 2, ev->reporter);
	else
		reason = xasprintf("automatic: volume surge on %s, reported by %s", ev->node,
		    ev->reporter);
	strbuf_clear(&figs);
	return reason;
}

/* Holds the sender of a surge when the policy says so; tells summary. */
static int
policy_hold(struct change *ch, const struct settings *s, const struct policy_event *ev,
    struct strbuf *summary)
{
	const char *why = validate_sender(ev->sender), *actor = ch->actor;
	char *doc = NULL, *reason = NULL, *word = policy_shell_word(ev->sender);
	int rc = why ? 0 : senderhold_find(ch, ev->sender, &doc);
	int login = ev->sender_kind != NULL && strcmp(ev->sender_kind, "sasl") == 0;

	if (rc == 0 && why == NULL && doc == NULL && s->hold_on_surge && login) {
		reason = policy_hold_reason(ev);
		ch->actor = "policy";
		rc = senderhold_add(ch, ev->sender, "auto", reason, &doc);
		ch->actor = actor;
		if (rc == 1 && ev->outcome != NULL)
			ev->outcome->action = "hold", ev->outcome->reason = "surge";
	}
	if (rc < 0)
		goto out;
	if (why != NULL) {
		strbuf_appendf(summary, "Not held: the sender cannot be a hold map key (%s)", why);
	} else if (rc == 1) {
		strbuf_appendf(summary, "Its new mail is now held ([policy] hold_on_surge); after"
		    " checking the account, release it with: postroute sender release %s", word);
	} else if (doc != NULL) {
		json_t *h = json_loads(doc, 0, NULL);
		strbuf_appendf(summary, "Its new mail was held already (since %s, by %s); release it"
		    " with: postroute sender release %s",
		    json_string_value(json_object_get(h, "created_at")),
		    json_string_value(json_object_get(h, "actor")), word);
		json_decref(h);
	} else if (s->hold_on_surge) {
		strbuf_appendf(summary, "Not held: %s, which anyone can forge, so only a SASL login"
		    " is held automatically; if the account is yours: postroute sender hold %s"
		    " --reason TEXT", ev->sender_kind ? "an envelope address" :
		    "the reporter did not say it is a SASL login", word);
	} else {
		strbuf_appendf(summary, "Nothing was held ([policy] hold_on_surge is off); to hold its"
		    " new mail: postroute sender hold %s --reason TEXT", word);
	}
	rc = 0;
out:
	free(doc), free(reason), free(word);
	return rc;
}

/* ": 900 recipients per interval, baseline 3, ...; " from what the event has. */
static void
policy_volume_figures(const struct policy_event *ev, struct strbuf *out)
{
	size_t before = out->len;

	if (ev->has_rate)
		strbuf_appendf(out, "%s%.0f recipients per interval", out->len > before ? ", " : ": ",
		    ev->rate);
	if (ev->has_baseline)
		strbuf_appendf(out, "%sbaseline %.0f", out->len > before ? ", " : ": ", ev->baseline);
	if (ev->has_client_ips && ev->client_ips > 0)
		strbuf_appendf(out, "%s%lld client IPs", out->len > before ? ", " : ": ", ev->client_ips);
	if (ev->deferred > 0)
		strbuf_appendf(out, "%s%lld deferred", out->len > before ? ", " : ": ", ev->deferred);
	if (ev->bounced > 0)
		strbuf_appendf(out, "%s%lld bounced", out->len > before ? ", " : ": ", ev->bounced);
	strbuf_append(out, ". ");
}

/* 1 when the surge will hold its sender (policy_hold): the feeds change,
 * so the version is bumped before the surge is recorded and both rows
 * share it; 0 when it will not (policy_hold's conditions: a SASL login
 * not held yet); -1 on error. */
static int
policy_hold_due(struct change *ch, const struct settings *s, const struct policy_event *ev)
{
	char *doc = NULL;
	int rc;

	if (!s->hold_on_surge || strcmp(ev->sender, "*") == 0 || validate_sender(ev->sender) != NULL ||
	    ev->sender_kind == NULL || strcmp(ev->sender_kind, "sasl") != 0)
		return 0;
	rc = senderhold_find(ch, ev->sender, &doc);
	if (rc == 0)
		rc = doc == NULL;   /* not held yet */
	free(doc);
	return rc;
}

static int
policy_volume(struct change *ch, const struct settings *s, const struct policy_event *ev,
    struct strbuf *summary, struct strbuf *key)
{
	char *object = xasprintf("%s/%s", ev->node, ev->sender);
	struct change_row row = { "volume.surge", "sender", object, NULL, ev->node, NULL, NULL, ev->evidence };
	int rc = policy_hold_due(ch, s, ev);

	if (rc == 1)
		rc = change_feed(ch);
	if (rc >= 0)
		rc = change_note(ch, &row);   /* a surge alone changes no feed */

	if (strcmp(ev->sender, "*") == 0) {
		/* the node's total: many accounts at once, none over its own threshold */
		strbuf_appendf(summary, ":rotating_light: node %s: sudden surge of its total outbound"
		    " volume (%.0f recipients per interval, baseline %.0f), spread over many senders;"
		    " nothing was held. Check the node's recent senders",
		    ev->node, ev->has_rate ? ev->rate : 0, ev->has_baseline ? ev->baseline : 0);
	} else {
		strbuf_appendf(summary, ":rotating_light: sender %s on %s: sudden volume surge"
		    " (possibly a hijacked account)", ev->sender, ev->node);
		policy_volume_figures(ev, summary);
		if (rc == 0)
			rc = policy_hold(ch, s, ev, summary);
	}
	strbuf_appendf(summary, ". Details: postroute history --node %s --action volume.surge",
	    ev->node);
	strbuf_appendf(key, "volume/%s/%s", ev->node, ev->sender);
	free(object);
	return rc;
}

int
policy_handle(struct change *ch, const struct settings *s, const struct policy_event *ev,
    struct strbuf *summary, struct strbuf *key)
{
	if (strcmp(ev->type, "block") == 0)
		return policy_block(ch, s, ev, summary, key);
	if (strcmp(ev->type, "clear") == 0)
		return policy_clear(ch, ev, summary, key);
	return policy_volume(ch, s, ev, summary, key);
}
