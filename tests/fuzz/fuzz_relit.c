/*
 * fuzz_relit.c: libFuzzer target for the literal prefilter.
 *
 * Input: PATTERN NUL SUBJECT. Invariant: when relit_extract promises
 * literals and PCRE2 (caseless) matches the subject, the lower-cased
 * subject contains one of them; otherwise the prefilter would hide a
 * match. Build by hand from the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *       -Icommon -Iagent -o build/fuzz/fuzz_relit tests/fuzz/fuzz_relit.c \
 *       agent/relit.c common/xalloc.c common/log.c -lpcre2-8
 *   build/fuzz/fuzz_relit -max_total_time=60 build/fuzz/corpus-relit
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char pat[256], subj[1024], low[1024];
	struct relit r;
	int errcode;
	PCRE2_SIZE erroff;

	if (nul == NULL || (size_t)(nul - data) >= sizeof(pat))
		return 0;
	size_t plen = (size_t)(nul - data), slen = size - plen - 1;
	if (slen >= sizeof(subj))
		return 0;
	memcpy(pat, data, plen);
	pat[plen] = '\0';
	memcpy(subj, nul + 1, slen);
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
	    &errcode, &erroff, NULL);
	if (re == NULL)
		return 0;
	if (relit_extract(pat, 3, &r) == 0) {
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		int rc = pcre2_match(re, (PCRE2_SPTR)subj, slen, 0, 0, md, NULL);
		relit_lower(subj, slen, low);
		if (rc >= 0 && !relit_any(&r, low, slen))
			abort();
		pcre2_match_data_free(md);
		relit_clear(&r);
	}
	pcre2_code_free(re);
	return 0;
}
