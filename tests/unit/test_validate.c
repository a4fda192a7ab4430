/*
 * test_validate.c: the transport(5) grammars, good and hostile values;
 * validate_domain against a plain reference of its grammar over every
 * short string of a hostile alphabet and at the length limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "validate.h"

struct vcase {
	const char *in;
	const char *want;   /* NULL = accepted, else the exact reason */
};

/* Each of the n cases: fn accepts it, or refuses it with the reason wanted. */
static void
check_cases(const struct vcase *cases, size_t n, const char *(*fn)(const char *))
{
	for (size_t i = 0; i < n; i++) {
		const char *got = fn(cases[i].in);
		if (cases[i].want == NULL) {
			if (got != NULL)
				fail_msg("%s: refused: %s", cases[i].in, got);
		} else {
			if (got == NULL)
				fail_msg("%s: accepted", cases[i].in);
			if (strcmp(got, cases[i].want) != 0)
				fail_msg("%s: got \"%s\", want \"%s\"", cases[i].in, got, cases[i].want);
		}
	}
}

static char domain_out[VALIDATE_DOMAIN_MAX + 2];

/* validate_domain with its copy in domain_out. */
static const char *
domain_into_out(const char *in)
{
	return validate_domain(in, domain_out, sizeof(domain_out));
}

static void
test_domains(void **state)
{
	static const struct vcase cases[] = {
		{ "gmail.com", NULL },
		{ "GMail.COM", NULL },
		{ ".gmail.com", NULL },
		{ "xn--bcher-kva.example", NULL },
		{ "a-b.c0", NULL },
		{ "localhost", NULL },
		{ "", "is empty" },
		{ "gmail.com\nexample.org smtp:[evil]", "contains a line break" },
		{ "gmail.com smtp:", "contains whitespace" },
		{ "gmail.com\tx", "contains whitespace" },
		{ "gmail.com#x", "contains '#'" },
		{ "gmail.com,yahoo.com", "contains ','" },
		{ "b\xc3\xbc" "cher.example", "contains a non-ASCII character (use the xn-- form)" },
		{ "a\x01.com", "contains a control character" },
		{ "..com", "has an empty label" },
		{ "a..com", "has an empty label" },
		{ "com.", "has an empty label" },
		{ "-a.com", "has a label that starts or ends with '-'" },
		{ "a-.com", "has a label that starts or ends with '-'" },
		{ "a_b.com", "contains a character other than letters, digits, '-' and '.'" },
		{ "a/b.com", "contains a character other than letters, digits, '-' and '.'" },
		{ "a:b.com", "contains a character other than letters, digits, '-' and '.'" },
		{ "[127.0.0.1]", "contains a character other than letters, digits, '-' and '.'" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
		  "has a label longer than 63 octets" },
	};
	char out[VALIDATE_DOMAIN_MAX + 2];

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]), domain_into_out);
	assert_null(validate_domain("GMail.COM", out, sizeof(out)));
	assert_string_equal(out, "gmail.com");
}

static void
test_domain_length(void **state)
{
	char in[300], out[VALIDATE_DOMAIN_MAX + 2];

	(void)state;
	/* 4 labels of 63 = 252 octets with dots: accepted; one more octet: refused */
	memset(in, 'a', sizeof(in));
	in[63] = in[127] = in[191] = '.';
	in[251] = '\0';
	assert_int_equal(strlen(in), 251);
	assert_null(validate_domain(in, out, sizeof(out)));
	in[251] = 'b', in[252] = 'c', in[253] = 'd', in[254] = '\0';
	assert_string_equal(validate_domain(in, out, sizeof(out)), "is longer than 253 octets");
}

/*
 * The domain grammar written plainly, check after check in the order of
 * validate.h, for comparison with validate_domain (which takes a faster
 * path for the common case).
 */
