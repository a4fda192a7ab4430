/*
 * test_agent_render.c: the agent's pure text work: feed parsing, transport
 * rendering (golden files tests/data/render_*.in -> .out), hostile
 * entries, order and duplicates sorted or not, many nexthops, long and
 * many lines, master.cf services, postmap -s comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "feed.h"
#include "mapinstall.h"
#include "mastercf.h"
#include "privsep.h"
#include "render.h"
#include "strbuf.h"
#include "testlib.h"
#include "validate.h"
#include "xalloc.h"

static char *
data_file(const char *name)
{
	char *path = xasprintf("%s/tests/data/%s", tl_srcdir(), name);
	char *text = tl_read_file(path);

	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

static void
golden(const char *base, const char *node)
{
	char *in_name = xasprintf("%s.in", base), *out_name = xasprintf("%s.out", base);
	char *in = data_file(in_name), *want = data_file(out_name);
	struct feed f;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT, out2 = STRBUF_INIT;

	if (feed_parse(in, node, &f, &err) != 0)
		fail_msg("%s: %s", in_name, strbuf_str(&err));
	if (render_transport(node, f.version, f.entries, f.n, &out, &err) != 0)
		fail_msg("%s: %s", in_name, strbuf_str(&err));
	assert_string_equal(strbuf_str(&out), want);
	/* the same entries in reverse order give the same bytes */
	for (size_t i = 0; i < f.n / 2; i++) {
		struct render_entry t = f.entries[i];
		f.entries[i] = f.entries[f.n - 1 - i];
		f.entries[f.n - 1 - i] = t;
	}
	assert_int_equal(render_transport(node, f.version, f.entries, f.n, &out2, &err), 0);
	assert_string_equal(strbuf_str(&out2), want);
	feed_clear(&f);
	strbuf_clear(&err), strbuf_clear(&out), strbuf_clear(&out2);
	free(in), free(want), free(in_name), free(out_name);
}

static void
test_golden(void **state)
{
	(void)state;
	golden("render_basic", "mx01");
	golden("render_empty", "relay-7");
}

struct bad_case {
	const char *domain, *nexthop;
	const char *want;
};

static void
test_hostile_entries(void **state)
{
	static const struct bad_case cases[] = {
		{ "gmail.com\nevil.com", "smtp:[1.2.3.4]", "entry 1: domain: contains a line break" },
		{ "gmail.com", "smtp:[1.2.3.4]\nevil.com smtp:x", "entry 1 (gmail.com): nexthop: contains a line break" },
		{ "gmail.com", "smtp:[1.2.3.4] # x", "entry 1 (gmail.com): nexthop: contains whitespace" },
		{ "gmail com", "smtp:", "entry 1: domain: contains whitespace" },
		{ "-bad.com", "smtp:", "entry 1: domain: has a label that starts or ends with '-'" },
		{ "GMAIL.com", "smtp:", "entry 1 (gmail.com): domain: is not lower case" },
		{ "ok.com", "smtp:", "entry 1 (ok.com): domain: is listed twice" },
		{ "", "smtp:", "entry 1: domain: is empty" },
	};
	struct render_entry e[2] = { { "ok.com", "smtp:", NULL }, { NULL, NULL, NULL } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		e[1].domain = (char *)cases[i].domain;
		e[1].nexthop = (char *)cases[i].nexthop;
		assert_int_equal(render_transport("mx01", 3, e, 2, &out, &err), -1);
		assert_string_equal(strbuf_str(&err), cases[i].want);
		assert_int_equal(out.len, 0);
		strbuf_clear(&out), strbuf_clear(&err);
	}
}

/* render_transport of e[0..n) must fail with want; nothing appended. */
static void
render_fails(struct render_entry *e, size_t n, const char *want)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	assert_int_equal(render_transport("mx01", 3, e, n, &out, &err), -1);
	assert_string_equal(strbuf_str(&err), want);
	assert_int_equal(out.len, 0);
	strbuf_clear(&out), strbuf_clear(&err);
}

