/*
 * sanitize.c: control characters out of reporter-supplied text (see
 * sanitize.h). Owns nothing but the list of step names.
 */
#include "sanitize.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const sanitize_steps[] = { "feed", "validate", "mastercf", "write",
	"postmap", "verify", "install", "reload", "requeue", "hold", "release", "state",
	"helper", "maincf", NULL };

/* Octets of a control at p (0 when none): C0, DEL, or a UTF-8 C1. */
static size_t
sanitize_control(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

static int
sanitize_needed(const char *in)
{
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++)
		if (sanitize_control(p) > 0)
			return 1;
	return 0;
}

char *
sanitize_text(const char *in)
{
	char *out = xmalloc(strlen(in) + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0';) {
		size_t n = sanitize_control(p);
		if (n == 0)
			*o++ = (char)*p++;
		else {
			if (*p == '\t' || *p == '\n' || *p == '\r')
				*o++ = ' ';
			p += n;
		}
	}
	*o = '\0';
	return out;
}

/* A new sanitized string for e when it is a string that needs it; else
 * NULL, after sanitizing what e holds. */
static json_t *
sanitize_member(json_t *e)
{
	json_t *s;
	char *c;

	if (!json_is_string(e) || !sanitize_needed(json_string_value(e))) {
		sanitize_json(e);
		return NULL;
	}
	c = sanitize_text(json_string_value(e));
	s = json_string(c);
	free(c);
	return s;
}

void
sanitize_json(json_t *v)
{
	const char *key;
	json_t *e, *s;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, e)
			if ((s = sanitize_member(e)) != NULL)
				json_object_set_new(v, key, s);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if ((s = sanitize_member(e)) != NULL)
				json_array_set_new(v, i, s);
	}
}

int
sanitize_step_known(const char *step)
{
	for (int i = 0; sanitize_steps[i] != NULL; i++)
		if (strcmp(step, sanitize_steps[i]) == 0)
			return 1;
	return 0;
}

const char *
sanitize_step_list(void)
{
	return "feed, validate, mastercf, write, postmap, verify, install, reload, requeue,"
	    " hold, release, state, helper";
}
