/*
 * cmd_objects.c: managing relays, providers and nodes.
 *
 * The API's PUT creates or replaces a whole object, so "add" first checks
 * that the object does not exist and "set" reads the object, changes the
 * fields given on the command line and sends it back. Only the fields the
 * API accepts for a PUT are sent (it refuses unknown ones).
 *
 * Each kind is one struct obj_kind: its paths, its table columns and the
 * function that builds a PUT body from the options and the current object.
 */
#include "cmd_objects.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rows.h"
#include "validate.h"
#include "xalloc.h"

struct obj_kind {
	const char *name;        /* "relay" */
	const char *plural;      /* "relays", the path and the list key */
	const struct rows_col *cols;
	rows_fill_fn *fill;      /* the kind's fields of a PUT body */
};

/* ---- relays ---- */

static int
obj_relay_fill(struct cli *cli, const struct args *a, const json_t *cur, json_t *body)
{
	const char *nh = args_get(a, "nexthop");
	const char *why;
	int drained = json_is_true(json_object_get(cur, "drained"));

	if (nh == NULL)
		nh = json_string_value(json_object_get(cur, "nexthop"));
	if (nh == NULL) {
		verb_error(cli, "--nexthop is required (e.g. smtp:[relay03.example.net]:25)");
		return -1;
	}
	if ((why = validate_nexthop(nh)) != NULL) {
		verb_error(cli, "--nexthop \"%.255s\": %s", nh, why);
		return -1;
	}
	if (strcmp(cli->verb, "relay drain") == 0)
		drained = 1;
	else if (strcmp(cli->verb, "relay undrain") == 0)
		drained = 0;
	json_object_set_new(body, "nexthop", json_string(nh));
	json_object_set_new(body, "drained", json_boolean(drained));
	return 0;
}

static const struct rows_col obj_relay_cols[] = {
	{ "RELAY", "name", ROWS_VALUE },
	{ "NEXTHOP", "nexthop", ROWS_VALUE },
	{ "DRAINED", "drained", ROWS_VALUE },
	{ "UPDATED", "updated_at", ROWS_TIME },
	{ NULL, NULL, ROWS_VALUE },
};

/* ---- providers ---- */

/* A domain list option's values, checked, appended to arr. */
static int
obj_domains(struct cli *cli, const struct args *a, const char *opt, json_t *arr)
{
	char out[VALIDATE_DOMAIN_MAX + 2];
	const char *d, *why;

	for (size_t i = 0; (d = args_get_nth(a, opt, i)) != NULL; i++) {
		if ((why = validate_domain(d, out, sizeof(out))) != NULL) {
			verb_error(cli, "--%s \"%.255s\": %s", opt, d, why);
			return -1;
		}
		json_array_append_new(arr, json_string(out));
	}
	return 0;
}

/* "*.google.com" or "google.com". */
static int
obj_patterns(struct cli *cli, const struct args *a, json_t *arr)
{
	char out[VALIDATE_DOMAIN_MAX + 2];
	const char *p, *why;

	for (size_t i = 0; (p = args_get_nth(a, "mx-pattern", i)) != NULL; i++) {
		const char *d = strncmp(p, "*.", 2) == 0 ? p + 2 : p;
		if ((why = validate_domain(d, out, sizeof(out))) != NULL || *d == '.') {
			verb_error(cli, "--mx-pattern \"%.255s\": %s", p,
			    why ? why : "has an empty label");
			return -1;
		}
		json_array_append_new(arr, json_string(p));
	}
	return 0;
}

static int
obj_array_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* The domain list: --domain replaces, then --add-domain, --remove-domain. */
static json_t *
obj_provider_domains(struct cli *cli, const struct args *a, const json_t *cur)
{
	json_t *set = json_array(), *add = json_array(), *del = json_array(), *out = NULL;
	json_t *v;
	size_t i;

	if (obj_domains(cli, a, "domain", set) != 0 || obj_domains(cli, a, "add-domain", add) != 0 ||
	    obj_domains(cli, a, "remove-domain", del) != 0)
		goto done;
	out = json_array();
	json_array_foreach(args_has(a, "domain") ? set : json_object_get(cur, "domains"), i, v) {
		if (!obj_array_has(del, json_string_value(v)) && !obj_array_has(out, json_string_value(v)))
			json_array_append(out, v);
	}
	json_array_foreach(add, i, v) {
		if (!obj_array_has(out, json_string_value(v)))
			json_array_append(out, v);
	}
	if (json_array_size(out) == 0) {
		verb_error(cli, "a provider needs at least one domain (--domain gmail.com)");
		json_decref(out);
		out = NULL;
	}
done:
	json_decref(set), json_decref(add), json_decref(del);
	return out;
}

