/*
 * test_sec_csv.c: the CLI's CSV output defuses cells a spreadsheet would
 * run as a formula (issue 10, finding 9: CSV injection). A cell starting
 * with = + - @, a tab or a CR gets a leading single quote (OWASP), and is
 * still quoted by RFC 4180's rules; other cells are unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"

static char *
render(const struct table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	output_table_print(fp, OUTPUT_CSV, t);
	fclose(fp);
	return buf;
}

static void
test_formula_cells_defused(void **state)
{
	static const char *hdr[] = { "SENDER", "REASON" };
	static const char *r1[] = { "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0" };
	static const char *r2[] = { "-2+3", "@SUM(A1:A9)" };
	static const char *r3[] = { "\t=1", "\r=1" };
	static const char *r4[] = { "bob@example.com", "a - b = c" };
	static const char *r5[] = { "-", "'quoted" };
	struct table *t = output_table_new(2, hdr);

	(void)state;
	output_table_add(t, r1);
	output_table_add(t, r2);
	output_table_add(t, r3);
	output_table_add(t, r4);
	output_table_add(t, r5);
	char *s = render(t);
	assert_string_equal(s,
	    "SENDER,REASON\r\n"
	    "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",'+1+cmd|' /C calc'!A0\r\n"
	    "'-2+3,'@SUM(A1:A9)\r\n"
	    "'\t=1,\"'\r=1\"\r\n"
	    "bob@example.com,a - b = c\r\n"
	    ",'quoted\r\n");
	free(s);
	output_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formula_cells_defused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
