/*
 * defcat.h: the default provider catalogue, loaded by postrouted migrate.
 *
 * deploy/providers.conf (the agent's catalogue) is compiled into postrouted
 * (build/gen/catalogue_conf.c) and parsed with common/catalogue.c. When the
 * providers table has no row, defcat_load inserts every provider of it in
 * one change: one version bump, one history row per provider (actor
 * "migrate", action "provider.put"). A table with any provider is left
 * alone, so a second run, or a database an operator has filled, changes
 * nothing.
 */
#ifndef POSTROUTE_DEFCAT_H
#define POSTROUTE_DEFCAT_H

#include <libpq-fe.h>

#include "strbuf.h"

/* Returns the number of providers loaded (0: the table had some), or -1
 * with err set and nothing changed. c is the owner's connection. */
int defcat_load(PGconn *c, struct strbuf *err);

#endif
