/*
 * test_sec_event_flood.c: one token cannot flood the fleet (security
 * finding 4), against a real controller and PostgreSQL.
 *
 *   - POST /v1/events is limited per token ([server] events_per_minute,
 *     set low here): the next event gets 429 with Retry-After while
 *     another token is still served, and the refusal is counted;
 *   - events that change no feed leave the routing version alone: a
 *     waiting long-poll is not woken by them, and the version it gets is
 *     the one of the next real change;
 *   - an event's evidence is stored capped (20 items of 512 octets), and
 *     a block refreshed again and again stays within the cap;
 *   - GET /v1/history serves at most 1000 rows and 4 MiB whatever limit=
 *     says, and says where to go on; postroute history pages through;
 *   - the agent's event queue keeps a rate-limited event to send later.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentconf.h"
#include "clirun.h"
#include "eventq.h"
#include "httpc.h"
#include "strbuf.h"
#include "seed.h"
#include "testlib.h"
#include "xalloc.h"

#define LIMIT 5          /* [server] events_per_minute of this controller */

static struct tl_controller *ctl;
static char *agent1;

/* A new detector token named name. */
static char *
detector(const char *name)
{
	return tl_token(ctl, name, "detector", "*");
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	strbuf_appendn(arg, p, size * n);
	return size * n;
}

/* POST /v1/events keeping the response headers: returns the status; the
 * Retry-After value (or -1) in *retry_after, the body in *body. */
static long
post_event_headers(const char *token, const char *body, long *retry_after, json_t **json)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct strbuf hdr = STRBUF_INIT, out = STRBUF_INIT;
	char *url = xasprintf("%s/v1/events", ctl->url);
	char *auth = xasprintf("Authorization: Bearer %s", token);
	long status = 0;

	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*retry_after = -1;
	for (const char *l = strbuf_str(&hdr); l != NULL && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncasecmp(l, "Retry-After:", 12) == 0)
			*retry_after = atol(l + 12);
	*json = json_loads(strbuf_str(&out), 0, NULL);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	strbuf_clear(&hdr), strbuf_clear(&out);
	free(url), free(auth);
	return status;
}

static int
setup(void **state)
{
	(void)state;
	char *ini = xasprintf("\n[server]\nevents_per_minute = %d\n", LIMIT);
	/* tl_controller_start writes a [server] section of its own first: a
	 * second [server] header adds to it */
	ctl = tl_controller_start(ini);
	free(ini);
	seed_relays(ctl, 2, 0);
	seed_servers(ctl, 2);
	seed_providers(ctl, 2);
	agent1 = tl_token(ctl, "mx01", "agent", "mx01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	free(agent1);
	return 0;
}

static const char clear_mx01[] = "{\"type\":\"clear\",\"node\":\"mx01\",\"provider\":\"yahoo\"}";

static void
test_rate_limit_per_token(void **state)
{
	char *a = detector("flood-a"), *b = detector("flood-b");
	long retry = 0;
	json_t *j = NULL;

	(void)state;
	for (int i = 0; i < LIMIT; i++)
		json_decref(tl_event(ctl, a, clear_mx01, 200));
	long long h0 = tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history");
	/* the next one within the minute: 429, Retry-After, a JSON error */
	assert_int_equal(post_event_headers(a, clear_mx01, &retry, &j), 429);
	if (retry < 1 || retry > 60)
		fail_msg("Retry-After: %ld, want 1 to 60 seconds", retry);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "retry_after")), retry);
	char *want = xasprintf("events: token \"flood-a\" sent %d events in the last minute, the most"
	    " [server] events_per_minute allows; retry in %ld s", LIMIT, retry);
	assert_string_equal(json_string_value(json_object_get(j, "error")), want);
	free(want);
	json_decref(j);
	/* refused before it is read: even a bad body is a 429, and nothing is written */
	json_decref(tl_event(ctl, a, "{\"type\":\"block\"", 429));
	json_decref(tl_event(ctl, a, "{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"*\"}", 429));
	assert_int_equal(tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history"), h0);
	/* another token is still served */
	json_decref(tl_event(ctl, b, clear_mx01, 200));
	/* counted on /metrics */
	char *raw = NULL;
	char *url = xasprintf("%s/metrics", ctl->url);
	assert_int_equal(tl_http("GET", url, NULL, NULL, NULL, &raw), 200);
	if (strstr(raw, "\npostroute_events_rate_limited_total 3\n") == NULL)
		fail_msg("/metrics lacks postroute_events_rate_limited_total 3:\n%s", raw);
	if (strstr(raw, "endpoint=\"POST /v1/events\",code=\"429\"} 3\n") == NULL)
		fail_msg("/metrics does not count the 429s of POST /v1/events:\n%s", raw);
	free(raw), free(url), free(a), free(b);
}

