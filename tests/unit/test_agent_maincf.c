/*
 * test_agent_maincf.c: maincf_split, the Postfix list syntax the main.cf
 * checks compare (whitespace and commas between elements, "{ ... }" kept
 * whole). The checks themselves run against real Postfix instances in
 * test_agent_check and test_agent_maincf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "maincf.h"

static void
expect_split(const char *value, const char *const *want)
{
	char **el;
	size_t n = maincf_split(value, &el), k = 0;

	while (want[k] != NULL)
		k++;
	if (n != k)
		fail_msg("\"%s\": %zu elements, not %zu", value, n, k);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(el[i], want[i]) != 0)
			fail_msg("\"%s\": element %zu is \"%s\", not \"%s\"", value, i, el[i], want[i]);
	}
	maincf_strv_free(el, n);
}

static void
test_split(void **state)
{
	(void)state;
	expect_split("", (const char *const[]){ NULL });
	expect_split(" , \t", (const char *const[]){ NULL });
	expect_split("hash:/etc/postfix/postroute_transport",
	    (const char *const[]){ "hash:/etc/postfix/postroute_transport", NULL });
	expect_split("lmdb:/var/lib/t,hash:/etc/postfix/transport",
	    (const char *const[]){ "lmdb:/var/lib/t", "hash:/etc/postfix/transport", NULL });
	expect_split("  check_sasl_access hash:/h ,\n\tpermit_mynetworks,reject ",
	    (const char *const[]){ "check_sasl_access", "hash:/h", "permit_mynetworks", "reject",
	    NULL });
	expect_split("inline:{ a.test = smtp:, { b.test = relay: } }, hash:/t",
	    (const char *const[]){ "inline:{ a.test = smtp:, { b.test = relay: } }", "hash:/t",
	    NULL });
	expect_split("{unclosed, hash:/t", (const char *const[]){ "{unclosed, hash:/t", NULL });
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