static int
obj_provider_fill(struct cli *cli, const struct args *a, const json_t *cur, json_t *body)
{
	const char *sub = args_get(a, "subdomains");
	json_t *domains = obj_provider_domains(cli, a, cur), *pats;
	int include = json_is_true(json_object_get(cur, "include_subdomains"));

	if (domains == NULL)
		return -1;
	json_object_set_new(body, "domains", domains);
	if (args_has(a, "mx-pattern")) {
		pats = json_array();
		json_object_set_new(body, "mx_patterns", pats);
		if (obj_patterns(cli, a, pats) != 0)
			return -1;
	} else {
		pats = json_object_get(cur, "mx_patterns");
		json_object_set_new(body, "mx_patterns", pats ? json_incref(pats) : json_array());
	}
	if (sub != NULL) {
		if (strcmp(sub, "yes") != 0 && strcmp(sub, "no") != 0) {
			verb_error(cli, "--subdomains \"%.20s\" is not yes or no", sub);
			return -1;
		}
		include = strcmp(sub, "yes") == 0;
	}
	json_object_set_new(body, "include_subdomains", json_boolean(include));
	return 0;
}

static const struct rows_col obj_provider_cols[] = {
	{ "PROVIDER", "name", ROWS_VALUE },
	{ "DOMAINS", "domains", ROWS_VALUE },
	{ "MX PATTERNS", "mx_patterns", ROWS_VALUE },
	{ "SUBDOMAINS", "include_subdomains", ROWS_VALUE },
	{ "UPDATED", "updated_at", ROWS_TIME },
	{ NULL, NULL, ROWS_VALUE },
};

/* ---- nodes ---- */

static int
obj_node_fill(struct cli *cli, const struct args *a, const json_t *cur, json_t *body)
{
	const char *role = args_get(a, "role"), *relay = args_get(a, "relay");

	if (role == NULL)
		role = json_string_value(json_object_get(cur, "role"));
	if (role == NULL) {
		verb_error(cli, "--role is required: server or relay");
		return -1;
	}
	if (strcmp(role, "server") != 0 && strcmp(role, "relay") != 0) {
		verb_error(cli, "--role \"%.20s\" is not server or relay", role);
		return -1;
	}
	if (relay == NULL && strcmp(role, "relay") == 0)
		relay = json_string_value(json_object_get(cur, "relay"));
	if (strcmp(role, "relay") == 0 && relay == NULL) {
		verb_error(cli, "--relay R is required for a relay node (the relay it runs)");
		return -1;
	}
	if (strcmp(role, "server") == 0 && args_has(a, "relay")) {
		verb_error(cli, "--relay is only for relay nodes");
		return -1;
	}
	if (relay != NULL && strcmp(role, "relay") == 0 && check_name(cli, "--relay", relay) != 0)
		return -1;
	json_object_set_new(body, "role", json_string(role));
	if (strcmp(role, "relay") == 0)
		json_object_set_new(body, "relay", json_string(relay));
	return 0;
}

static const struct rows_col obj_node_cols[] = {
	{ "NODE", "name", ROWS_VALUE },
	{ "ROLE", "role", ROWS_VALUE },
	{ "RELAY", "relay", ROWS_VALUE },
	{ "APPLIED", "applied_version", ROWS_VALUE },
	{ "STATUS", "last_status", ROWS_VALUE },
	{ "LAST REPORT", "last_report_at", ROWS_TIME },
	{ "LAST FEED", "last_feed_at", ROWS_TIME },
	{ NULL, NULL, ROWS_VALUE },
};

static const struct obj_kind obj_kinds[] = {
	{ "relay", "relays", obj_relay_cols, obj_relay_fill },
	{ "provider", "providers", obj_provider_cols, obj_provider_fill },
	{ "node", "nodes", obj_node_cols, obj_node_fill },
};

/* ---- the verbs ---- */