/* /metrics says at least one feed request is waiting. */
static int
feed_waiting(void *arg)
{
	char *raw = NULL, *url = xasprintf("%s/metrics", (const char *)arg);
	int yes = tl_http("GET", url, NULL, NULL, NULL, &raw) == 200 &&
	    strstr(raw, "\npostroute_feed_waiting 0\n") == NULL &&
	    strstr(raw, "\npostroute_feed_waiting ") != NULL;

	free(raw), free(url);
	return yes;
}

/* A child long-polling mx01's feed after version v; writes the version
 * and the first entry's nexthop it is answered with to path. */
static pid_t
waiting_feed(long long v, const char *path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	char *url = xasprintf("%s/v1/nodes/mx01/transport?after=%lld&wait=120", ctl->url, v);
	json_t *feed = NULL;
	long st = tl_http("GET", url, agent1, NULL, &feed, NULL);
	json_t *e = json_array_get(json_object_get(feed, "entries"), 0);
	char *text = xasprintf("%ld %lld %s", st, (long long)json_integer_value(json_object_get(feed,
	    "version")), e ? json_string_value(json_object_get(e, "nexthop")) : "-");
	tl_write_file(path, text);
	_exit(0);
}

static void
test_quiet_events_keep_version(void **state)
{
	char *d = detector("flood-quiet");
	char *dir = tl_mkdtemp("flood");
	char *out = xasprintf("%s/waiter", dir);
	json_t *j;
	int status;

	(void)state;
	/* a manual route covers google on every server: a block changes no route */
	seed_put(ctl, "/v1/routes/google", "{\"relay\":\"relay01\",\"reason\":\"by hand\"}");
	long long v = tl_sql_int(ctl->conninfo, "SELECT version FROM routing_version");
	long long h0 = tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history");
	pid_t pid = waiting_feed(v, out);
	if (!tl_wait_for(feed_waiting, ctl->url, 20000))
		fail_msg("the long-poll never started waiting");

	static const char *const quiet[] = {
		/* refused by the policy (a manual route stays), a refresh, a clear */
		"{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"reputation\","
		"\"count\":9,\"attempts\":10,\"window_s\":300,\"samples\":[\"421 4.7.0 [TSS04]\"]}",
		"{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"google\",\"class\":\"reputation\","
		"\"count\":19,\"attempts\":20,\"window_s\":300}",
		"{\"type\":\"clear\",\"node\":\"mx01\",\"provider\":\"google\"}",
		/* surges that hold nothing ([policy] hold_on_surge is off) */
		"{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"*\",\"rate\":900,\"baseline\":3}",
		"{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"joe@example.com\",\"rate\":900}",
	};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		j = tl_event(ctl, d, quiet[i], 200);
		assert_int_equal(json_integer_value(json_object_get(j, "version")), v);
		json_decref(j);
	}
	/* recorded, at the version in force, with the version left alone */
	char *want = xasprintf("block.open@%lld,policy.refused@%lld,block.clear@%lld,"
	    "volume.surge@%lld,volume.surge@%lld", v, v, v, v, v);
	char *rows = tl_sql(ctl->conninfo,
	    "SELECT string_agg(action || '@' || version, ',' ORDER BY id) FROM history"
	    " WHERE id > (SELECT max(id) FROM history WHERE action = 'route.set')");
	assert_string_equal(rows, want);
	free(rows), free(want);
	assert_int_equal(tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history"), h0 + 5);
	assert_int_equal(tl_sql_int(ctl->conninfo, "SELECT version FROM routing_version"), v);
	j = tl_api_ok(ctl, "GET", "/v1/status", ctl->admin, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v);
	json_decref(j);
	j = tl_api_ok(ctl, "GET", "/v1/nodes/mx02/transport", ctl->admin, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v);
	json_decref(j);
	/* the waiter is still waiting: the next real change is what wakes it */
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	seed_put(ctl, "/v1/routes/google", "{\"relay\":\"relay02\",\"reason\":\"moved by hand\"}");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	char *got = tl_read_file(out);
	want = xasprintf("200 %lld smtp:[127.0.0.3]:25", v + 1);
	assert_string_equal(got, want);
	free(got), free(want);
	free(out), free(dir), free(d);
}

