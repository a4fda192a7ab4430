/*
 * test_eventjson.c: the events of both paths against the schema of
 * docs/api.md ("Event bodies").
 *
 * One log (relay03's Yahoo block and clear of tests/data/scan-basic.log,
 * then an envelope sender's surge and a SASL login from many client IPs)
 * goes through the real "postroute-agent scan" ($POSTROUTE_BINDIR) and
 * through the live path in this process: logwatch_start following the
 * file, its events posted by the outbox (eventq) to a local receiver
 * standing in for the controller. Both must give the same events, and
 * every event must have exactly the fields the table of docs/api.md
 * documents for its type, with their JSON types, in the table's order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <jansson.h>

#include "agentconf.h"
#include "eventjson.h"
#include "eventq.h"
#include "logwatch.h"
#include "strbuf.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

#define FIELDS_MAX 40

/* One row of the table: a field, its JSON type, the events that carry it,
 * and whether they always do. */
struct field {
	char name[256];
	char type[256];
	char events[300];
	int always;
};

static struct field schema[FIELDS_MAX];
static int nschema;

/* The cell text of "| a | b |" cells, backquotes dropped, into cell[]. */
static int
table_cells(const char *line, const char *end, char cell[][256], int max)
{
	int n = 0;
	const char *p = line + 1;

	while (p < end && n < max) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		if (bar == NULL)
			break;
		size_t k = 0;
		for (const char *q = p; q < bar && k < 255; q++)
			if (*q != '`')
				cell[n][k++] = *q;
		while (k > 0 && cell[n][k - 1] == ' ')
			k--;
		cell[n][k] = '\0';
		memmove(cell[n], cell[n] + strspn(cell[n], " "), strlen(cell[n] + strspn(cell[n], " ")) + 1);
		n++;
		p = bar + 1;
	}
	return n;
}

/* The "| field | type | events | present |" table of docs/api.md. */
static void
schema_load(void)
{
	char *path = xasprintf("%s/docs/api.md", tl_srcdir()), *doc = tl_read_file(path);
	const char *p = doc ? strstr(doc, "\n| field | type | events | present |\n") : NULL;

	if (p == NULL)
		fail_msg("%s: no event table", path);
	p = strchr(p + 1, '\n') + 1;
	p = strchr(p, '\n') + 1;      /* |---| */
	for (nschema = 0; *p == '|' && nschema < FIELDS_MAX; nschema++) {
		const char *end = strchr(p, '\n');
		char cell[4][256];
		if (table_cells(p, end, cell, 4) != 4)
			fail_msg("docs/api.md: a row of the event table has not 4 cells");
		struct field *f = &schema[nschema];
		snprintf(f->name, sizeof(f->name), "%s", cell[0]);
		snprintf(f->type, sizeof(f->type), "%s", cell[1]);
		snprintf(f->events, sizeof(f->events), ", %s,", cell[2]);
		f->always = strncmp(cell[3], "always", 6) == 0;
		p = end + 1;
	}
	assert_true(nschema >= 15);
	free(doc);
	free(path);
}

static int
type_fits(const char *type, json_t *v)
{
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "array of strings") == 0) {
		size_t i;
		json_t *e;
		if (!json_is_array(v))
			return 0;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return 0;
		return 1;
	}
	fail_msg("docs/api.md: event field type \"%s\" unknown to this test", type);
	return 0;
}

/* ev has the documented fields of its type, of their types, in order. */
static void
schema_check(json_t *ev, const char *from)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	char *text = json_dumps(ev, JSON_COMPACT), *key_of_type;
	const char *key;
	json_t *v;
	int last = -1;

	if (type == NULL)
		fail_msg("%s: no type: %s", from, text);
	key_of_type = xasprintf(", %s,", type);
	json_object_foreach(ev, key, v) {
		int i;
		for (i = 0; i < nschema && strcmp(schema[i].name, key) != 0; i++)
			;
		if (i == nschema || strstr(schema[i].events, key_of_type) == NULL)
			fail_msg("%s: field %s is not documented for %s: %s", from, key, type, text);
		if (!type_fits(schema[i].type, v))
			fail_msg("%s: field %s is not a %s: %s", from, key, schema[i].type, text);
		if (i < last)
			fail_msg("%s: field %s out of the table's order: %s", from, key, text);
		last = i;
	}
	for (int i = 0; i < nschema; i++)
		if (schema[i].always && strstr(schema[i].events, key_of_type) != NULL &&
		    json_object_get(ev, schema[i].name) == NULL)
			fail_msg("%s: %s event without %s: %s", from, type, schema[i].name, text);
	free(key_of_type);
	free(text);
}

