/*
 * test_controller_token_batch.c: `postrouted token create --batch`.
 *
 * The real postrouted binary against a real controller on real
 * PostgreSQL. A list of 28 nodes (20 servers, 8 relays, with comments and
 * blank lines) gives 28 files, each a regular 0600 file holding one token
 * that the controller accepts for its own node's feed and refuses (403)
 * for any other node; the secrets appear on no output. Then what must
 * create nothing at all, neither a token row, nor a history row, nor a
 * file: a bad name in the list, a NODE.token already in the out-dir
 * (a file or a dangling link, which is left as it was), a name listed
 * twice, an empty list, and a token name already taken in the database,
 * which fails inside the transaction after earlier files were written.
 * The list is read from standard input with "-"; detector tokens are
 * bound to their node; misused options are usage errors (exit 2).
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "proc.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define FLEET 28

static struct tl_controller *ctl;
static char *fleet[FLEET];

struct run {
	int rc;
	char *out, *err;
};

static void
run_free(struct run *r)
{
	free(r->out), free(r->err);
}

/* postrouted token create --batch LIST --role ROLE --out-dir DIR [extra...]:
 * extra ends with NULL. */
static struct run
batch(const char *list, const char *role, const char *dir, ...)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[16] = { bin, "token", "create", "--batch", (char *)list, "--role", (char *)role,
		"--out-dir", (char *)dir, "-c", ctl->conf };
	int n = 11;
	struct run r;
	va_list ap;

	va_start(ap, dir);
	for (char *a; n < 15 && (a = va_arg(ap, char *)) != NULL;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	r.rc = tl_run(argv, &r.out, &r.err, 60);
	free(bin);
	return r;
}