/* n strings of len octets ("c" repeated) as a JSON array. */
static char *
json_list(int n, size_t len, char c)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_appendc(&sb, '[');
	for (int i = 0; i < n; i++) {
		strbuf_append(&sb, i ? ",\"" : "\"");
		for (size_t k = 0; k < len; k++)
			strbuf_appendc(&sb, c);
		strbuf_appendc(&sb, '"');
	}
	strbuf_appendc(&sb, ']');
	return strbuf_detach(&sb);
}

static char *
big_block(const char *node, char fill)
{
	char *samples = json_list(19, 1500, fill), *ids = json_list(20, 900, 'Q');
	/* the last sample: "x" and 1000 two-octet characters, cut inside one */
	struct strbuf utf = STRBUF_INIT;
	strbuf_append(&utf, "x");
	for (int i = 0; i < 1000; i++)
		strbuf_append(&utf, "\xc3\xa9");
	samples[strlen(samples) - 1] = '\0';
	char *body = xasprintf("{\"type\":\"block\",\"node\":\"%s\",\"provider\":\"yahoo\","
	    "\"class\":\"reputation\",\"count\":3,\"attempts\":3,\"window_s\":60,"
	    "\"samples\":%s,\"%s\"],\"queue_ids\":%s}", node, samples, strbuf_str(&utf), ids);
	free(samples), free(ids);
	strbuf_clear(&utf);
	return body;
}

static void
test_evidence_capped(void **state)
{
	char *d = detector("flood-evidence");
	char *body = big_block("mx02", 'a');

	(void)state;
	assert_true(strlen(body) > 40 * 1024 && strlen(body) < 64 * 1024);
	json_decref(tl_event(ctl, d, body, 200));
	free(body);
	/* the block row */
	tl_expect_sql(ctl->conninfo, "SELECT jsonb_array_length(samples) || ' ' || (SELECT max(octet_length(s))"
	    " FROM jsonb_array_elements_text(samples) s) FROM blocks WHERE node = 'mx02'"
	    " AND provider = 'yahoo' AND cleared_at IS NULL", "20 512");
	/* cut at a character boundary: "x" and 255 two-octet characters */
	tl_expect_sql(ctl->conninfo,
	    "SELECT octet_length(samples->>19) || ' ' || (samples->>19 = 'x' || repeat(U&'\\00e9', 255))"
	    " FROM blocks WHERE node = 'mx02' AND provider = 'yahoo' AND cleared_at IS NULL",
	    "511 true");
	/* the history rows: block.open and the decision carry the capped evidence */
	tl_expect_sql(ctl->conninfo,
	    "SELECT string_agg(action || ':' || coalesce(a->>'truncated', a->'evidence'->>'truncated')"
	    " || ':' || jsonb_array_length(coalesce(a->'samples', a->'evidence'->'samples'))"
	    " || ':' || jsonb_array_length(coalesce(a->'queue_ids', a->'evidence'->'queue_ids')), ','"
	    " ORDER BY id) FROM (SELECT id, action, after AS a FROM history WHERE node = 'mx02'"
	    " AND provider = 'yahoo' AND action IN ('block.open', 'policy.flip')) h",
	    "block.open:true:20:20,policy.flip:true:20:20");
	tl_expect_sql(ctl->conninfo, "SELECT max(octet_length(s)) FROM history h, jsonb_array_elements_text("
	    " coalesce(h.after->'evidence'->'queue_ids', h.after->'queue_ids')) s"
	    " WHERE h.node = 'mx02' AND h.action IN ('block.open', 'policy.flip')", "512");
	tl_expect_sql(ctl->conninfo,
	    "SELECT max(octet_length(after::text)) < 30000 FROM history WHERE node = 'mx02'"
	    " AND action IN ('block.open', 'policy.flip')", "t");
	/* more than 20 items, or not strings: refused, nothing written */
	long long h0 = tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history");
	char *many = json_list(21, 10, 'b');
	body = xasprintf("{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"yahoo\","
	    "\"class\":\"x\",\"samples\":%s}", many);
	json_t *j = tl_event(ctl, d, body, 400);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	    "samples: must be an array of at most 20 strings");
	json_decref(j), free(body), free(many);
	j = tl_event(ctl, d, "{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"*\","
	    "\"queue_ids\":{\"nested\":[1,2,3]}}", 400);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	    "queue_ids: must be an array of at most 20 strings");
	json_decref(j);
	assert_int_equal(tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history"), h0);
	free(d);
}

