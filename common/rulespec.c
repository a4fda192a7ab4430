/*
 * rulespec.c: the class names and the checks of a stored rule (see
 * rulespec.h).
 */
#include "rulespec.h"

#include <string.h>

#include "validate.h"

const char *const rulespec_classes[RULESPEC_NCLASSES] = {
	"none", "block", "dnsbl", "rate_limit", "reputation", "auth", "content", "policy",
	"transient", "user_unknown", "mailbox_full", "mailbox_disabled", "recipient_filter",
	"recipient_rate_limit", "greylist", "connection", "suspended", "sent", "unknown",
};

int
rulespec_class_index(const char *name)
{
	for (int i = 1; i < RULESPEC_NCLASSES; i++)
		if (strcmp(rulespec_classes[i], name) == 0)
			return i;
	return -1;
}

const char *
rulespec_class_list(void)
{
	static char list[512];

	if (list[0] == '\0') {
		size_t n = 0;
		for (int i = 1; i < RULESPEC_NCLASSES; i++) {
			size_t k = strlen(rulespec_classes[i]);
			if (n + k + 2 > sizeof(list))
				break;
			if (n > 0)
				list[n++] = ' ';
			memcpy(list + n, rulespec_classes[i], k + 1);
			n += k;
		}
	}
	return list;
}

const char *
rulespec_check_name(const char *name)
{
	return name == NULL ? "required" : validate_name(name);
}

const char *
rulespec_check_class(const char *cls)
{
	if (cls == NULL)
		return "required";
	return rulespec_class_index(cls) < 0 ? "unknown class" : NULL;
}

const char *
rulespec_check_reroutable(const char *r)
{
	if (r == NULL)
		return "required";
	if (strcmp(r, "yes") != 0 && strcmp(r, "no") != 0 && strcmp(r, "ambiguous") != 0)
		return "must be yes, no or ambiguous";
	return NULL;
}

const char *
rulespec_check_provider(const char *provider)
{
	return provider == NULL ? NULL : validate_name(provider);
}

/* Printable: no C0 control character nor DEL (UTF-8 above is allowed). */
static int
rulespec_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

const char *
rulespec_check_note(const char *note)
{
	if (note == NULL)
		return NULL;
	if (strlen(note) > RULESPEC_NOTE_MAX)
		return "longer than 1000 octets";
	return rulespec_printable(note) ? NULL : "contains a control character";
}

pcre2_code *
rulespec_compile(const char *pattern, struct strbuf *msg)
{
	size_t n = strlen(pattern);
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re;

	if (n == 0) {
		strbuf_append(msg, "empty pattern");
		return NULL;
	}
	if (n > RULESPEC_PATTERN_MAX) {
		strbuf_appendf(msg, "longer than %d octets", RULESPEC_PATTERN_MAX);
		return NULL;
	}
	if (!rulespec_printable(pattern)) {
		strbuf_append(msg, "contains a control character (a reply is one line)");
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, n, RULESPEC_PCRE2_OPTIONS, &errcode, &erroff, NULL);
	if (re == NULL) {
		PCRE2_UCHAR buf[256];
		pcre2_get_error_message(errcode, buf, sizeof(buf));
		strbuf_appendf(msg, "bad pattern at offset %zu: %s", (size_t)erroff, (char *)buf);
	}
	return re;
}

int
rulespec_check(const struct rulespec *r, struct strbuf *msg)
{
	const char *why;
	pcre2_code *re;

	if ((why = rulespec_check_name(r->name)) != NULL) {
		strbuf_appendf(msg, "name: %s", why);
		return -1;
	}
	if ((why = rulespec_check_class(r->cls)) != NULL) {
		strbuf_appendf(msg, "class: %s%s%s", why, r->cls ? "; one of " : "",
		    r->cls ? rulespec_class_list() : "");
		return -1;
	}
	if ((why = rulespec_check_reroutable(r->reroutable)) != NULL) {
		strbuf_appendf(msg, "reroutable: %s", why);
		return -1;
	}
	if ((why = rulespec_check_provider(r->provider)) != NULL) {
		strbuf_appendf(msg, "provider: %s", why);
		return -1;
	}
	if ((why = rulespec_check_note(r->note)) != NULL) {
		strbuf_appendf(msg, "note: %s", why);
		return -1;
	}
	if (r->pattern == NULL) {
		strbuf_append(msg, "pattern: required");
		return -1;
	}
	strbuf_append(msg, "pattern: ");
	size_t mark = msg->len;
	if ((re = rulespec_compile(r->pattern, msg)) == NULL)
		return -1;
	pcre2_code_free(re);
	msg->len = mark - strlen("pattern: ");
	msg->buf[msg->len] = '\0';
	return 0;
}