static void
test_order_and_duplicates(void **state)
{
	/* a duplicate in sorted entries is the later one; so it is after sorting */
	struct render_entry sorted_dup[] = { { "a.com", "smtp:", NULL }, { "b.com", "smtp:", NULL },
		{ "b.com", "relay:", NULL }, { "c.com", "smtp:", NULL } };
	struct render_entry unsorted_dup[] = { { "b.com", "smtp:", NULL }, { "c.com", "smtp:", NULL },
		{ "a.com", "smtp:", NULL }, { "b.com", "relay:", NULL }, { "b.com", "smtp:", NULL } };
	/* a bad entry anywhere wins over a duplicate or the order */
	struct render_entry dup_then_bad[] = { { "a.com", "smtp:", NULL }, { "a.com", "smtp:", NULL },
		{ "b.com", "smtp: x", NULL } };
	struct render_entry unsorted_then_bad[] = { { "b.com", "smtp:", NULL }, { "a.com", "smtp:", NULL },
		{ "c.com", "smtp:", NULL }, { "C.com", "smtp:", NULL } };
	/* same first 8 octets, shorter than 8, a prefix of another */
	struct render_entry prefixes[] = { { "abcdefgh.com", "smtp:", NULL },
		{ "abcdefgh.co", "smtp:", NULL }, { "a.b", "smtp:", NULL }, { "abcdefghi.c", "smtp:", NULL },
		{ ".a.b", "smtp:", NULL }, { "a.bc", "smtp:", NULL }, { "abcdefgh", "smtp:", NULL },
		{ "a.b.c", "smtp:", NULL }, { "a-b", "smtp:", NULL } };
	struct render_entry prefix_dup[] = { { "abcdefgh.com", "smtp:", NULL }, { "a.b", "smtp:", NULL },
		{ "abcdefgh.co", "smtp:", NULL }, { "abcdefgh.com", "smtp:", NULL } };
	struct render_entry short_dup[] = { { "b.c", "smtp:", NULL }, { "a.b", "smtp:", NULL },
		{ "b.c", "smtp:", NULL } };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	(void)state;
	render_fails(sorted_dup, 4, "entry 2 (b.com): domain: is listed twice");
	render_fails(unsorted_dup, 5, "entry 3 (b.com): domain: is listed twice");
	render_fails(dup_then_bad, 3, "entry 2 (b.com): nexthop: contains whitespace");
	render_fails(unsorted_then_bad, 4, "entry 3 (c.com): domain: is not lower case");
	render_fails(prefix_dup, 4, "entry 3 (abcdefgh.com): domain: is listed twice");
	render_fails(short_dup, 3, "entry 2 (b.c): domain: is listed twice");
	assert_int_equal(render_transport("mx01", 3, prefixes, 9, &out, &err), 0);
	assert_string_equal(render_body(strbuf_str(&out)), ".a.b\tsmtp:\na-b\tsmtp:\na.b\tsmtp:\n"
	    "a.b.c\tsmtp:\na.bc\tsmtp:\nabcdefgh\tsmtp:\nabcdefgh.co\tsmtp:\nabcdefgh.com\tsmtp:\n"
	    "abcdefghi.c\tsmtp:\n");
	/* rendered after other text, and with no entries */
	strbuf_reset(&out);
	strbuf_append(&out, "x\n");
	assert_int_equal(render_transport("mx01", 4, prefixes, 0, &out, &err), 0);
	assert_string_equal(strbuf_str(&out), "x\n# postroute transport map for node mx01, version 4\n"
	    "# generated by postroute-agent, do not edit\n");
	strbuf_clear(&out), strbuf_clear(&err);
}

/* More distinct nexthops than render remembers, each refused when it is bad,
 * however many good ones of the same length came before. */
