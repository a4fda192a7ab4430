/*
 * test_classify.c: the rules file (syntax, errors, precedence) and how a
 * reply is matched (unwrapping, scopes, fast paths, fallback).
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
#include "maillog.h"
#include "strbuf.h"

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/postroute-test-rules.XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail_msg("cannot write a temp file");
	close(fd);
	return path;
}

/* Loads text as a rules file into c; returns classify_load's result and its messages. */
static int
load_text(struct classify *c, const char *text, struct strbuf *err)
{
	char *path = write_temp(text);
	int rc = classify_load(c, path, err);
	char *p;

	/* messages name the temp file: make them stable */
	while ((p = strstr(err->buf ? err->buf : "", path)) != NULL) {
		memcpy(p, "RULES", 5);
		memmove(p + 5, p + strlen(path), strlen(p + strlen(path)) + 1);
		err->len = strlen(err->buf);
	}
	unlink(path);
	free(path);
	return rc;
}

static void
judge(struct classify *c, const char *line, const char *provider, struct classify_result *res)
{
	struct maillog_clock clk;
	struct maillog_rec rec;

	maillog_clock_init(&clk, 1795780800);
	if (maillog_parse_line(line, strlen(line), &clk, &rec) != MAILLOG_DELIVERY)
		fail_msg("not a delivery: %s (%s)", line, rec.error ? rec.error : "");
	classify_delivery(c, &rec, provider, res);
}

#define L(dsn, status, text) \
	"Nov 27 17:00:00 mx1 postfix/smtp[1]: ABCDE12345: to=<u@x.example>, relay=mx.x.example[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=" dsn ", status=" status " (" text ")"
#define SAID(reply, cmd) "host mx.x.example[192.0.2.1] said: " reply " (in reply to " cmd " command)"

static void
test_errors(void **state)
{
	struct classify *c = classify_new();
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(load_text(c,
	    "# comment\n"
	    "\n"
	    "good block yes /x/\n"
	    "b1 wibble yes /x/\n"
	    "b2 block maybe /x/\n"
	    "b3 block yes colour=red /x/\n"
	    "b4 block yes stage=lunch /x/\n"
	    "b5 block yes provider=Google /x/\n"
	    "b6 block yes /a(b/\n"
	    "b7 block yes\n"
	    "b8 block yes /x/ trailing\n"
	    "B9 block yes /x/\n"
	    "b10 block yes //\n"
	    "good off\n",
	    &err), -1);
	assert_string_equal(err.buf,
	    "RULES:4: b1: unknown class\n"
	    "RULES:5: b2: reroutable must be yes, no or ambiguous\n"
	    "RULES:6: b3: expected provider=, dsn=, stage=, status=, on= or /PATTERN/\n"
	    "RULES:7: b4: bad stage= list\n"
	    "RULES:8: b5: bad provider= list\n"
	    "RULES:9: b6: bad pattern at offset 3: missing closing parenthesis\n"
	    "RULES:10: b7: expected NAME CLASS REROUTABLE [SCOPE...] /PATTERN/ or NAME off\n"
	    "RULES:11: b8: the pattern must be /PATTERN/ at the end of the line\n"
	    "RULES:12: a rule starts with its NAME ([a-z0-9][a-z0-9._-]*)\n"
	    "RULES:13: b10: empty pattern\n"
	    "RULES:14: good: defined twice in this file\n");
	/* a file with errors adds nothing */
	assert_int_equal(classify_count(c), 0);
	strbuf_clear(&err);
	classify_free(c);
}

