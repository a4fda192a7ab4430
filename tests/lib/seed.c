/*
 * seed.c: relays, nodes and providers put through the API for tests.
 */
#include "seed.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <jansson.h>

#include "xalloc.h"

void
seed_put(struct tl_controller *c, const char *path, const char *body)
{
	json_decref(tl_api_ok(c, "PUT", path, c->admin, body));
}

void
seed_relay(struct tl_controller *c, const char *name, const char *nexthop)
{
	char *path = xasprintf("/v1/relays/%s", name);
	char *body = xasprintf("{\"nexthop\": \"%s\"}", nexthop);

	seed_put(c, path, body);
	free(path), free(body);
}

void
seed_server(struct tl_controller *c, const char *name)
{
	char *path = xasprintf("/v1/nodes/%s", name);

	seed_put(c, path, "{\"role\": \"server\"}");
	free(path);
}

void
seed_relay_node(struct tl_controller *c, const char *name, const char *relay)
{
	char *path = xasprintf("/v1/nodes/%s", name);
	char *body = xasprintf("{\"role\": \"relay\", \"relay\": \"%s\"}", relay);

	seed_put(c, path, body);
	free(path), free(body);
}

void
seed_provider(struct tl_controller *c, const char *name, const char *domain)
{
	char *path = xasprintf("/v1/providers/%s", name);
	char *body = xasprintf("{\"domains\": [\"%s\"]}", domain);

	seed_put(c, path, body);
	free(path), free(body);
}

void
seed_relays(struct tl_controller *c, int n, int nodes)
{
	for (int i = 1; i <= n; i++) {
		char name[32], node[32], nexthop[96];
		snprintf(name, sizeof(name), "relay%02d", i);
		snprintf(node, sizeof(node), "relay%02dn", i);
		snprintf(nexthop, sizeof(nexthop), "smtp:[127.0.0.%d]:25", i + 1);
		seed_relay(c, name, nexthop);
		if (nodes)
			seed_relay_node(c, node, name);
	}
}

void
seed_servers(struct tl_controller *c, int n)
{
	for (int i = 1; i <= n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "mx%02d", i);
		seed_server(c, name);
	}
}

void
seed_providers(struct tl_controller *c, int n)
{
	static const char *const known[][2] = { { "google", "gmail.com" }, { "yahoo", "yahoo.com" },
		{ "apple", "icloud.com" }, { "gmx", "gmx.net" } };

	if (n > 4)
		fail_msg("seed_providers: %d providers, at most 4 known", n);
	for (int i = 0; i < n; i++)
		seed_provider(c, known[i][0], known[i][1]);
}
