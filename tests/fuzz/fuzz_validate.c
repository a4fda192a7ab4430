/*
 * fuzz_validate.c: libFuzzer target for the transport(5) grammars.
 *
 * Invariant: whatever validate_domain or validate_nexthop accepts renders
 * as exactly one transport(5) line: no whitespace, control character, '#',
 * ',' or non-ASCII octet, and a domain comes back lower-cased.
 *   make fuzz FUZZ=validate FUZZ_SECONDS=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

static void
check_line_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == ',')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[VALIDATE_DOMAIN_MAX + 2];

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (validate_domain(in, out, sizeof(out)) == NULL) {
		check_line_safe(out);
		for (const char *p = out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
	}
	if (validate_nexthop(in) == NULL)
		check_line_safe(in);
	if (validate_name(in) == NULL)
		check_line_safe(in);
	if (validate_sender(in) == NULL) {
		check_line_safe(in);
		if (in[0] == '@' || in[0] == '.' || strchr(in, ':') != NULL)
			abort();
	}
	return 0;
}