static const char *
ref_domain(const char *in, char *out, size_t outlen)
{
	size_t n, start = 0;

	if (in == NULL || *in == '\0')
		return "is empty";
	n = strlen(in);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == ' ' || c == '\t')
			return "contains whitespace";
		if (c == '\n' || c == '\r')
			return "contains a line break";
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
		if (c >= 0x80)
			return "contains a non-ASCII character (use the xn-- form)";
		if (c == '#')
			return "contains '#'";
		if (c == ',')
			return "contains ','";
	}
	const char *s = in[0] == '.' ? in + 1 : in;
	size_t ln = strlen(s);
	if (ln == 0)
		return "is empty";
	if (ln > VALIDATE_DOMAIN_MAX)
		return "is longer than 253 octets";
	for (size_t i = 0; i <= ln; i++) {
		if (i < ln && s[i] != '.') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-'))
				return "contains a character other than letters, digits, '-' and '.'";
			continue;
		}
		if (i == start)
			return "has an empty label";
		if (i - start > 63)
			return "has a label longer than 63 octets";
		if (s[start] == '-' || s[i - 1] == '-')
			return "has a label that starts or ends with '-'";
		start = i + 1;
	}
	if (n + 1 > outlen)
		return "is too long";
	for (size_t i = 0; i <= n; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
	return NULL;
}

/* validate_domain and ref_domain agree on in (reason and copy). */
static void
same_as_ref(const char *in, size_t outlen)
{
	char got_out[300], want_out[300];
	const char *got, *want;

	assert_true(outlen <= sizeof(got_out));
	got = validate_domain(in, got_out, outlen);
	want = ref_domain(in, want_out, outlen);
	if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0))
		fail_msg("\"%s\" (outlen %zu): got %s, want %s", in, outlen, got ? got : "accepted",
		    want ? want : "accepted");
	if (got == NULL && strcmp(got_out, want_out) != 0)
		fail_msg("\"%s\": copied \"%s\", want \"%s\"", in, got_out, want_out);
}

/* Every string of up to 5 octets over letters of each case, a digit, '-',
 * '.', and one each of the refused kinds. */
static void
test_domain_reference(void **state)
{
	static const char alpha[] = "aZ7-._ #,\n\x01\x7f\xc3";
	const size_t na = sizeof(alpha) - 1;
	char in[8];

	(void)state;
	for (size_t len = 1; len <= 5; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= na;
		for (size_t v = 0; v < total; v++) {
			size_t x = v;
			for (size_t k = 0; k < len; k++, x /= na)
				in[k] = alpha[x % na];
			in[len] = '\0';
			same_as_ref(in, VALIDATE_DOMAIN_MAX + 2);
			same_as_ref(in, 4);     /* an output too small for the longer ones */
		}
	}
}

/* Label and total lengths around their limits, with and without a
 * leading dot, a '-' or an upper-case letter at either end. */
static void
test_domain_limits(void **state)
{
	static const char *const tails[] = { "", "-", "A", ".a" };
	char in[300];

	(void)state;
	for (size_t lead = 0; lead <= 1; lead++) {
		for (size_t label = 60; label <= 65; label++) {
			for (size_t total = 249; total <= 256; total++) {
				for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
					size_t n = 0;
					if (lead)
						in[n++] = '.';
					while (n < total) {
						for (size_t k = 0; k < label && n < total; k++)
							in[n++] = (char)('a' + k % 26);
						if (n < total - 1)
							in[n++] = '.';
					}
					in[n] = '\0';
					snprintf(in + n, sizeof(in) - n, "%s", tails[t]);
					same_as_ref(in, VALIDATE_DOMAIN_MAX + 2);
					same_as_ref(in, strlen(in) + 1);
					same_as_ref(in, strlen(in));
				}
			}
		}
	}
}

