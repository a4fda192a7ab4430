/*
 * delivery.c: parse, track, attribute, classify one line (see delivery.h).
 */
#include "delivery.h"

enum maillog_kind
delivery_read(const char *line, size_t len, struct maillog_clock *clk, struct volume *vol,
    struct catalogue *cat, struct classify *cls, struct delivery *d)
{
	enum maillog_kind kind = maillog_parse_line(line, len, clk, &d->rec);

	if (kind == MAILLOG_DELIVERY || kind == MAILLOG_QMGR || kind == MAILLOG_CLIENT)
		volume_feed(vol, &d->rec);
	if (kind != MAILLOG_DELIVERY)
		return kind;
	d->provider = catalogue_match(cat, d->rec.relay_host.p, d->rec.relay_host.len,
	    d->rec.domain.p, d->rec.domain.len, &d->how);
	if (d->provider == NULL)
		d->provider = "other";
	classify_delivery(cls, &d->rec, d->provider, &d->res);
	return kind;
}