/* relay03's lines of the scan fixture, then volume: 50 minutes of an
 * envelope sender jumping from 2 to 300 recipients a minute at the end,
 * and a SASL login from 8 client IPs. */
static char *
test_log(void)
{
	char *path = xasprintf("%s/tests/data/scan-basic.log", tl_srcdir());
	FILE *fp = fopen(path, "r");   /* with getline: the fixture has a NUL in a line */
	char line[512], *l = NULL;
	size_t cap = 0;
	ssize_t n;
	struct strbuf log = STRBUF_INIT;
	int q = 0;

	assert_non_null(fp);
	while ((n = getline(&l, &cap, fp)) > 0)
		if (memmem(l, (size_t)n, " relay03 ", 9) != NULL)
			strbuf_appendn(&log, l, (size_t)n);
	fclose(fp);
	free(l);
	for (int m = 0; m < 50; m++) {
		int burst = m >= 45;
		for (int i = 0; i < (burst ? 30 : 2); i++) {
			snprintf(line, sizeof(line), "2026-11-27T10:%02d:%02dZ relay03 postfix/qmgr[1020]: %X:"
			    " from=<info@shop.example.jp>, size=4821, nrcpt=%d (queue active)\n",
			    m, i, 0xA0000 + q++, burst ? 10 : 1);
			strbuf_append(&log, line);
		}
	}
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "2026-11-27T10:50:%02dZ relay03 postfix/submission/smtpd[11802]:"
		    " %X: client=unknown[198.51.100.%d], sasl_method=LOGIN, sasl_username=alice\n",
		    i, 0xB0000 + i, 10 + i);
		strbuf_append(&log, line);
		snprintf(line, sizeof(line), "2026-11-27T10:50:%02dZ relay03 postfix/qmgr[1020]: %X:"
		    " from=<alice@shop.example.jp>, size=4821, nrcpt=1 (queue active)\n", i, 0xB0000 + i);
		strbuf_append(&log, line);
	}
	free(path);
	return strbuf_detach(&log);
}

/* scan's events: its lines other than deliveries. */
static json_t *
scan_events(const char *logpath)
{
	char *agent = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { agent, "scan", (char *)logpath, NULL };
	char *out = NULL, *err = NULL;
	json_t *evs = json_array();

	assert_int_equal(tl_run(argv, &out, &err, 60), 0);
	for (char *l = out, *nl; *l != '\0'; l = nl + 1) {
		json_error_t e;
		nl = strchr(l, '\n');
		assert_non_null(nl);
		*nl = '\0';
		json_t *o = json_loads(l, 0, &e);
		if (o == NULL)
			fail_msg("scan printed no JSON: %s (%s)", l, e.text);
		if (strcmp(json_string_value(json_object_get(o, "type")), "delivery") == 0)
			json_decref(o);
		else
			json_array_append_new(evs, o);
	}
	free(out), free(err), free(agent);
	return evs;
}

struct live_wait {
	struct webhook *hook;
	size_t n;
};

static int
live_posted(void *arg)
{
	struct live_wait *w = arg;

	return webhook_count(w->hook) >= (int)w->n;
}

/* The live path's events: logwatch following logpath as it appears,
 * posting through the outbox to a local receiver. */
static json_t *
live_events(const char *dir, const char *log, const char *logpath, size_t n)
{
	struct webhook *hook = webhook_start();
	char *base = xstrdup(webhook_url(hook)), *tok = xasprintf("%s/token", dir);
	char *conf = xasprintf("%s/agent.ini", dir), *state = xasprintf("%s/state", dir);
	char *tmp = xasprintf("%s.tmp", logpath);
	struct agent_config cfg;
	struct strbuf err = STRBUF_INIT;
	json_t *evs = json_array();

	*strrchr(base, '/') = '\0';   /* http://127.0.0.1:PORT */
	tl_write_file(tok, "token-relay03\n");
	chmod(tok, 0600);
	assert_int_equal(mkdir(state, 0700), 0);
	char *ini = xasprintf("[agent]\nnode = relay03\ncontroller = %s\ntoken_file = %s\n"
	    "state_dir = %s\nretry_min = 10ms\nretry_max = 100ms\n[logwatch]\nfile = %s\n",
	    base, tok, state, logpath);
	tl_write_file(conf, ini);
	if (agentconf_load(conf, &cfg, &err) != 0)
		fail_msg("%s", strbuf_str(&err));
	struct eventq *q = eventq_start(&cfg);
	assert_non_null(q);
	struct logwatch *lw = logwatch_start(&cfg, q, &err);
	if (lw == NULL)
		fail_msg("%s", strbuf_str(&err));
	/* the file appears whole: a file that was not there is read from its start */
	tl_write_file(tmp, log);
	assert_int_equal(rename(tmp, logpath), 0);
	struct live_wait w = { hook, n };
	if (!tl_wait_for(live_posted, &w, 20000))
		fail_msg("%d of %zu events posted", webhook_count(hook), n);
	lw = logwatch_stop(lw);
	q = eventq_stop(q, 1000);
	for (int i = 0; i < webhook_count(hook); i++) {
		char *body = webhook_body(hook, i);
		json_t *o = json_loads(body, 0, NULL);
		if (o == NULL)
			fail_msg("the outbox posted no JSON: %s", body);
		json_array_append_new(evs, o);
		free(body);
	}
	webhook_stop(hook);
	agentconf_free(&cfg);
	strbuf_clear(&err);
	free(base), free(tok), free(conf), free(state), free(tmp), free(ini);
	return evs;
}