static const struct obj_kind *
obj_kind_of(const struct cli *cli)
{
	for (size_t i = 0; i < sizeof(obj_kinds) / sizeof(obj_kinds[0]); i++) {
		size_t n = strlen(obj_kinds[i].name);
		if (strncmp(cli->verb, obj_kinds[i].name, n) == 0 && cli->verb[n] == ' ')
			return &obj_kinds[i];
	}
	return NULL;
}

static int
obj_list(struct cli *cli, const struct args *a)
{
	const struct obj_kind *k = obj_kind_of(cli);
	struct strbuf path = STRBUF_INIT;
	int rc;

	(void)a;
	rows_path(&path, k->plural, NULL);
	rc = rows_list(cli, strbuf_str(&path), k->plural, k->cols);
	strbuf_clear(&path);
	return rc;
}

static int
obj_show(struct cli *cli, const struct args *a)
{
	const struct obj_kind *k = obj_kind_of(cli);

	return rows_show(cli, k->name, k->plural, a->pos[0]);
}

/* add (must not exist), set (must exist), drain, undrain: GET, fill, PUT. */
static int
obj_put(struct cli *cli, const struct args *a)
{
	const struct obj_kind *k = obj_kind_of(cli);
	int adding = strstr(cli->verb, " add") != NULL;
	json_t *res;
	int rc = rows_put(cli, k->name, k->plural, a, adding, k->fill, &res);

	if (rc == CLIENT_OK && cli->format != OUTPUT_JSON)
		fprintf(cli->out, "%s %s %s\n", k->name, a->pos[0], adding ? "added" :
		    strcmp(cli->verb, "relay drain") == 0 ? "drained" :
		    strcmp(cli->verb, "relay undrain") == 0 ? "undrained" : "changed");
	json_decref(res);
	return rc;
}

static int
obj_remove(struct cli *cli, const struct args *a)
{
	const struct obj_kind *k = obj_kind_of(cli);

	return rows_remove(cli, k->name, k->plural, a);
}

static const struct args_opt obj_no_opts[] = { { NULL, ARGS_FLAG, NULL, NULL } };

