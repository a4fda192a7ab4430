/*
 * delivery.h: one log line through the parser, the sender tracker, the
 * catalogue and the classifier: the part of the pipeline that scan
 * (offline) and logwatch (live) share before each does its own output.
 *
 * delivery_read parses line; every parsed record feeds the volume
 * tracker; a delivery result is then attributed to a provider ("other"
 * when the catalogue knows none) and classified. Returns the record's
 * kind: d is complete only for MAILLOG_DELIVERY, and points into line
 * (see maillog.h). Nothing is allocated.
 */
#ifndef POSTROUTE_DELIVERY_H
#define POSTROUTE_DELIVERY_H

#include <stddef.h>

#include "catalogue.h"
#include "classify.h"
#include "maillog.h"
#include "volume.h"

struct delivery {
	struct maillog_rec rec;
	const char *provider;
	enum catalogue_how how;
	struct classify_result res;
};

enum maillog_kind delivery_read(const char *line, size_t len, struct maillog_clock *clk,
    struct volume *vol, struct catalogue *cat, struct classify *cls, struct delivery *d);

#endif