static void
test_block_refresh_stays_bounded(void **state)
{
	char *d = detector("flood-refresh");

	(void)state;
	json_decref(tl_event(ctl, d, "{\"type\":\"block\",\"node\":\"mx01\",\"provider\":\"yahoo\","
	    "\"class\":\"reputation\"}", 200));
	long long h0 = tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history");
	for (int i = 0; i < LIMIT - 1; i++) {
		char *body = big_block("mx01", (char)('c' + i));
		json_decref(tl_event(ctl, d, body, 200));
		free(body);
	}
	/* the latest report's samples, capped; nothing appended, no history */
	tl_expect_sql(ctl->conninfo, "SELECT jsonb_array_length(samples) || ' ' || left(samples->>0, 3) || ' '"
	    " || (octet_length(samples::text) <= 65536) || ' ' || (SELECT max(octet_length(s))"
	    " FROM jsonb_array_elements_text(samples) s) FROM blocks WHERE node = 'mx01'"
	    " AND provider = 'yahoo' AND cleared_at IS NULL", "20 fff true 512");
	assert_int_equal(tl_sql_int(ctl->conninfo, "SELECT count(*) FROM history"), h0);
	/* the table itself refuses an unbounded block (schema/0007) */
	char *err = NULL;
	assert_int_equal(tl_sql_try(ctl->conninfo, "UPDATE blocks SET samples ="
	    " (SELECT jsonb_agg(g::text) FROM generate_series(1, 21) g) WHERE node = 'mx01'", &err), -1);
	assert_non_null(strstr(err, "blocks_samples_bounded"));
	free(err);
	assert_int_equal(tl_sql_try(ctl->conninfo, "UPDATE blocks SET samples ="
	    " jsonb_build_array(repeat('z', 70000)) WHERE node = 'mx01'", &err), -1);
	free(err);
	free(d);
}