static const struct args_opt obj_reason_opts[] = {
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt obj_relay_opts[] = {
	{ "nexthop", ARGS_VALUE, "NEXTHOP", "Postfix nexthop, e.g. smtp:[relay03.example.net]:25" },
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt obj_provider_opts[] = {
	{ "domain", ARGS_LIST, "DOMAIN", "a recipient domain (on set: replaces the list)" },
	{ "add-domain", ARGS_LIST, "DOMAIN", "add a domain to the list" },
	{ "remove-domain", ARGS_LIST, "DOMAIN", "remove a domain from the list" },
	{ "mx-pattern", ARGS_LIST, "PATTERN", "MX host pattern, e.g. *.google.com (replaces the list)" },
	{ "subdomains", ARGS_VALUE, "yes|no", "route subdomains of the domains too (default no)" },
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt obj_node_opts[] = {
	{ "role", ARGS_VALUE, "server|relay", "a mail server, or a relay host" },
	{ "relay", ARGS_VALUE, "RELAY", "the relay a relay node runs" },
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

#define OBJ_VERB(noun, sub, syn, sum, help, opts, np, fn) \
	{ noun " " sub, syn, sum, help, opts, np, np, fn }

const struct cli_verb cmd_objects_verbs[] = {
	OBJ_VERB("relay", "list", "", "list relays",
	    "Lists every relay with its nexthop and whether it is drained.\n\n"
	    "example:\n  postroute relay list", obj_no_opts, 0, obj_list),
	OBJ_VERB("relay", "show", "NAME", "show one relay",
	    "Shows every field of relay NAME.\n\nexample:\n  postroute relay show relay03",
	    obj_no_opts, 1, obj_show),
	OBJ_VERB("relay", "add", "NAME --nexthop NEXTHOP [--reason TEXT]", "add a relay",
	    "Adds relay NAME; fails if it exists.\n\n"
	    "example:\n  postroute relay add relay03 --nexthop 'smtp:[relay03.example.net]:25'",
	    obj_relay_opts, 1, obj_put),
	OBJ_VERB("relay", "set", "NAME [--nexthop NEXTHOP] [--reason TEXT]", "change a relay",
	    "Changes the given fields of relay NAME; fails if it does not exist.\n\n"
	    "example:\n  postroute relay set relay03 --nexthop 'smtp_ip2:[relay03.example.net]:25'",
	    obj_relay_opts, 1, obj_put),
	OBJ_VERB("relay", "remove", "NAME [--reason TEXT]", "remove a relay",
	    "Removes relay NAME; the controller refuses while a route or a node uses it.\n\n"
	    "example:\n  postroute relay remove relay09 --reason \"decommissioned\"",
	    obj_reason_opts, 1, obj_remove),
	OBJ_VERB("relay", "drain", "NAME [--reason TEXT]", "take no new routes to a relay",
	    "Drains relay NAME: no new route may use it, automatic failover avoids it;\n"
	    "routes that use it stay until moved.\n\n"
	    "example:\n  postroute relay drain relay03 --reason \"maintenance\"",
	    obj_reason_opts, 1, obj_put),
	OBJ_VERB("relay", "undrain", "NAME [--reason TEXT]", "accept routes to a relay again",
	    "Ends the drain of relay NAME.\n\n"
	    "example:\n  postroute relay undrain relay03 --reason \"maintenance done\"",
	    obj_reason_opts, 1, obj_put),
	OBJ_VERB("provider", "list", "", "list providers",
	    "Lists every provider with its domains and MX patterns.\n\n"
	    "example:\n  postroute provider list", obj_no_opts, 0, obj_list),
	OBJ_VERB("provider", "show", "NAME", "show one provider",
	    "Shows every field of provider NAME.\n\nexample:\n  postroute provider show google",
	    obj_no_opts, 1, obj_show),
	OBJ_VERB("provider", "add",
	    "NAME --domain DOMAIN... [--mx-pattern PATTERN...] [--subdomains yes|no] [--reason TEXT]",
	    "add a provider",
	    "Adds provider NAME with its recipient domains and MX host patterns (so that\n"
	    "a hosted customer domain is still attributed to it); fails if it exists.\n\n"
	    "example:\n  postroute provider add google --domain gmail.com --domain googlemail.com \\\n"
	    "      --mx-pattern '*.google.com'", obj_provider_opts, 1, obj_put),
	OBJ_VERB("provider", "set",
	    "NAME [--domain D...] [--add-domain D] [--remove-domain D] [--mx-pattern P...]\n"
	    "       [--subdomains yes|no] [--reason TEXT]",
	    "change a provider",
	    "Changes the given fields of provider NAME; fails if it does not exist.\n\n"
	    "example:\n  postroute provider set yahoo --add-domain ymail.com --reason \"new domain\"",
	    obj_provider_opts, 1, obj_put),
	OBJ_VERB("provider", "remove", "NAME [--reason TEXT]", "remove a provider",
	    "Removes provider NAME; the controller refuses while it is routed.\n\n"
	    "example:\n  postroute provider remove oldmail", obj_reason_opts, 1, obj_remove),
	OBJ_VERB("node", "list", "", "list nodes",
	    "Lists every node with its role and the version its agent applied.\n\n"
	    "example:\n  postroute node list", obj_no_opts, 0, obj_list),
	OBJ_VERB("node", "show", "NAME", "show one node",
	    "Shows every field of node NAME, its agent's state included.\n\n"
	    "example:\n  postroute node show mx07", obj_no_opts, 1, obj_show),
	OBJ_VERB("node", "add", "NAME --role server|relay [--relay RELAY] [--reason TEXT]",
	    "add a node",
	    "Adds node NAME: a mail server, or a relay host linked to its relay (a block\n"
	    "seen there is a block of that relay); fails if it exists.\n\n"
	    "examples:\n  postroute node add mx07 --role server\n"
	    "  postroute node add relay03-host --role relay --relay relay03",
	    obj_node_opts, 1, obj_put),
	OBJ_VERB("node", "set", "NAME [--role server|relay] [--relay RELAY] [--reason TEXT]",
	    "change a node",
	    "Changes the given fields of node NAME; fails if it does not exist.\n\n"
	    "example:\n  postroute node set relay03-host --relay relay04",
	    obj_node_opts, 1, obj_put),
	OBJ_VERB("node", "remove", "NAME [--reason TEXT]", "remove a node",
	    "Removes node NAME.\n\n"
	    "example:\n  postroute node remove mx19 --reason \"decommissioned\"",
	    obj_reason_opts, 1, obj_remove),
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
