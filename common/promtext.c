/*
 * promtext.c: Prometheus text format helpers (see promtext.h).
 */
#include "promtext.h"

void
promtext_head(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
promtext_label(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			strbuf_appendf(out, "\\%c", *v);
		else if (*v == '\n')
			strbuf_append(out, "\\n");
		else
			strbuf_appendn(out, v, 1);
	}
}