static void
test_history_capped(void **state)
{
	json_t *j;
	char *raw = NULL;

	(void)state;
	free(tl_sql(ctl->conninfo, "INSERT INTO history (actor, action, object_type, object)"
	    " SELECT 'filler', 'relay.put', 'relay', 'r' || g FROM generate_series(1, 1500) g"
	    " RETURNING 1"));
	/* limit=1000000: 1000 rows, and the way to the next page */
	assert_int_equal(tl_api(ctl, "GET", "/v1/history?actor=filler&limit=1000000", ctl->admin,
	    NULL, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1000);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	long long next = json_integer_value(json_object_get(j, "next_before_id"));
	assert_int_equal(next, json_integer_value(json_object_get(json_array_get(json_object_get(j,
	    "history"), 999), "id")));
	json_decref(j);
	char *path = xasprintf("/v1/history?actor=filler&limit=1000000&before_id=%lld", next);
	assert_int_equal(tl_api(ctl, "GET", path, ctl->admin, NULL, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 500);
	assert_true(json_is_false(json_object_get(j, "truncated")));
	assert_null(json_object_get(j, "next_before_id"));
	json_decref(j), free(path);
	/* a limit the rows fit in is not truncated */
	assert_int_equal(tl_api(ctl, "GET", "/v1/history?actor=filler&limit=10", ctl->admin, NULL,
	    &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 10);
	assert_true(json_is_false(json_object_get(j, "truncated")));
	json_decref(j);

	/* big rows: the byte cap cuts first */
	free(tl_sql(ctl->conninfo, "INSERT INTO history (actor, action, object_type, object, after)"
	    " SELECT 'bulky', 'volume.surge', 'sender', 's' || g,"
	    " jsonb_build_object('pad', repeat('p', 30000)) FROM generate_series(1, 400) g"
	    " RETURNING 1"));
	char *url = xasprintf("%s/v1/history?actor=bulky&limit=1000000", ctl->url);
	assert_int_equal(tl_http("GET", url, ctl->admin, NULL, &j, &raw), 200);
	if (strlen(raw) > 4 * 1024 * 1024)
		fail_msg("history reply of %zu octets, over the 4 MiB cap", strlen(raw));
	size_t n = json_array_size(json_object_get(j, "history"));
	if (n < 100 || n >= 400)
		fail_msg("%zu rows of 30 kB in a 4 MiB reply", n);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_non_null(json_object_get(j, "next_before_id"));
	json_decref(j), free(raw), free(url);
	/* blocks too: at most the newest 1000, cleared ones piling up or not */
	free(tl_sql(ctl->conninfo, "INSERT INTO blocks (node, provider, since, class, reporter, cleared_at)"
	    " SELECT 'mx01', 'old' || g, now() - g * interval '1 minute', 'x', 'filler', now()"
	    " FROM generate_series(1, 1200) g RETURNING 1"));
	assert_int_equal(tl_api(ctl, "GET", "/v1/blocks?all=1", ctl->admin, NULL, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "blocks")), 1000);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);
	assert_int_equal(tl_api(ctl, "GET", "/v1/blocks", ctl->admin, NULL, &j), 200);
	assert_true(json_is_false(json_object_get(j, "truncated")));
	json_decref(j);
	/* bad values */
	assert_int_equal(tl_api(ctl, "GET", "/v1/history?limit=-1", ctl->admin, NULL, NULL), 400);
	assert_int_equal(tl_api(ctl, "GET", "/v1/history?before_id=x", ctl->admin, NULL, NULL), 400);

	/* the CLI pages through the caps */
	struct clirun r;
	clirun(&r, ctl->url, ctl->admin, "history", "--json", "--actor", "filler", "--limit", "1200",
	    NULL);
	clirun_expect(&r, 0, "postroute history --limit 1200");
	assert_int_equal(json_array_size(json_object_get(r.json, "history")), 1200);
	clirun_free(&r);
	clirun(&r, ctl->url, ctl->admin, "history", "--json", "--actor", "bulky", "--limit", "400",
	    NULL);
	clirun_expect(&r, 0, "postroute history --limit 400");
	assert_int_equal(json_array_size(json_object_get(r.json, "history")), 400);
	clirun_free(&r);
}

struct queue_state {
	struct eventq *q;
	size_t sent;
};

/* The queue sent what it could and met a refusal it will retry. */
static int
queue_blocked(void *arg)
{
	struct queue_state *s = arg;
	struct eventq_stats st;

	eventq_stats(s->q, &st);
	return st.sent >= s->sent && st.failures >= 1;
}

static void
test_agent_keeps_limited_events(void **state)
{
	char *token = tl_token(ctl, "mx02", "agent", "mx02");
	static const char *const providers[] = { "p1", "p2", "p3", "p4", "p5", "p6", "p7" };
	struct agent_config cfg;
	struct eventq_stats st;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.node = "mx02";
	cfg.token = token;
	cfg.urls = xcalloc(1, sizeof(char *));
	cfg.urls[cfg.nurls++] = xstrdup(ctl->url);
	cfg.connect_timeout_ms = 1000;
	cfg.request_timeout_ms = 5000;
	cfg.retry_min_ms = cfg.retry_max_ms = 60000;   /* no second try within the test */
	cfg.lw_queue_max = 100;
	struct eventq *q = eventq_start(&cfg);
	/* seven distinct keys (no replacing), five allowed a minute */
	for (size_t i = 0; i < 7; i++)
		eventq_push(q, json_pack("{s:s, s:s, s:s}", "type", "clear", "node", "mx02",
		    "provider", providers[i]));
	struct queue_state s = { q, LIMIT };
	if (!tl_wait_for(queue_blocked, &s, 20000))
		fail_msg("the queue neither sent five events nor met the limit");
	eventq_stats(q, &st);
	assert_int_equal(st.sent, LIMIT);
	assert_int_equal(st.refused, 0);     /* a 429 is not final */
	assert_int_equal(st.queued, 7 - LIMIT);
	assert_null(eventq_stop(q, 0));
	free(cfg.urls[0]), free(cfg.urls), free(token);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit_per_token),
		cmocka_unit_test(test_quiet_events_keep_version),
		cmocka_unit_test(test_evidence_capped),
		cmocka_unit_test(test_block_refresh_stays_bounded),
		cmocka_unit_test(test_history_capped),
		cmocka_unit_test(test_agent_keeps_limited_events),
	};

	httpc_global_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