static void
test_many_nexthops(void **state)
{
	enum { N = 200, HOPS = 40 };
	struct render_entry e[N];
	char dom[N][32], hop[HOPS][48];
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < HOPS; i++)
		snprintf(hop[i], sizeof(hop[i]), "smtp:[relay%02d.example]:25", i);
	for (int i = 0; i < N; i++) {
		snprintf(dom[i], sizeof(dom[i]), "d%03d.example", i);
		e[i] = (struct render_entry){ dom[i], hop[(i * 7) % HOPS], NULL };
	}
	assert_int_equal(render_transport("mx01", 1, e, N, &out, &err), 0);
	assert_non_null(strstr(strbuf_str(&out), "\nd199.example\tsmtp:[relay33.example]:25\n"));
	for (int bad = 0; bad < N; bad += 37) {
		char *keep = e[bad].nexthop, *want;
		e[bad].nexthop = "smtp:[relay0\n.example]:25";   /* the length of the good ones */
		want = xasprintf("entry %d (%s): nexthop: contains a line break", bad, dom[bad]);
		render_fails(e, N, want);
		e[bad].nexthop = "smtp:[relay00.example]:2$";
		free(want);
		want = xasprintf("entry %d (%s): nexthop: has a port that is neither a number nor a "
		    "service name", bad, dom[bad]);
		render_fails(e, N, want);
		free(want);
		e[bad].nexthop = keep;
	}
	strbuf_clear(&out), strbuf_clear(&err);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct render_entry *)a)->domain, ((const struct render_entry *)b)->domain);
}

/* The expected body: domain TAB nexthop lines in strcmp order. */
static char *
expected_body(const struct render_entry *e, size_t n)
{
	struct render_entry *s = xmalloc(n * sizeof(*s));
	struct strbuf sb = STRBUF_INIT;

	memcpy(s, e, n * sizeof(*s));
	qsort(s, n, sizeof(*s), entry_cmp);
	for (size_t i = 0; i < n; i++)
		strbuf_appendf(&sb, "%s\t%s\n", s[i].domain, s[i].nexthop);
	free(s);
	return strbuf_detach(&sb);
}

/* Many lines, some of the longest domain and nexthop, in order and shuffled. */
static void
test_large(void **state)
{
	enum { N = 20000 };
	struct render_entry *e = xcalloc(N, sizeof(*e));
	char label[64], longhop[VALIDATE_NEXTHOP_MAX + 1];
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	(void)state;
	memset(label, 'x', 63), label[63] = '\0';
	snprintf(longhop, sizeof(longhop), "smtp:[%.61s.%.61s.%.61s.%.59s]:25", label, label, label, label);
	assert_int_equal(strlen(longhop), VALIDATE_NEXTHOP_MAX);
	for (size_t i = 0; i < N; i++) {
		if (i % 100 == 0)   /* 253 octets after the dot */
			e[i].domain = xasprintf(".%05zu%.58s.%.63s.%.63s.%.61s", i, label, label, label, label);
		else
			e[i].domain = xasprintf("host%zu.example", (i * 7919) % N);
		e[i].nexthop = xstrdup(i % 3 ? longhop : "smtp:[127.0.0.3]:2501");
	}
	char *want = expected_body(e, N);
	assert_int_equal(render_transport("mx01", 9, e, N, &out, &err), 0);
	assert_string_equal(render_body(strbuf_str(&out)), want);
	qsort(e, N, sizeof(*e), entry_cmp);
	strbuf_reset(&out);
	assert_int_equal(render_transport("mx01", 9, e, N, &out, &err), 0);
	assert_string_equal(render_body(strbuf_str(&out)), want);
	render_entries_free(e, N);
	free(want);
	strbuf_clear(&out), strbuf_clear(&err);
}

struct feed_case {
	const char *body;
	const char *want;
	long long version;   /* expected out.version on failure */
};