static void
test_both_paths_give_the_schema(void **state)
{
	char *dir = tl_mkdtemp("eventjson"), *logpath = xasprintf("%s/maillog", dir);
	char *log = test_log(), *scanlog = xasprintf("%s/scan.log", dir);
	size_t i;
	json_t *ev;

	(void)state;
	/* the default rules and providers of this tree, for scan and logwatch alike */
	char *datadir = xasprintf("%s/deploy", tl_srcdir());
	setenv("POSTROUTE_DATADIR", datadir, 1);
	free(datadir);
	schema_load();
	tl_write_file(scanlog, log);
	json_t *scan = scan_events(scanlog);
	/* every kind the encoders write */
	const char *want[] = { "\"type\":\"block\"", "\"type\":\"clear\"", "\"reason\":\"rate\"",
		"\"reason\":\"client_ips\"" };
	char *all = json_dumps(scan, JSON_COMPACT);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		if (strstr(all, want[k]) == NULL)
			fail_msg("scan gave no %s: %s", want[k], all);
	json_t *live = live_events(dir, log, logpath, json_array_size(scan));

	json_array_foreach(scan, i, ev)
		schema_check(ev, "scan");
	json_array_foreach(live, i, ev)
		schema_check(ev, "live");
	char *got = json_dumps(live, JSON_COMPACT);
	if (!json_equal(scan, live))
		fail_msg("scan and the live agent differ:\nscan %s\nlive %s", all, got);
	print_message("%zu events, the same from both paths\n", json_array_size(scan));
	free(all), free(got);
	json_decref(scan);
	json_decref(live);
	free(dir), free(logpath), free(log), free(scanlog);
}

/* The table as this test reads it: the rows it relies on, and a block
 * event written by hand in the documented shape passes the check. */
static void
test_schema_table(void **state)
{
	(void)state;
	schema_load();
	int seen_samples = 0, seen_reason = 0;
	for (int i = 0; i < nschema; i++) {
		if (strcmp(schema[i].name, "samples") == 0) {
			seen_samples = 1;
			assert_string_equal(schema[i].type, "array of strings");
			assert_string_equal(schema[i].events, ", block,");
		}
		if (strcmp(schema[i].name, "reason") == 0) {
			seen_reason = 1;
			assert_string_equal(schema[i].events, ", volume,");
		}
		if (strcmp(schema[i].name, "sender_kind") == 0)
			assert_false(schema[i].always);
	}
	assert_true(seen_samples && seen_reason);
	json_t *ok = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:[s]}", "type", "block",
	    "node", "mx1", "provider", "yahoo", "class", "reputation", "count", 5, "attempts", 6,
	    "window_s", 300, "at", "2026-11-27T08:41:20Z", "samples", "x");
	schema_check(ok, "example");
	json_decref(ok);
}

/* A sample cut inside a UTF-8 character (the detector keeps 1023 octets
 * of a line) loses that character, not the whole sample. */
static void
test_cut_sample(void **state)
{
	struct detector_event ev = { .type = DETECTOR_BLOCK, .provider = "yahoo",
		.cls = CLASS_REPUTATION, .count = 5, .attempts = 5, .window_s = 300, .at = 0,
		.samples = { "said: caf\xc3\xa9", "said: caf\xc3" }, .nsamples = 2 };
	json_t *o = eventjson_detector(&ev, "mx1");
	json_t *s = json_object_get(o, "samples");

	(void)state;
	schema_load();
	schema_check(o, "encoder");
	assert_int_equal(json_array_size(s), 2);
	assert_string_equal(json_string_value(json_array_get(s, 0)), "said: caf\xc3\xa9");
	assert_string_equal(json_string_value(json_array_get(s, 1)), "said: caf");
	assert_string_equal(json_string_value(json_object_get(o, "at")), "1970-01-01T00:00:00Z");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_table),
		cmocka_unit_test(test_cut_sample),
		cmocka_unit_test(test_both_paths_give_the_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
