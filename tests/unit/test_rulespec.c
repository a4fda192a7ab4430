/*
 * test_rulespec.c: the checks of a stored rule (common/rulespec.h), the
 * one class list, and the controller's rules in the classifier
 * (classify_add_specs): precedence over the files, same name replaces,
 * a bad rule skipped with its message while the others apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "classify.h"
#include "feed.h"
#include "maillog.h"
#include "rulespec.h"
#include "strbuf.h"

/* rulespec_check's message for r ("" when valid). */
static char *
check(struct rulespec r)
{
	struct strbuf msg = STRBUF_INIT;
	int rc = rulespec_check(&r, &msg);

	assert_int_equal(rc, msg.len > 0 ? -1 : 0);
	return strbuf_detach(&msg);
}

static void
test_valid(void **state)
{
	(void)state;
	char *m = check((struct rulespec){ "acme-tss09", "TSS09 .*blocked", "reputation", "yes",
		"yahoo", "seen 2026-12" });
	assert_string_equal(m, "");
	free(m);
	m = check((struct rulespec){ "any.provider_x", "x", "unknown", "ambiguous", NULL, NULL });
	assert_string_equal(m, "");
	free(m);
}

static void
test_messages(void **state)
{
	static const struct {
		struct rulespec r;
		const char *want;
	} cases[] = {
		{ { "Bad", "x", "block", "yes", NULL, NULL },
		  "name: must start with a lower-case letter or a digit" },
		{ { NULL, "x", "block", "yes", NULL, NULL }, "name: required" },
		{ { "r", "x", "blocked", "yes", NULL, NULL },
		  "class: unknown class; one of block dnsbl rate_limit reputation auth content policy "
		  "transient user_unknown mailbox_full mailbox_disabled recipient_filter "
		  "recipient_rate_limit greylist connection suspended sent unknown" },
		{ { "r", "x", "none", "yes", NULL, NULL }, "class: unknown class; one of block" },
		{ { "r", "x", NULL, "yes", NULL, NULL }, "class: required" },
		{ { "r", "x", "block", "maybe", NULL, NULL },
		  "reroutable: must be yes, no or ambiguous" },
		{ { "r", "x", "block", "yes", "Yahoo!", NULL }, "provider: must start with" },
		{ { "r", "x", "block", "yes", NULL, "two\nlines" },
		  "note: contains a control character" },
		{ { "r", "(abc", "block", "yes", NULL, NULL },
		  "pattern: bad pattern at offset 4: missing closing parenthesis" },
		{ { "r", "a{2,1}", "block", "yes", NULL, NULL },
		  "pattern: bad pattern at offset 5: numbers out of order in {} quantifier" },
		{ { "r", "", "block", "yes", NULL, NULL }, "pattern: empty pattern" },
		{ { "r", "a\nb", "block", "yes", NULL, NULL },
		  "pattern: contains a control character (a reply is one line)" },
		{ { "r", NULL, "block", "yes", NULL, NULL }, "pattern: required" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = check(cases[i].r);
		if (strncmp(m, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, m, cases[i].want);
		free(m);
	}
}

static void
test_limits(void **state)
{
	char *pat = malloc(RULESPEC_PATTERN_MAX + 2), *note = malloc(RULESPEC_NOTE_MAX + 2);
	char *m;

	(void)state;
	memset(pat, 'a', RULESPEC_PATTERN_MAX);
	pat[RULESPEC_PATTERN_MAX] = '\0';
	memset(note, 'n', RULESPEC_NOTE_MAX);
	note[RULESPEC_NOTE_MAX] = '\0';
	m = check((struct rulespec){ "r", pat, "block", "yes", NULL, note });
	assert_string_equal(m, "");
	free(m);
	strcat(pat, "a");
	m = check((struct rulespec){ "r", pat, "block", "yes", NULL, NULL });
	assert_string_equal(m, "pattern: longer than 4096 octets");
	free(m);
	strcat(note, "n");
	m = check((struct rulespec){ "r", "x", "block", "yes", NULL, note });
	assert_string_equal(m, "note: longer than 1000 octets");
	free(m);
	free(pat), free(note);
}

/* The one class list is the classifier's. */
static void
test_classes(void **state)
{
	(void)state;
	for (int i = 1; i < CLASS_COUNT; i++) {
		enum classify_class c;
		assert_int_equal(classify_class_parse(rulespec_classes[i], &c), 0);
		assert_int_equal((int)c, i);
		assert_string_equal(classify_class_name(c), rulespec_classes[i]);
		assert_int_equal(rulespec_class_index(rulespec_classes[i]), i);
	}
	assert_int_equal(rulespec_class_index("none"), -1);
	assert_string_equal(classify_class_name(CLASS_UNKNOWN), "unknown");
}

/* The same flags as the files: caseless. */
static void
test_caseless(void **state)
{
	struct strbuf msg = STRBUF_INIT;
	pcre2_code *re = rulespec_compile("tss09", &msg);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);

	(void)state;
	assert_non_null(re);
	assert_true(pcre2_match(re, (PCRE2_SPTR) "421 4.7.0 [TSS09] x", 19, 0, 0, md, NULL) >= 0);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	strbuf_clear(&msg);
}

static const char *const line_unknown =
    "Dec  5 10:00:00 mx01 postfix/smtp[1]: 4A1B2C3D4E: to=<a@example.net>,"
    " relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.0.0,"
    " status=deferred (host mx.example.net[192.0.2.1] said: 421 4.0.0 [ZX42] slow down"
    " (in reply to RCPT TO command))";

static void
judge(struct classify *c, const char *provider, struct classify_result *res)
{
	struct maillog_clock clk;
	struct maillog_rec rec;

	maillog_clock_init(&clk, 1795780800);
	assert_int_equal(maillog_parse_line(line_unknown, strlen(line_unknown), &clk, &rec),
	    MAILLOG_DELIVERY);
	classify_delivery(c, &rec, provider, res);
}

static void
test_add_specs(void **state)
{
	struct classify *c = classify_new();
	struct strbuf err = STRBUF_INIT;
	struct classify_result res;
	char path[] = "/tmp/postroute-test-rulespec.XXXXXX";
	int fd = mkstemp(path);
	const char *file = "zx-file transient no /\\[ZX42\\]/\nother-file policy no /nothing/\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, strlen(file)), (ssize_t)strlen(file));
	close(fd);
	assert_int_equal(classify_load(c, path, &err), 0);
	unlink(path);
	judge(c, "other", &res);
	assert_string_equal(res.rule, "zx-file");

	/* tried before the file's; a bad one skipped with its message */
	const struct rulespec specs[] = {
		{ "zx-ctl", "zx42\\] slow", "rate_limit", "yes", NULL, NULL },
		{ "broken", "(unclosed", "block", "yes", NULL, NULL },
		{ "other-file", "\\[ZX42\\]", "reputation", "ambiguous", "acme", NULL },
		{ NULL, "x", "block", "yes", NULL, NULL },
	};
	assert_int_equal(classify_add_specs(c, specs, 4, &err), 2);
	assert_string_equal(strbuf_str(&err),
	    "rule broken skipped: pattern: bad pattern at offset 9: missing closing parenthesis\n"
	    "rule (bad name) skipped: name: required\n");
	assert_int_equal(classify_count(c), 3);   /* zx-file, zx-ctl, other-file (replaced) */
	judge(c, "other", &res);
	assert_string_equal(res.rule, "zx-ctl");
	assert_string_equal(classify_class_name(res.cls), "rate_limit");
	assert_int_equal(res.reroutable, REROUTE_YES);
	classify_free(c);

	/* provider scope: the same reply for acme meets other-file first */
	c = classify_new();
	strbuf_reset(&err);
	assert_int_equal(classify_add_specs(c, &specs[2], 1, &err), 0);
	judge(c, "acme", &res);
	assert_string_equal(res.rule, "other-file");
	assert_int_equal(res.reroutable, REROUTE_AMBIGUOUS);
	judge(c, "google", &res);
	assert_string_equal(res.rule, "fallback");
	assert_string_equal(classify_class_name(res.cls), "unknown");
	classify_free(c);
	strbuf_clear(&err);
}

/* The feed's "rules": a rule of the wrong shape is kept with NULL fields
 * (skipped and reported by the classifier), never a refused feed. */
static void
test_feed_rules(void **state)
{
	struct feed f = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct classify *c = classify_new();

	(void)state;
	assert_int_equal(feed_parse("{\"node\":\"mx01\",\"version\":3,\"entries\":[],"
	    "\"rules\":[{\"name\":\"ok1\",\"pattern\":\"x\",\"class\":\"block\","
	    "\"reroutable\":\"yes\",\"provider\":null},{\"name\":\"typed\",\"pattern\":7,"
	    "\"class\":\"block\",\"reroutable\":\"yes\"},\"junk\"]}", "mx01", &f, &err), 0);
	assert_true(f.has_rules);
	assert_int_equal(f.nrules, 3);
	assert_string_equal(f.rules[0].name, "ok1");
	assert_null(f.rules[0].provider);
	assert_null(f.rules[1].pattern);
	assert_null(f.rules[2].name);
	struct rulespec v[3];
	for (size_t i = 0; i < 3; i++)
		v[i] = (struct rulespec){ f.rules[i].name, f.rules[i].pattern, f.rules[i].cls,
			f.rules[i].reroutable, f.rules[i].provider, NULL };
	assert_int_equal(classify_add_specs(c, v, 3, &err), 2);
	assert_string_equal(strbuf_str(&err), "rule typed skipped: pattern: required\n"
	    "rule (bad name) skipped: name: required\n");
	assert_int_equal(classify_count(c), 1);
	feed_clear(&f);

	/* an older controller: no "rules" */
	strbuf_reset(&err);
	assert_int_equal(feed_parse("{\"node\":\"mx01\",\"version\":3,\"entries\":[]}", "mx01",
	    &f, &err), 0);
	assert_false(f.has_rules);
	feed_clear(&f);
	/* not an array: a bad feed */
	assert_int_equal(feed_parse("{\"node\":\"mx01\",\"version\":3,\"entries\":[],"
	    "\"rules\":{}}", "mx01", &f, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "rules: is not an array"));
	feed_clear(&f);
	classify_free(c);
	strbuf_clear(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_caseless),
		cmocka_unit_test(test_add_specs),
		cmocka_unit_test(test_feed_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