static void
assert_contains(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

/* No secret on standard output or error, ever. */
static void
assert_no_secret(const struct run *r)
{
	if (strstr(r->out, "prt_") != NULL || strstr(r->err, "prt_") != NULL)
		fail_msg("a secret on the output:\n%s\n%s", r->out, r->err);
}

static char *
count_sql(const char *sql)
{
	return tl_sql(ctl->conninfo, sql);
}

/* The entries of dir, sorted, one per line. */
static char *
dir_entries(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0)
		fail_msg("scandir %s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 && strcmp(ents[i]->d_name, "..") != 0)
			strbuf_appendf(&sb, "%s\n", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return strbuf_detach(&sb);
}

struct counts {
	char *tokens, *history;
};

static struct counts
counts_now(void)
{
	return (struct counts){ count_sql("SELECT count(*) FROM tokens"),
		count_sql("SELECT count(*) FROM history") };
}

/* Nothing changed: the same rows, an empty out-dir. */
static void
assert_nothing_created(struct counts before, const char *dir)
{
	struct counts now = counts_now();
	char *ents = dir_entries(dir);

	if (strcmp(before.tokens, now.tokens) != 0 || strcmp(before.history, now.history) != 0)
		fail_msg("tokens %s -> %s, history %s -> %s", before.tokens, now.tokens,
		    before.history, now.history);
	if (*ents != '\0')
		fail_msg("files left in %s:\n%s", dir, ents);
	free(before.tokens), free(before.history), free(now.tokens), free(now.history);
	free(ents);
}

static char *
new_dir(void)
{
	char *d = tl_mkdtemp("batch-out");

	chmod(d, 0700);
	return d;
}

static char *
list_file(const char *text)
{
	char *d = tl_mkdtemp("batch-list"), *path = xasprintf("%s/nodes.txt", d);

	tl_write_file(path, text);
	free(d);
	return path;
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	for (int i = 0; i < 20; i++)
		fleet[i] = xasprintf("mx%02d", i + 1);
	for (int i = 0; i < 8; i++)
		fleet[20 + i] = xasprintf("relay-%c", 'a' + i);
	for (int i = 0; i < FLEET; i++) {
		char *path = xasprintf("/v1/nodes/%s", fleet[i]), *body;
		if (i < 20) {
			body = xstrdup("{\"role\":\"server\"}");
		} else {
			char *rpath = xasprintf("/v1/relays/%s", fleet[i]);
			char *rbody = xasprintf("{\"nexthop\":\"smtp:[%s.example.net]:25\"}", fleet[i]);
			json_decref(tl_api_ok(ctl, "PUT", rpath, ctl->admin, rbody));
			free(rpath), free(rbody);
			body = xasprintf("{\"role\":\"relay\",\"relay\":\"%s\"}", fleet[i]);
		}
		json_decref(tl_api_ok(ctl, "PUT", path, ctl->admin, body));
		free(path), free(body);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	for (int i = 0; i < FLEET; i++)
		free(fleet[i]);
	return 0;
}

/* The token in dir/NODE.token, after checking the file as the agent
 * would want it: a regular file of ours, mode 0600, one line. */
static char *
token_of(const char *dir, const char *node)
{
	char *path = xasprintf("%s/%s.token", dir, node), *text;
	struct stat st;

	if (lstat(path, &st) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0600 || st.st_uid != geteuid())
		fail_msg("%s: mode %o uid %d, want a regular 0600 file of uid %d", path,
		    (unsigned)st.st_mode, (int)st.st_uid, (int)geteuid());
	text = tl_read_file(path);
	if (strlen(text) != 69 || strncmp(text, "prt_", 4) != 0 || text[68] != '\n' ||
	    strspn(text + 4, "0123456789abcdef") != 64)
		fail_msg("%s holds \"%s\", not one token line", path, text);
	text[68] = '\0';
	free(path);
	return text;
}

/* 28 nodes: 28 files, 28 tokens, each good for its own node only. */
static void
test_fleet_of_28(void **state)
{
	struct strbuf list = STRBUF_INIT, want = STRBUF_INIT;
	char *dir = new_dir(), *path, *secret[FLEET];
	struct run r;

	(void)state;
	strbuf_append(&list, "# Postfix servers\n");
	for (int i = 0; i < FLEET; i++) {
		if (i == 20)
			strbuf_append(&list, "\n   # relays, one per line\n");
		strbuf_appendf(&list, i % 3 ? "%s\n" : "  %s\t# rack %d\r\n", fleet[i], i / 3);
	}
	path = list_file(strbuf_str(&list));
	r = batch(path, "agent", dir, NULL);
	if (r.rc != 0)
		fail_msg("exit %d: %s", r.rc, r.err);
	assert_no_secret(&r);
	for (int i = 0; i < FLEET; i++)
		strbuf_appendf(&want, "%s token=%s role=agent file=%s/%s.token\n", fleet[i], fleet[i],
		    dir, fleet[i]);
	assert_string_equal(r.out, strbuf_str(&want));
	assert_string_equal(r.err, "");
	for (int i = 0; i < FLEET; i++) {
		secret[i] = token_of(dir, fleet[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(secret[i], secret[j]) == 0)
				fail_msg("%s and %s got the same token", fleet[i], fleet[j]);
	}
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM tokens WHERE role = 'agent' AND node = name"
	    " AND name ~ '^(mx[0-9]{2}|relay-[a-h])$'", "28");
	tl_expect_sql(ctl->conninfo, "SELECT count(DISTINCT object) FROM history"
	    " WHERE action = 'token.create' AND actor LIKE 'local:%' AND object ~ '^(mx|relay-)'", "28");
	for (int i = 0; i < FLEET; i++) {
		const char *other = fleet[(i + 1) % FLEET];
		char *own = xasprintf("/v1/nodes/%s/transport", fleet[i]);
		char *theirs = xasprintf("/v1/nodes/%s/transport", other);
		long st = tl_api(ctl, "GET", own, secret[i], NULL, NULL);
		if (st != 200)
			fail_msg("%s's token on its own feed: %ld", fleet[i], st);
		if ((st = tl_api(ctl, "GET", theirs, secret[i], NULL, NULL)) != 403)
			fail_msg("%s's token on %s's feed: %ld, want 403", fleet[i], other, st);
		assert_int_equal(tl_api(ctl, "GET", "/v1/status", secret[i], NULL, NULL), 403);
		free(own), free(theirs), free(secret[i]);
	}
	run_free(&r);
	strbuf_clear(&list), strbuf_clear(&want);
	free(dir), free(path);
}

/* One bad name anywhere in the list: nothing at all. */
static void
test_bad_name_creates_nothing(void **state)
{
	static const char *const bad[] = { "Mx07", "mx07.example.net/x", "-mx07", "mx07;rm",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "mx07 mx08",
		"mx\0307" };
	char *dir = new_dir();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = xasprintf("bad01\nbad02\n# comment\nbad03\n%s\nbad04\n", bad[i]);
		char *path = list_file(text), *where = xasprintf("%s:5: ", path);
		struct counts before = counts_now();
		struct run r = batch(path, "agent", dir, NULL);
		if (r.rc != 1)
			fail_msg("\"%s\": exit %d: %s", bad[i], r.rc, r.err);
		assert_contains(r.err, where);
		assert_contains(r.err, "nothing was created");
		assert_string_equal(r.out, "");
		assert_nothing_created(before, dir);
		run_free(&r);
		free(text), free(path), free(where);
	}
	free(dir);
}

/* A NODE.token already there (a file, or a link to nowhere): nothing is
 * created and what was there stays as it was. */
static void
test_existing_file_creates_nothing(void **state)
{
	char *dir = new_dir(), *keep = xasprintf("%s/ex03.token", dir);
	char *link = xasprintf("%s/ex05.token", dir), *target = xasprintf("%s/nowhere", dir);
	char *path = list_file("ex01\nex02\nex03\nex04\n"), *path2 = list_file("ex01\nex05\n");
	struct counts before = counts_now();
	struct run r;

	(void)state;
	tl_write_file(keep, "keep me\n");
	assert_int_equal(chmod(keep, 0644), 0);
	r = batch(path, "agent", dir, NULL);
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, keep);
	assert_contains(r.err, "exists (node ex03, line 3)");
	assert_contains(r.err, "nothing was created");
	assert_string_equal(r.out, "");
	run_free(&r);
	char *text = tl_read_file(keep);
	assert_string_equal(text, "keep me\n");
	free(text);
	assert_int_equal(unlink(keep), 0);
	assert_int_equal(symlink(target, link), 0);
	r = batch(path2, "agent", dir, NULL);
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, "ex05.token exists (node ex05, line 2)");
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(unlink(link), 0);
	run_free(&r);
	assert_nothing_created(before, dir);
	free(dir), free(keep), free(link), free(target), free(path), free(path2);
}

