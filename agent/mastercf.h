/*
 * mastercf.h: which transports this host's Postfix has.
 *
 * NAME
 *	mastercf - service names from `postconf -c DIR -M`
 *
 * DESCRIPTION
 *	A transport(5) nexthop names a master.cf service ("smtp",
 *	"smtp_ip2", "relay"): a route to a service this host lacks would make
 *	Postfix defer with "mail transport unavailable". mastercf_load runs
 *	postconf -M and keeps the names of the services of type unix (the
 *	only ones a transport can name); mastercf_check fails on the first
 *	entry whose service is not among them, so the version fails as a
 *	whole instead of half-applying.
 *
 *	mastercf_parse is the text part, for tests.
 *
 * OWNERSHIP
 *	struct mastercf owns its names: mastercf_clear.
 *
 * DIAGNOSTICS
 *	-1 with the reason in err (postconf failing, or the entry and its
 *	missing service). Never fatal.
 */
#ifndef POSTROUTE_MASTERCF_H
#define POSTROUTE_MASTERCF_H

#include <stddef.h>

#include "render.h"
#include "strbuf.h"

struct mastercf {
	char **names;
	size_t n;
};

int mastercf_load(const char *postconf, const char *config_dir, long timeout_ms,
    struct mastercf *mc, struct strbuf *err);
void mastercf_parse(const char *text, struct mastercf *mc);
int mastercf_has(const struct mastercf *mc, const char *service);
int mastercf_check(const struct mastercf *mc, const struct render_entry *e, size_t n,
    struct strbuf *err);
void mastercf_clear(struct mastercf *mc);

#endif
