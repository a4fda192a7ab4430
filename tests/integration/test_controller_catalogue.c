/*
 * test_controller_catalogue.c: postrouted migrate loads the default provider
 * catalogue (deploy/providers.conf, compiled in) into an empty providers
 * table, once, in one change with a history row per provider, and leaves a
 * table that holds any provider alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "catalogue.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static struct catalogue *cat;

static int
setup(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char *path = xasprintf("%s/deploy/providers.conf", tl_srcdir());

	(void)state;
	cat = catalogue_new();
	if (catalogue_load(cat, path, &err) != 0)
		fail_msg("%s", strbuf_str(&err));
	free(path);
	/* as deployed: migrate as the owner, the server as the runtime role */
	ctl = tl_controller_start_split("pr_cat_owner", "pr_cat_runtime", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	catalogue_free(cat);
	return 0;
}

static char *
migrate(void)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "migrate", "-c", ctl->conf, NULL };
	char *out = NULL, *err = NULL;

	if (tl_run(argv, &out, &err, 60) != 0)
		fail_msg("postrouted migrate failed: %s%s", out, err);
	free(err), free(bin);
	return out;
}

static long long
count(const char *sql)
{
	char *v = tl_sql(ctl->conninfo, sql);
	long long n = atoll(v);

	free(v);
	return n;
}

static json_t *
find(json_t *list, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(list, i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
			return p;
	return NULL;
}

/* a (a JSON array of strings) holds exactly the n values of v. */
static void
assert_same_set(json_t *a, const char *const *v, size_t n, const char *what)
{
	json_t *s;
	size_t i, found = 0;

	assert_true(json_is_array(a));
	for (size_t k = 0; k < n; k++) {
		json_array_foreach(a, i, s)
			if (strcmp(json_string_value(s), v[k]) == 0)
				break;
		if (i == json_array_size(a))
			fail_msg("%s: %s missing", what, v[k]);
		found++;
	}
	if (json_array_size(a) != found)
		fail_msg("%s: %zu values, the catalogue has %zu", what, json_array_size(a), found);
}

/* GET /v1/providers lists exactly the catalogue the agent parses. */
static void
assert_catalogue_listed(void)
{
	json_t *j = tl_api_ok(ctl, "GET", "/v1/providers", ctl->admin, NULL);
	json_t *list = json_is_array(j) ? j : json_object_get(j, "providers");
	struct catalogue_entry e;

	assert_true(catalogue_count(cat) > 0);
	assert_int_equal(json_array_size(list), catalogue_count(cat));
	for (size_t i = 0; catalogue_provider(cat, i, &e) == 0; i++) {
		json_t *p = find(list, e.name);
		if (p == NULL)
			fail_msg("provider %s not listed", e.name);
		assert_same_set(json_object_get(p, "domains"), e.domains, e.ndomains, e.name);
		assert_same_set(json_object_get(p, "mx_patterns"), e.mx_patterns, e.nmx, e.name);
	}
	json_t *g = find(list, "google");
	assert_non_null(g);
	assert_same_set(json_object_get(g, "domains"),
	    (const char *const[]){ "gmail.com", "googlemail.com", "google.com" }, 3, "google");
	json_decref(j);
}

static void
test_first_migrate_loads_catalogue(void **state)
{
	(void)state;
	assert_catalogue_listed();
	long long n = (long long)catalogue_count(cat);
	assert_int_equal(count("SELECT count(*) FROM history WHERE actor = 'migrate'"
	    " AND action = 'provider.put' AND before IS NULL AND after IS NOT NULL"), n);
	assert_int_equal(count("SELECT count(*) FROM history WHERE actor = 'migrate'"
	    " AND provider = 'yahoo_japan' AND after->'domains' ? 'ybb.ne.jp'"), 1);
	/* one change: one version for every row, and it is the one in force */
	assert_int_equal(count("SELECT count(DISTINCT version) FROM history WHERE actor = 'migrate'"), 1);
	assert_int_equal(count("SELECT count(*) FROM history h, routing_version v"
	    " WHERE h.actor = 'migrate' AND h.version = v.version"), n);
	/* the chain the trigger keeps stays whole */
	tl_expect_sql(ctl->conninfo, "SELECT bool_and(h.chain_hash = sha256(p.chain_hash"
	    " || convert_to(history_canonical(h), 'UTF8'))) FROM history h"
	    " JOIN LATERAL (SELECT chain_hash FROM history q WHERE q.id < h.id ORDER BY q.id DESC"
	    " LIMIT 1) p ON true", "t");
}

static void
test_second_migrate_adds_nothing(void **state)
{
	long long hist = count("SELECT count(*) FROM history");
	long long ver = count("SELECT version FROM routing_version");

	(void)state;
	char *out = migrate();
	assert_non_null(strstr(out, "0 migration(s) applied"));
	assert_null(strstr(out, "default catalogue"));
	free(out);
	assert_catalogue_listed();
	assert_int_equal(count("SELECT count(*) FROM history"), hist);
	assert_int_equal(count("SELECT version FROM routing_version"), ver);
}

static void
delete_all_providers(void)
{
	json_t *j = tl_api_ok(ctl, "GET", "/v1/providers", ctl->admin, NULL);
	json_t *list = json_is_array(j) ? j : json_object_get(j, "providers"), *p;
	size_t i;

	json_array_foreach(list, i, p) {
		char *path = xasprintf("/v1/providers/%s",
		    json_string_value(json_object_get(p, "name")));
		json_decref(tl_api_ok(ctl, "DELETE", path, ctl->admin, NULL));
		free(path);
	}
	json_decref(j);
	assert_int_equal(count("SELECT count(*) FROM providers"), 0);
}

/* Providers deleted on purpose do not come back: the catalogue is for a
 * new database, one whose history has no provider yet. */
static void
test_emptied_table_stays_empty(void **state)
{
	(void)state;
	delete_all_providers();
	long long hist = count("SELECT count(*) FROM history");
	char *out = migrate();
	assert_null(strstr(out, "default catalogue"));
	free(out);
	assert_int_equal(count("SELECT count(*) FROM providers"), 0);
	assert_int_equal(count("SELECT count(*) FROM history"), hist);
}

static void
test_table_with_a_provider_left_alone(void **state)
{
	(void)state;
	delete_all_providers();
	json_decref(tl_api_ok(ctl, "PUT", "/v1/providers/acme", ctl->admin,
	    "{\"domains\":[\"acme.example\"]}"));
	long long hist = count("SELECT count(*) FROM history");
	char *out = migrate();
	assert_null(strstr(out, "default catalogue"));
	free(out);
	assert_int_equal(count("SELECT count(*) FROM providers"), 1);
	assert_int_equal(count("SELECT count(*) FROM providers WHERE name = 'acme'"), 1);
	assert_int_equal(count("SELECT count(*) FROM provider_domains"), 1);
	assert_int_equal(count("SELECT count(*) FROM history"), hist);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_migrate_loads_catalogue),
		cmocka_unit_test(test_second_migrate_adds_nothing),
		cmocka_unit_test(test_emptied_table_stays_empty),
		cmocka_unit_test(test_table_with_a_provider_left_alone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