static void
test_precedence(void **state)
{
	struct classify *c = classify_new();
	struct strbuf err = STRBUF_INIT;
	struct classify_result res;
	const char *line = L("4.7.0", "deferred", SAID("421 4.7.0 [TSS04] Messages from 192.0.2.9 deferred", "MAIL FROM"));

	(void)state;
	assert_int_equal(load_text(c,
	    "tss reputation yes /\\[TSS\\d+\\]/\n"
	    "generic transient no /deferred/\n"
	    "other block yes /Messages from/\n", &err), 0);
	assert_int_equal(classify_count(c), 3);
	judge(c, line, "yahoo", &res);
	assert_string_equal(res.rule, "tss");
	/* a later file: same name replaces, new rules are tried first, off removes */
	assert_int_equal(load_text(c,
	    "tss off\n"
	    "generic greylist no /deferred/\n", &err), 0);
	assert_int_equal(classify_count(c), 2);
	judge(c, line, "yahoo", &res);
	assert_string_equal(res.rule, "generic");
	assert_string_equal(classify_class_name(res.cls), "greylist");
	assert_int_equal(res.reroutable, REROUTE_NO);
	assert_int_equal(load_text(c, "first block ambiguous /192\\.0\\.2\\.9/\n", &err), 0);
	judge(c, line, "yahoo", &res);
	assert_string_equal(res.rule, "first");
	assert_int_equal(res.reroutable, REROUTE_AMBIGUOUS);
	assert_null(err.buf);
	classify_free(c);
}

static void
test_scopes(void **state)
{
	struct classify *c = classify_new();
	struct strbuf err = STRBUF_INIT;
	struct classify_result res;

	(void)state;
	assert_int_equal(load_text(c,
	    "p block yes provider=google,yahoo /refused/\n"
	    "d rate_limit yes dsn=4.7. /refused/\n"
	    "s recipient_filter no stage=eod,data /refused/\n"
	    "st content no status=bounced /refused/\n"
	    "o connection yes on=conn /Connection refused/\n"
	    "any policy no /refused|Connection/\n", &err), 0);
	judge(c, L("5.0.0", "deferred", SAID("550 refused", "RCPT TO")), "yahoo", &res);
	assert_string_equal(res.rule, "p");
	judge(c, L("4.7.1", "deferred", SAID("450 refused", "RCPT TO")), "apple", &res);
	assert_string_equal(res.rule, "d");
	judge(c, L("4.0.0", "deferred", SAID("450 refused", "end of DATA")), NULL, &res);
	assert_string_equal(res.rule, "s");
	judge(c, L("5.0.0", "bounced", SAID("550 refused", "RCPT TO")), "other", &res);
	assert_string_equal(res.rule, "st");
	judge(c, L("5.0.0", "deferred", SAID("550 refused", "RCPT TO")), "other", &res);
	assert_string_equal(res.rule, "any");
	/* connection failures are seen by on=conn rules only */
	judge(c, L("4.4.1", "deferred", "connect to mx.x.example[192.0.2.1]:25: Connection refused"), "google", &res);
	assert_string_equal(res.rule, "o");
	judge(c, L("4.4.1", "deferred", "connect to mx.x.example[192.0.2.1]:25: Connection timed out"), "google", &res);
	assert_string_equal(res.rule, "fallback");
	assert_string_equal(classify_class_name(res.cls), "connection");
	assert_int_equal(res.reroutable, REROUTE_AMBIGUOUS);
	strbuf_clear(&err);
	classify_free(c);
}

/* Patterns see multi-line replies unwrapped, blanks folded. */
static void
test_unwrap(void **state)
{
	struct classify *c = classify_new();
	struct strbuf err = STRBUF_INIT;
	struct classify_result res;

	(void)state;
	assert_int_equal(load_text(c,
	    "phrase block yes /^550 5\\.7\\.28 one two three four$/\n"
	    "nocode block yes /^554 gmx\\.net Service not available No SMTP service IP address is block listed\\. For more$/\n"
	    "grey greylist no /^451 192\\.0\\.2\\.7 is not yet authorized from <a@b>\\.$/\n", &err), 0);
	judge(c, L("5.7.28", "bounced", SAID("550-5.7.28 one 550-5.7.28 two   550-5.7.28 550-5.7.28 three 550 5.7.28 four", "RCPT TO")), "google", &res);
	assert_string_equal(res.rule, "phrase");
	judge(c, L("5.0.0", "bounced", SAID("554-gmx.net Service not available 554-No SMTP service 554-IP address is block listed. 554 For more", "RCPT TO")), "gmx", &res);
	assert_string_equal(res.rule, "nocode");
	judge(c, L("4.0.0", "deferred", SAID("451-192.0.2.7 is not yet authorized from 451 <a@b>.", "RCPT TO")), NULL, &res);
	assert_string_equal(res.rule, "grey");
	strbuf_clear(&err);
	classify_free(c);
}