static void
test_nexthops(void **state)
{
	static const struct vcase cases[] = {
		{ "smtp:", NULL },
		{ "smtp_ip2:", NULL },
		{ "relay:relay03.example.net", NULL },
		{ "smtp:[relay03.example.net]", NULL },
		{ "smtp:[relay03.example.net]:25", NULL },
		{ "smtp:[127.0.0.2]:2601", NULL },
		{ "smtp:[ipv6:2001:db8::1]:25", NULL },
		{ "smtp:[2001:db8::1]", NULL },
		{ "smtp:relay03.example.net:587", NULL },
		{ "smtp:[relay.example]:submission", NULL },
		{ "", "is empty" },
		{ "smtp", "has no ':' after the master.cf service name" },
		{ ":[relay]", "has no master.cf service before ':'" },
		{ "smtp:[127.0.0.1:2601", "has '[' without ']'" },
		{ "smtp:[relay]x", "has text after ']' that is not ':port'" },
		{ "smtp:[relay]:99999", "has a port above 65535" },
		{ "smtp:[relay]:0", "has port 0" },
		{ "smtp:[relay]:", "has an empty or overlong port" },
		{ "smtp:[a]]", "has misplaced brackets" },
		{ "smtp:relay]", "has misplaced brackets" },
		{ "smtp:[re lay]", "contains whitespace" },
		{ "smtp:[relay]\ngmail.com smtp:[evil]", "contains a line break" },
		{ "smtp:[relay] #x", "contains whitespace" },
		{ "smtp:[relay]#x", "contains '#'" },
		{ "smtp:[relay],smtp:[other]", "contains ','" },
		{ "sm/tp:[relay]", "has a service name with a character other than letters, digits, '-', '_' and '.'" },
		{ "smtp:[re_lay]", "has a bracketed host that is not a hostname or an IP address" },
		{ "smtp:-relay", "has a host that is not a valid hostname" },
		{ "smtp:[relay]:2\xc3\xa9", "contains a non-ASCII character (use the xn-- form)" },
		{ "smtp:[relay]:a$b", "has a port that is neither a number nor a service name" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]), validate_nexthop);
}

static void
test_nexthop_service(void **state)
{
	char svc[65];

	(void)state;
	validate_nexthop_service("smtp_ip2:[relay]:25", svc, sizeof(svc));
	assert_string_equal(svc, "smtp_ip2");
	validate_nexthop_service("relay:", svc, sizeof(svc));
	assert_string_equal(svc, "relay");
}

static void
test_names(void **state)
{
	static const struct vcase cases[] = {
		{ "google", NULL },
		{ "relay03", NULL },
		{ "mx07.tokyo", NULL },
		{ "yahoo_japan", NULL },
		{ "a-b", NULL },
		{ "0", NULL },
		{ "", "is empty" },
		{ "Google", "must start with a lower-case letter or a digit" },
		{ ".hidden", "must start with a lower-case letter or a digit" },
		{ "..", "must start with a lower-case letter or a digit" },
		{ "a/../b", "may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "a b", "may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "a\nb", "may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "aB", "may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "a%2fb", "may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "a\xc3\xa9", "may contain only a-z, 0-9, '.', '_' and '-'" },
		{ "a234567890123456789012345678901234567890123456789012345678901234",
		  "is longer than 63 characters" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]), validate_name);
}

static void
test_senders(void **state)
{
	static const struct vcase cases[] = {
		{ "alice", NULL },
		{ "info@shop.example.jp", NULL },
		{ "Bob.Smith+news@Example.COM", NULL },
		{ "o'hara@example.net", NULL },
		{ "", "is empty" },
		{ "a b", "contains whitespace" },
		{ "a\nb HOLD", "contains a line break" },
		{ "a#b", "contains '#'" },
		{ "a,b", "contains ','" },
		{ "a:b", "may contain only letters, digits, '@' and !$%&'*+-./=?^_`{|}~" },
		{ "<a@b.c>", "may contain only letters, digits, '@' and !$%&'*+-./=?^_`{|}~" },
		{ "caf\xc3\xa9", "contains a non-ASCII character (use the xn-- form)" },
		{ "@example.com", "must not start with '.' or '@'" },
		{ ".example.com", "must not start with '.' or '@'" },
		{ "a@b@c.d", "has more than one '@'" },
		{ "a@", "has a bad domain after '@'" },
		{ "a@-x.com", "has a bad domain after '@'" },
	};
	char longer[300];

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]), validate_sender);
	memset(longer, 'a', 256);
	longer[256] = '\0';
	assert_string_equal(validate_sender(longer), "is longer than 255 octets");
	longer[255] = '\0';
	assert_null(validate_sender(longer));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_domain_length),
		cmocka_unit_test(test_domain_reference),
		cmocka_unit_test(test_domain_limits),
		cmocka_unit_test(test_nexthops),
		cmocka_unit_test(test_nexthop_service),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_senders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
