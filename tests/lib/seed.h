/*
 * seed.h: the objects integration tests put through the API before they
 * start: relays, relay and server nodes, providers.
 *
 * NAME
 *	seed - PUT the usual relays, nodes and providers
 *
 * DESCRIPTION
 *	Each function is one PUT with the controller's admin token (or a
 *	numbered series of them) and fails the test unless it answers 200.
 *	seed_relays makes relay01..relayNN with nexthop
 *	smtp:[127.0.0.(i+1)]:25, and with nodes set a relay node
 *	relay0Nn for each; seed_servers makes server nodes mx01..mxNN;
 *	seed_providers the first of four providers with one domain each.
 *	Names and JSON bodies are the caller's: nothing is escaped.
 *
 * OWNERSHIP
 *	Nothing is returned; the objects live in the controller's database.
 */
#ifndef POSTROUTE_SEED_H
#define POSTROUTE_SEED_H

#include "testlib.h"

/* PUT PATH BODY with the admin token. */
void seed_put(struct tl_controller *c, const char *path, const char *body);
/* PUT /v1/relays/NAME {"nexthop": NEXTHOP}. */
void seed_relay(struct tl_controller *c, const char *name, const char *nexthop);
/* PUT /v1/nodes/NAME {"role": "server"}. */
void seed_server(struct tl_controller *c, const char *name);
/* PUT /v1/nodes/NAME {"role": "relay", "relay": RELAY}. */
void seed_relay_node(struct tl_controller *c, const char *name, const char *relay);
/* PUT /v1/providers/NAME {"domains": [DOMAIN]}. */
void seed_provider(struct tl_controller *c, const char *name, const char *domain);
/* relay01..relayNN (n at most 9), each with a relay node when nodes is 1. */
void seed_relays(struct tl_controller *c, int n, int nodes);
/* mx01..mxNN (n at most 9). */
void seed_servers(struct tl_controller *c, int n);
/* The first n (at most 4) of google (gmail.com), yahoo (yahoo.com),
 * apple (icloud.com) and gmx (gmx.net). */
void seed_providers(struct tl_controller *c, int n);

#endif
