/*
 * test_db_conninfo.c: [database] conninfo and migrate_conninfo are libpq
 * strings, one host or several, keywords or a URI; the controller checks
 * them when it reads its file (postrouted -n included), so that a host
 * list and a port list that do not match, a bad target_session_attrs or a
 * syntax error is a configuration error naming the key, not a failure at
 * the first connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db.h"
#include "testlib.h"
#include "xalloc.h"

static void
expect_ok(const char *conninfo)
{
	struct strbuf err = STRBUF_INIT;

	if (db_conninfo_check(conninfo, &err) != 0)
		fail_msg("%s: refused: %s", conninfo, strbuf_str(&err));
	strbuf_clear(&err);
}

static void
expect_refused(const char *conninfo, const char *why)
{
	struct strbuf err = STRBUF_INIT;

	if (db_conninfo_check(conninfo, &err) == 0)
		fail_msg("%s: accepted", conninfo);
	if (strstr(strbuf_str(&err), why) == NULL)
		fail_msg("%s: \"%s\", want \"%s\"", conninfo, strbuf_str(&err), why);
	strbuf_clear(&err);
}

static void
test_accepted(void **state)
{
	(void)state;
	expect_ok("host=/var/run/postgresql dbname=postroute user=postroute");
	expect_ok("dbname=postroute");
	expect_ok("host=db1,db2 port=5432 dbname=postroute target_session_attrs=read-write");
	expect_ok("host=db1,db2,db3 port=5432,5433,5434 dbname=postroute target_session_attrs=primary");
	expect_ok("hostaddr=192.0.2.1,192.0.2.2 port=5432,6432 dbname=postroute");
	expect_ok("host=db1,db2 hostaddr=192.0.2.1,192.0.2.2 dbname=postroute");
	expect_ok("postgresql://postroute@db1:5432,db2:5433/postroute?target_session_attrs=read-write");
	expect_ok("postgresql://db1,db2/postroute?target_session_attrs=any&connect_timeout=5");
	/* an escaped comma is part of a name, as libpq reads it */
	expect_ok("host=a\\,b port=5432 dbname=postroute");
}

static void
test_refused(void **state)
{
	(void)state;
	expect_refused("host=db1,db2 port=5432,5433,5434 dbname=x",
	    "3 port numbers for 2 host(s): give one port for every host, or one per host");
	expect_refused("host=db1 port=5432,5433 dbname=x", "2 port numbers for 1 host(s)");
	expect_refused("host=db1,db2 hostaddr=192.0.2.1 dbname=x",
	    "2 host names but 1 hostaddr values");
	expect_refused("host=db1,db2 dbname=x target_session_attrs=readwrite",
	    "target_session_attrs \"readwrite\": must be one of any, read-write");
	expect_refused("host=db1 dbname", "missing \"=\" after \"dbname\"");
	expect_refused("host=db1 colour=blue", "invalid connection option \"colour\"");
	expect_refused("postgresql://db1,db2/x?target_session_attrs=master",
	    "target_session_attrs \"master\"");
}

/* postrouted -n names the file and the key. */
static void
test_check_mode(void **state)
{
	char *dir = tl_mkdtemp("conninfo");
	char *ini = xasprintf("%s/postrouted.ini", dir);
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *out = NULL, *err = NULL;
	char *argv[] = { bin, "-n", "-c", ini, NULL };

	(void)state;
	tl_write_file(ini, "[database]\n"
	    "conninfo = host=db1,db2 port=5432,5433,5434 dbname=postroute target_session_attrs=read-write\n"
	    "migrate_conninfo = postgresql://owner@db1,db2/postroute?target_session_attrs=rw\n");
	assert_int_equal(tl_run(argv, &out, &err, 10), 1);
	char *want = xasprintf("%1$s: [database] conninfo: 3 port numbers for 2 host(s): give one port"
	    " for every host, or one per host in the same order\n"
	    "%1$s: [database] migrate_conninfo: target_session_attrs \"rw\": must be one of any,"
	    " read-write, read-only, primary, standby, prefer-standby\n", ini);
	assert_string_equal(err, want);
	free(out), free(err), free(want);

	tl_write_file(ini, "[database]\n"
	    "conninfo = host=db1,db2 port=5432,5433 dbname=postroute target_session_attrs=read-write\n"
	    "migrate_conninfo = postgresql://owner@db1:5432,db2:5433/postroute?target_session_attrs=read-write\n");
	assert_int_equal(tl_run(argv, &out, &err, 10), 0);
	assert_non_null(strstr(out, "configuration ok"));
	free(out), free(err);
	free(bin), free(ini), free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_check_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