static void
test_duplicate_names(void **state)
{
	char *dir = new_dir(), *path = list_file("dup01\ndup02\n\n# again\n  dup01  # twice\n");
	struct counts before = counts_now();
	struct run r = batch(path, "agent", dir, NULL);

	(void)state;
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, ":5: node dup01 is listed twice (first on line 1)");
	assert_nothing_created(before, dir);
	run_free(&r);
	free(dir), free(path);
}

static void
test_empty_list(void **state)
{
	static const char *const empty[] = { "", "\n\n", "# nothing yet\n   \n\t# still nothing\n" };
	char *dir = new_dir();

	(void)state;
	for (size_t i = 0; i < sizeof(empty) / sizeof(*empty); i++) {
		char *path = list_file(empty[i]);
		struct counts before = counts_now();
		struct run r = batch(path, "agent", dir, NULL);
		assert_int_equal(r.rc, 1);
		assert_contains(r.err, "no node names");
		assert_nothing_created(before, dir);
		run_free(&r);
		free(path);
	}
	free(dir);
}

/* The third token's name is taken: the database refuses it inside the
 * transaction, after two files were written; they are removed. */
static void
test_taken_name_rolls_back(void **state)
{
	char *dir = new_dir(), *path = list_file("tk01\ntk02\ntk03\ntk04\n");
	char *old = tl_token(ctl, "tk03", "viewer", NULL);
	struct counts before = counts_now();
	struct run r = batch(path, "agent", dir, NULL);

	(void)state;
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, "node tk03 (line 3): a token named \"tk03\" exists");
	assert_contains(r.err, "nothing was created");
	assert_no_secret(&r);
	assert_nothing_created(before, dir);
	run_free(&r);
	/* the same list with a suffix: new names, all made */
	r = batch(path, "agent", dir, "--name-suffix", "-2027", NULL);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "tk03 token=tk03-2027 role=agent file=");
	free(token_of(dir, "tk03"));
	tl_expect_sql(ctl->conninfo, "SELECT node FROM tokens WHERE name = 'tk03-2027'", "tk03");
	run_free(&r);
	free(dir), free(path), free(old);
}

