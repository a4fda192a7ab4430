/*
 * test_cli_output.c: aligned tables, plain lines, CSV quoting, cells from
 * JSON, and hostile cells that must not reach the terminal raw.
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
#include "rows.h"

static char *
render(enum output_format fmt, const struct table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	output_table_print(fp, fmt, t);
	fclose(fp);
	return buf;
}

static struct table *
sample(void)
{
	static const char *hdr[] = { "NODE", "RELAY", "REASON" };
	static const char *r1[] = { "mx01", "relay03", "gmail blocks mx01" };
	static const char *r2[] = { "mx1000", NULL, "a, \"quoted\" reason" };
	struct table *t = output_table_new(3, hdr);

	output_table_add(t, r1);
	output_table_add(t, r2);
	return t;
}

static void
test_formats(void **state)
{
	struct table *t = sample();
	char *s;

	(void)state;
	s = render(OUTPUT_TABLE, t);
	assert_string_equal(s,
	    "NODE    RELAY    REASON\n"
	    "mx01    relay03  gmail blocks mx01\n"
	    "mx1000  -        a, \"quoted\" reason\n");
	free(s);
	s = render(OUTPUT_PLAIN, t);
	assert_string_equal(s,
	    "mx01\trelay03\tgmail blocks mx01\n"
	    "mx1000\t-\ta, \"quoted\" reason\n");
	free(s);
	s = render(OUTPUT_CSV, t);
	assert_string_equal(s,
	    "NODE,RELAY,REASON\r\n"
	    "mx01,relay03,gmail blocks mx01\r\n"
	    "mx1000,,\"a, \"\"quoted\"\" reason\"\r\n");
	free(s);
	output_table_free(t);
}

static void
test_hostile_cells(void **state)
{
	static const char *hdr[] = { "A", "B" };
	static const char *row[] = { "x\033[2Jy", "line1\nline2\tz" };
	struct table *t = output_table_new(2, hdr);
	char *s;

	(void)state;
	output_table_add(t, row);
	s = render(OUTPUT_TABLE, t);
	assert_string_equal(s, "A       B\nx?[2Jy  line1?line2?z\n");
	free(s);
	s = render(OUTPUT_PLAIN, t);
	assert_string_equal(s, "x?[2Jy\tline1?line2?z\n");
	free(s);
	s = render(OUTPUT_CSV, t);   /* CSV quotes instead: the value survives */
	assert_string_equal(s, "A,B\r\nx\033[2Jy,\"line1\nline2\tz\"\r\n");
	free(s);
	output_table_free(t);
}

static void
test_utf8_width(void **state)
{
	static const char *hdr[] = { "REASON", "X" };
	static const char *row[] = { "caf\xc3\xa9", "1" };
	struct table *t = output_table_new(2, hdr);
	char *s;

	(void)state;
	output_table_add(t, row);
	s = render(OUTPUT_TABLE, t);
	assert_string_equal(s, "REASON  X\ncaf\xc3\xa9    1\n");
	free(s);
	output_table_free(t);
}

static void
test_cells_from_json(void **state)
{
	json_t *v = json_loads("[\"s\", null, 12, true, false, [\"a\",\"b\"], {\"k\":1}]", 0, NULL);
	static const char *want[] = { "s", NULL, "12", "yes", "no", "a,b", "{\"k\":1}" };

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *c = output_cell(json_array_get(v, i));
		if (want[i] == NULL)
			assert_null(c);
		else
			assert_string_equal(c, want[i]);
		free(c);
	}
	assert_null(output_cell(NULL));
	json_decref(v);

	char *s = output_short_time("2026-11-27T18:04:05.123Z");
	assert_string_equal(s, "2026-11-27 18:04:05");
	free(s);
	s = output_short_time("garbage");
	assert_string_equal(s, "garbage");
	free(s);
}

static void
test_rows_table(void **state)
{
	static const struct rows_col cols[] = {
		{ "NAME", "name", ROWS_VALUE }, { "AT", "at", ROWS_TIME },
		{ NULL, NULL, ROWS_VALUE },
	};
	json_t *doc = json_loads("{\"relays\": [{\"name\": \"r1\", \"at\": \"2026-11-27T18:04:05.000Z\"},"
	    " {\"name\": \"r2\"}]}", 0, NULL);
	struct table *t = rows_table(rows_array(doc, "relays"), cols, OUTPUT_PLAIN);
	char *s = render(OUTPUT_PLAIN, t);

	(void)state;
	assert_string_equal(s, "r1\t2026-11-27 18:04:05\nr2\t-\n");
	free(s);
	output_table_free(t);
	t = rows_table(rows_array(doc, "relays"), cols, OUTPUT_CSV);
	s = render(OUTPUT_CSV, t);
	assert_string_equal(s, "NAME,AT\r\nr1,2026-11-27T18:04:05.000Z\r\nr2,\r\n");
	free(s);
	output_table_free(t);
	json_decref(doc);
}

static void
test_format_names(void **state)
{
	enum output_format f;

	(void)state;
	assert_int_equal(output_format_parse("csv", &f), 0);
	assert_int_equal(f, OUTPUT_CSV);
	assert_int_equal(output_format_parse("json", &f), 0);
	assert_int_equal(f, OUTPUT_JSON);
	assert_int_equal(output_format_parse("xml", &f), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_hostile_cells),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_cells_from_json),
		cmocka_unit_test(test_rows_table),
		cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