static void
test_feed_parse_extras(void **state)
{
	static const char body[] = "{\"node\":\"mx01\",\"version\":3,\"entries\":[],"
	    "\"providers\":[{\"name\":\"google\",\"domains\":[\"gmail.com\"],"
	    "\"mx_patterns\":[\"*.google.com\",\"*.googlemail.com\"]},{\"name\":\"kddi\"}],"
	    "\"holds\":[\"alice@example.jp\"]}";
	struct feed f;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	if (feed_parse(body, "mx01", &f, &err) != 0)
		fail_msg("%s", strbuf_str(&err));
	assert_int_equal(f.nproviders, 2);
	assert_string_equal(f.providers[0].name, "google");
	assert_int_equal(f.providers[0].ndomains, 1);
	assert_string_equal(f.providers[0].mx_patterns[1], "*.googlemail.com");
	assert_int_equal(f.providers[1].ndomains, 0);
	assert_int_equal(f.nholds, 1);
	assert_string_equal(f.holds[0], "alice@example.jp");
	feed_clear(&f);
	assert_int_equal(f.nproviders, 0);
	strbuf_clear(&err);
}

static void
test_feed_parse_errors(void **state)
{
	static const struct feed_case cases[] = {
		{ "not json", NULL, -1 },
		{ "[1]", "feed: not a JSON object: wrong type", -1 },
		{ "{\"node\":\"mx02\",\"version\":1,\"entries\":[]}", "node: is not \"mx01\"", -1 },
		{ "{\"node\":\"mx01\",\"version\":-1,\"entries\":[]}", "version: is not a non-negative integer", -1 },
		{ "{\"node\":\"mx01\",\"version\":\"7\",\"entries\":[]}", "version: is not a non-negative integer", -1 },
		{ "{\"node\":\"mx01\",\"version\":7}", "entries: is not an array", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[1]}", "entries[0]: is not an object", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[{\"domain\":\"a.com\"}]}",
		  "entries[0].nexthop: is missing", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[{\"domain\":5,\"nexthop\":\"smtp:\"}]}",
		  "entries[0].domain: is not a string", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[{\"domain\":\"a\\u0000b.com\",\"nexthop\":\"smtp:\"}]}",
		  NULL, -1 },   /* jansson refuses NUL without JSON_ALLOW_NUL */
		{ "{\"node\":\"mx01\",\"node\":\"mx01\",\"version\":7,\"entries\":[]}", NULL, -1 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[],\"providers\":{}}",
		  "providers: is not an array", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[],\"providers\":[{\"domains\":[]}]}",
		  "providers[0].name: is not a string", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[],\"providers\":[{\"name\":\"g\",\"mx_patterns\":[1]}]}",
		  "providers[0].mx_patterns[0]: is not a string", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[],\"holds\":\"alice\"}",
		  "holds: is not an array", 7 },
		{ "{\"node\":\"mx01\",\"version\":7,\"entries\":[],\"holds\":[\"a\",null]}",
		  "holds[1]: is not a string", 7 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed f;
		struct strbuf err = STRBUF_INIT;
		if (feed_parse(cases[i].body, "mx01", &f, &err) != -1)
			fail_msg("accepted: %s", cases[i].body);
		if (cases[i].want != NULL)
			assert_string_equal(strbuf_str(&err), cases[i].want);
		else
			assert_true(err.len > 0);
		assert_int_equal(f.version, cases[i].version);
		assert_null(f.entries);
		strbuf_clear(&err);
	}
}

static void
test_mastercf(void **state)
{
	static const char text[] =
	    "smtp       inet  n       -       y       -       -       smtpd\n"
	    "pickup     unix  n       -       y       60      1       pickup\n"
	    "smtp       unix  -       -       y       -       -       smtp\n"
	    "smtp_ip2   unix  -       -       y       -       -       smtp\n"
	    "    -o smtp_bind_address=192.0.2.7\n"
	    "postlog    unix-dgram n  -       n       -       1       postlogd\n";
	struct mastercf mc;
	struct render_entry ok[] = { { "a.com", "smtp:[1.2.3.4]", NULL }, { "b.com", "smtp_ip2:", NULL },
		{ "c.com", ":[5.6.7.8]", NULL } };
	struct render_entry bad[] = { { "a.com", "smtp:", NULL }, { "b.com", "smtp_ip3:[1.2.3.4]:25", NULL } };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	mastercf_parse(text, &mc);
	assert_int_equal(mc.n, 3);
	assert_true(mastercf_has(&mc, "smtp_ip2"));
	assert_false(mastercf_has(&mc, "postlog"));   /* unix-dgram is not a transport */
	assert_false(mastercf_has(&mc, "-o"));
	assert_int_equal(mastercf_check(&mc, ok, 3, &err), 0);
	assert_int_equal(mastercf_check(&mc, bad, 2, &err), -1);
	assert_string_equal(strbuf_str(&err), "entry 1 (b.com): nexthop: service \"smtp_ip3\" is not in master.cf");
	mastercf_clear(&mc);
	strbuf_clear(&err);
}

static void
test_compare(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(mapinstall_compare("b.com\tsmtp:\na.com\tsmtp:[x]\n",
	    "a.com\tsmtp:[x]\nb.com\tsmtp:\n", &err), 0);
	assert_int_equal(mapinstall_compare("", "", &err), 0);
	assert_int_equal(mapinstall_compare("a.com\tsmtp:\n", "a.com\tsmtp:\nb.com\tsmtp:\n", &err), -1);
	assert_string_equal(strbuf_str(&err), "map holds 1 entries, expected 2");
	strbuf_reset(&err);
	assert_int_equal(mapinstall_compare("a.com\tsmtp:[y]\n", "a.com\tsmtp:[x]\n", &err), -1);
	assert_string_equal(strbuf_str(&err), "map entry \"a.com\tsmtp:[y]\" differs from \"a.com\tsmtp:[x]\"");
	strbuf_clear(&err);
}

static void
test_render_parse_body(void **state)
{
	struct render_entry *e;
	const char *text = "# h1\n# h2\na.com\tsmtp:[x]\nb.com smtp:\n";
	size_t n = render_parse(text, &e);

	(void)state;
	assert_int_equal(n, 2);
	assert_string_equal(e[1].domain, "b.com");
	assert_string_equal(e[1].nexthop, "smtp:");
	assert_string_equal(render_body(text), "a.com\tsmtp:[x]\nb.com smtp:\n");
	render_entries_free(e, n);
}

static void
test_privsep_check(void **state)
{
	struct { const char *text, *want; } cases[] = {
		{ "", NULL },
		{ "# header, version 3\na.com\tsmtp:[127.0.0.1]:25\n.b.com\tsmtp_ip2:\n", NULL },
		{ "a.com\tsmtp:\nb.com smtp:\n", "line 2: not \"domain<TAB>nexthop\"" },
		{ "a.com\tsmtp:\tx\n", "line 1: nexthop: contains whitespace" },
		{ "a.com\tsmtp:", "text does not end with a line break" },
		{ "\n", "line 1: empty" },
		{ "A.com\tsmtp:\n", "line 1: domain: is not lower case" },
		{ "a..com\tsmtp:\n", "line 1: domain: has an empty label" },
		{ "# caf\xc3\xa9\n", "line 1: comment with a control or non-ASCII byte" },
		{ "\tsmtp:\n", "line 1: not \"domain<TAB>nexthop\"" },
		{ " a.com\tsmtp:\n", "line 1: domain: contains whitespace" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		int rc = privsep_check_text(cases[i].text, &err);
		if (cases[i].want == NULL) {
			if (rc != 0)
				fail_msg("case %zu refused: %s", i, strbuf_str(&err));
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(strbuf_str(&err), cases[i].want);
		}
		strbuf_clear(&err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_order_and_duplicates),
		cmocka_unit_test(test_many_nexthops),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_feed_parse_errors),
		cmocka_unit_test(test_feed_parse_extras),
		cmocka_unit_test(test_mastercf),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_render_parse_body),
		cmocka_unit_test(test_privsep_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
