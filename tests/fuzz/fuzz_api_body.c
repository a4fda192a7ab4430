/*
 * fuzz_api_body.c: libFuzzer target for the controller's JSON body checks.
 *
 * Feeds arbitrary bytes through jansson and the strict field getters the
 * handlers use; nothing may crash, leak or read out of bounds, and every
 * refusal must carry an error message.
 *   make fuzz FUZZ=api_body FUZZ_SECONDS=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = { "scope", "relay", "reason", "ttl", NULL };
	struct http_request req;
	struct http_reply rep = { 0 };
	const char *scope = "*", *relay = NULL, *reason = NULL;
	long long ttl = 0;
	json_t *body;

	memset(&req, 0, sizeof(req));
	strbuf_appendn(&req.body, (const char *)data, size);
	body = api_body(&req, &rep, fields);
	if (body != NULL) {
		if (api_string(body, "scope", 0, &scope, &rep) == 0 &&
		    (strcmp(scope, "*") == 0 || api_name(scope, "scope", &rep) == 0) &&
		    api_string(body, "relay", 1, &relay, &rep) == 0 && api_name(relay, "relay", &rep) == 0 &&
		    api_string(body, "reason", 0, &reason, &rep) == 0 &&
		    api_reason(reason, 1, "reason", &rep) == 0)
			api_int(body, "ttl", 0, 60, 1209600, &ttl, &rep);
		json_decref(body);
	}
	if (rep.status != 0 && (rep.status != 400 || rep.body == NULL || strstr(rep.body, "\"error\"") == NULL))
		abort();
	free(rep.body);
	strbuf_clear(&req.body);
	return 0;
}
