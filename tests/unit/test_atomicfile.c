/*
 * test_atomicfile.c: replacing a file through a temp file
 * (common/atomicfile.h): the new content and mode at the path, a reader
 * of the old file still reads all of it, nothing left beside the file
 * after success or failure, a temp file committed later (as mapinstall
 * does around postmap), and the messages of each failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "atomicfile.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

/* The names in dir, sorted, one a line. */
static char *
listing(const char *dir)
{
	struct dirent **names;
	struct strbuf sb = STRBUF_INIT;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0)
			strbuf_appendf(&sb, "%s\n", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	strbuf_append(&sb, "");
	return strbuf_detach(&sb);
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static void
test_write_and_replace(void **state)
{
	char *dir = tl_mkdtemp("atomicfile"), *path = xasprintf("%s/state", dir), *text, *ls;
	struct strbuf err = STRBUF_INIT;
	char buf[64];
	int fd;

	(void)state;
	assert_int_equal(atomicfile_write(path, "version 1\n", 10, 0644, ATOMICFILE_SYNC, &err), 0);
	assert_string_equal(text = tl_read_file(path), "version 1\n");
	free(text);
	assert_int_equal(mode_of(path), 0644);

	/* a reader of the old file reads it whole after the replacement */
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(atomicfile_write(path, "version 2, longer\n", 18, 0600, 0, &err), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 10);
	assert_string_equal(buf, "version 1\n");
	close(fd);
	assert_string_equal(text = tl_read_file(path), "version 2, longer\n");
	free(text);
	assert_int_equal(mode_of(path), 0600);

	assert_int_equal(atomicfile_write(path, "", 0, 0644, ATOMICFILE_SYNC, &err), 0);
	assert_string_equal(text = tl_read_file(path), "");
	free(text);
	assert_string_equal(ls = listing(dir), "state\n");   /* no temp file left */
	assert_int_equal(err.len, 0);
	free(ls), free(path), free(dir);
	strbuf_clear(&err);
}

/* Written now, published later: the old file stays until the commit. */
static void
test_temp_then_commit(void **state)
{
	char *dir = tl_mkdtemp("atomicfile"), *path = xasprintf("%s/transport", dir);
	char *tmp, *text, *ls;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	tl_write_file(path, "old\n");
	tmp = atomicfile_temp(path, "new\n", 4, 0644, ATOMICFILE_SYNC_FILE, &err);
	assert_non_null(tmp);
	assert_int_equal(strncmp(tmp, path, strlen(path)), 0);
	assert_int_equal(strncmp(tmp + strlen(path), ".tmp.", 5), 0);
	assert_string_equal(text = tl_read_file(path), "old\n");
	free(text);
	assert_string_equal(text = tl_read_file(tmp), "new\n");
	free(text);
	assert_int_equal(atomicfile_commit(tmp, path, ATOMICFILE_SYNC, &err), 0);
	assert_string_equal(text = tl_read_file(path), "new\n");
	free(text);
	assert_string_equal(ls = listing(dir), "transport\n");
	free(ls), free(tmp), free(path), free(dir);
	strbuf_clear(&err);
}

static void
test_failures(void **state)
{
	char *dir = tl_mkdtemp("atomicfile"), *missing = xasprintf("%s/no/state", dir);
	char *path = xasprintf("%s/state", dir), *want, *ls;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	/* no directory: create fails, naming the temp file */
	assert_null(atomicfile_temp(missing, "x", 1, 0644, ATOMICFILE_SYNC, &err));
	want = xasprintf("create %s.tmp.", missing);
	assert_int_equal(strncmp(strbuf_str(&err), want, strlen(want)), 0);
	assert_non_null(strstr(strbuf_str(&err), ": No such file or directory"));
	free(want);
	strbuf_reset(&err);
	assert_int_equal(atomicfile_write(missing, "x", 1, 0644, 0, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), ": No such file or directory"));
	strbuf_reset(&err);

	/* a directory in the way: the rename fails and the temp file goes */
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(atomicfile_write(path, "x", 1, 0644, ATOMICFILE_SYNC, &err), -1);
	want = xasprintf("rename %s.tmp.", path);
	assert_int_equal(strncmp(strbuf_str(&err), want, strlen(want)), 0);
	assert_non_null(strstr(strbuf_str(&err), ": Is a directory"));
	free(want);
	assert_string_equal(ls = listing(dir), "state\n");
	free(ls);
	strbuf_reset(&err);

	/* committing a temp file that is not there */
	assert_int_equal(atomicfile_commit(missing, path, ATOMICFILE_SYNC_FILE, &err), -1);
	want = xasprintf("fsync %s: No such file or directory", missing);
	assert_string_equal(strbuf_str(&err), want);
	free(want), free(missing), free(path), free(dir);
	strbuf_clear(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_replace),
		cmocka_unit_test(test_temp_then_commit),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