struct fcase {
	const char *dsn, *status, *text;
	const char *cls;
	enum classify_reroute rr;
	const char *rule;
};

static void
test_fast_paths_and_fallback(void **state)
{
	static const struct fcase f[] = {
		{ "2.0.0", "sent", "250 2.0.0 OK", "sent", REROUTE_NO, "sent" },
		{ "4.4.1", "deferred", "delivery temporarily suspended: connect to mx.x.example[192.0.2.1]:25: Connection timed out", "suspended", REROUTE_NO, "suspended" },
		{ "5.1.1", "bounced", SAID("550 5.1.1 nope", "RCPT TO"), "user_unknown", REROUTE_NO, "fallback" },
		{ "5.2.2", "bounced", SAID("552 5.2.2 nope", "RCPT TO"), "mailbox_full", REROUTE_NO, "fallback" },
		{ "5.2.1", "bounced", SAID("550 5.2.1 nope", "RCPT TO"), "mailbox_disabled", REROUTE_NO, "fallback" },
		{ "5.7.26", "bounced", SAID("550 5.7.26 nope", "end of DATA"), "auth", REROUTE_NO, "fallback" },
		{ "5.7.1", "bounced", SAID("550 5.7.1 nope", "RCPT TO"), "unknown", REROUTE_AMBIGUOUS, "fallback" },
		{ "5.3.4", "bounced", SAID("552 5.3.4 nope", "end of DATA"), "policy", REROUTE_NO, "fallback" },
		{ "4.0.0", "deferred", SAID("451 nope", "RCPT TO"), "unknown", REROUTE_NO, "fallback" },
		{ "5.0.0", "bounced", SAID("554 nope", "RCPT TO"), "unknown", REROUTE_NO, "fallback" },
		{ "4.4.3", "deferred", "Host or domain name not found. Name service error for name=x.example type=MX: Host not found, try again", "transient", REROUTE_NO, "fallback" },
		{ "4.4.2", "deferred", "lost connection with mx.x.example[192.0.2.1] while sending RCPT TO", "connection", REROUTE_AMBIGUOUS, "fallback" },
	};
	struct classify *c = classify_new();
	struct classify_result res;
	char line[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(line, sizeof(line), L("%s", "%s", "%s"), f[i].dsn, f[i].status, f[i].text);
		judge(c, line, "google", &res);
		if (strcmp(classify_class_name(res.cls), f[i].cls) != 0 || res.reroutable != f[i].rr ||
		    strcmp(res.rule, f[i].rule) != 0)
			fail_msg("case %zu: got %s/%s/%s", i, classify_class_name(res.cls),
			    classify_reroute_name(res.reroutable), res.rule);
	}
	classify_free(c);
}

static void
test_names(void **state)
{
	enum classify_class cls;

	(void)state;
	for (int i = CLASS_NONE + 1; i < CLASS_COUNT; i++) {
		assert_int_equal(classify_class_parse(classify_class_name((enum classify_class)i), &cls), 0);
		assert_int_equal(cls, i);
	}
	assert_int_equal(classify_class_parse("none", &cls), -1);
	assert_string_equal(classify_reroute_name(REROUTE_AMBIGUOUS), "ambiguous");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_unwrap),
		cmocka_unit_test(test_fast_paths_and_fallback),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