/* "-" reads standard input; detector tokens are bound to their node. */
static void
test_stdin_and_detector(void **state)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir()), *dir = new_dir();
	char *argv[] = { bin, "token", "create", "--batch", "-", "--role", "detector",
		"--name-suffix", "-det", "--out-dir", dir, "-c", ctl->conf, NULL };
	struct proc_result res = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(proc_run(argv, "mx01\n# c\nmx02\n", 60000, &res, &err), 0);
	if (res.status != 0)
		fail_msg("exit %d: %s", res.status, strbuf_str(&res.err));
	char *want = xasprintf("mx01 token=mx01-det role=detector file=%s/mx01.token\n"
	    "mx02 token=mx02-det role=detector file=%s/mx02.token\n", dir, dir);
	assert_string_equal(strbuf_str(&res.out), want);
	tl_expect_sql(ctl->conninfo, "SELECT array_to_string(nodes, ',') FROM tokens"
	    " WHERE name = 'mx02-det' AND role = 'detector'", "mx02");
	free(token_of(dir, "mx01"));
	proc_result_clear(&res);
	/* an empty standard input */
	struct counts before = counts_now();
	char *dir2 = new_dir();
	argv[10] = dir2;
	assert_int_equal(proc_run(argv, "", 60000, &res, &err), 0);
	assert_int_equal(res.status, 1);
	assert_contains(strbuf_str(&res.err), "standard input: no node names");
	assert_nothing_created(before, dir2);
	proc_result_clear(&res);
	strbuf_clear(&err);
	free(bin), free(dir), free(dir2), free(want);
}

/* Options that do not fit: exit 2 (usage) or 1 (checked), nothing made. */
static void
test_misuse(void **state)
{
	char *dir = new_dir(), *path = list_file("mu01\n"), *nodir = xasprintf("%s/none", dir);
	struct counts before = counts_now();
	struct run r;

	(void)state;
	r = batch(path, "agent", dir, "--name", "mu01", NULL);
	assert_int_equal(r.rc, 2);
	assert_contains(r.err, "--batch takes no --name or --node");
	run_free(&r);
	r = batch(path, "agent", dir, "--node", "mu01", NULL);
	assert_int_equal(r.rc, 2);
	run_free(&r);
	r = batch(path, "viewer", dir, NULL);
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, "--role viewer: --batch makes agent or detector tokens");
	run_free(&r);
	r = batch(path, "agent", nodir, NULL);
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, "No such file or directory");
	run_free(&r);
	r = batch(path, "agent", dir, "--name-suffix", "_A", NULL);
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, "--name-suffix: token name mu01_A");
	run_free(&r);
	r = batch("/nonexistent/nodes.txt", "agent", dir, NULL);
	assert_int_equal(r.rc, 1);
	assert_contains(r.err, "--batch /nonexistent/nodes.txt: No such file or directory");
	run_free(&r);
	assert_nothing_created(before, dir);
	/* --out-dir without --batch */
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "token", "create", "--name", "mu02", "--role", "viewer", "--out-dir",
		dir, "-c", ctl->conf, NULL };
	char *out = NULL, *err = NULL;
	assert_int_equal(tl_run(argv, &out, &err, 30), 2);
	assert_contains(err, "--out-dir and --name-suffix go with token create --batch");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM tokens WHERE name = 'mu02'", "0");
	free(out), free(err), free(bin);
	free(dir), free(path), free(nodir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet_of_28),
		cmocka_unit_test(test_bad_name_creates_nothing),
		cmocka_unit_test(test_existing_file_creates_nothing),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_taken_name_rolls_back),
		cmocka_unit_test(test_stdin_and_detector),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
