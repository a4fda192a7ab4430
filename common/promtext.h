/*
 * promtext.h: the Prometheus text exposition format, the pieces both
 * daemons write.
 *
 * promtext_head writes a family's "# HELP" and "# TYPE" lines;
 * promtext_label appends a label value escaped as the format wants
 * (backslash, double quote and line feed), whatever it holds: a label may
 * come from a log line or the database.
 *
 * Ownership: writes into the caller's buffer; owns nothing.
 */
#ifndef POSTROUTE_PROMTEXT_H
#define POSTROUTE_PROMTEXT_H

#include "strbuf.h"

void promtext_head(struct strbuf *out, const char *name, const char *type, const char *help);
void promtext_label(struct strbuf *out, const char *v);

#endif
