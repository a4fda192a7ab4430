/*
 * test_sec_regex_limit.c: a hostile remote reply cannot make a rule
 * backtrack for ever (issue 10, finding 9: PCRE2 match limit).
 *
 * A rule with nested quantifiers over a long reply of word characters
 * that ends badly backtracks exponentially. With the classifier's match
 * limit the match stops: "no match" for that rule, the next rule still
 * decides, and the stop is counted.
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
#include "xalloc.h"

static struct classify *
load(const char *text)
{
	char path[] = "/tmp/postroute-test-rules.XXXXXX";
	int fd = mkstemp(path);
	struct strbuf err = STRBUF_INIT;
	struct classify *c = classify_new();

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail_msg("cannot write a temp file");
	close(fd);
	if (classify_load(c, path, &err) != 0)
		fail_msg("rules: %s", strbuf_str(&err));
	unlink(path);
	strbuf_clear(&err);
	return c;
}

static void
judge(struct classify *c, const char *reply, struct classify_result *res)
{
	struct maillog_clock clk;
	struct maillog_rec rec;
	char *line = xasprintf("Nov 27 17:00:00 mx1 postfix/smtp[1]: ABCDE12345: to=<u@x.example>,"
	    " relay=mx.x.example[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.7.0, status=deferred"
	    " (host mx.x.example[192.0.2.1] said: %s (in reply to RCPT TO command))", reply);

	maillog_clock_init(&clk, 1795780800);
	if (maillog_parse_line(line, strlen(line), &clk, &rec) != MAILLOG_DELIVERY)
		fail_msg("not a delivery: %s", line);
	classify_delivery(c, &rec, NULL, res);
	free(line);
}

static void
test_catastrophic_rule_stops(void **state)
{
	struct classify *c = load("evil block yes /^(\\w+\\s?)+$/\n"
	    "tss reputation no /TSS04/\n");
	struct classify_result res;
	char *a = xmalloc(1501);

	(void)state;
	memset(a, 'a', 1500);
	a[1500] = '\0';
	/* "450 aaaa...a TSS04 aaaa...a!": every word matches \w+, the "!" does not */
	char *reply = xasprintf("450 %s TSS04 %s!", a, a);
	free(a);
	judge(c, reply, &res);
	assert_string_equal(res.rule, "tss");
	assert_int_equal(res.cls, CLASS_REPUTATION);
	assert_int_equal(classify_match_errors(c), 1);
	/* without the second rule's literal: the fallback decides */
	reply[4 + 1500 + 1] = 'X';
	judge(c, reply, &res);
	assert_string_equal(res.rule, "fallback");
	assert_int_equal(classify_match_errors(c), 2);
	/* a reply that fits is still matched by the same rule */
	judge(c, "450 try again later", &res);
	assert_string_equal(res.rule, "evil");
	assert_int_equal(classify_match_errors(c), 2);
	free(reply);
	classify_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catastrophic_rule_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
