/*
 * test_presence.c: the controller's presence set: each name once per take
 * however often it is noted, a take empties the set, prefixes and names
 * sharing a hash slot kept apart, tens of thousands of names (and in time:
 * noting must not scan the set), the PRESENCE_MAX bound, and threads noting
 * while another takes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "presence.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits a literal "{a,b}" into its sorted names; returns their number.
 * The caller frees *out and (*out)[0]'s buffer via *buf. */
static size_t
split_literal(const char *lit, char ***out, char **buf)
{
	size_t len = strlen(lit), n = 1, k = 0;
	char *s;

	assert_true(len >= 3);
	assert_int_equal(lit[0], '{');
	assert_int_equal(lit[len - 1], '}');
	*buf = s = strndup(lit + 1, len - 2);
	for (char *c = s; *c; c++)
		n += *c == ',';
	*out = calloc(n, sizeof(**out));
	for (char *tok = strtok(s, ","); tok != NULL; tok = strtok(NULL, ","))
		(*out)[k++] = tok;
	assert_int_equal(k, n);
	qsort(*out, n, sizeof(**out), cmp_str);
	return n;
}

/* Takes the set and checks it holds exactly the names expect[0..n). */
static void
take_expect(struct presence *p, const char *const *expect, size_t n)
{
	struct strbuf out = STRBUF_INIT;
	char **got, *buf;
	const char **want = calloc(n ? n : 1, sizeof(*want));

	assert_int_equal(presence_take(p, &out), (int)n);
	if (n == 0) {
		assert_null(out.buf);
		free(want);
		return;
	}
	assert_int_equal(split_literal(strbuf_str(&out), &got, &buf), n);
	memcpy(want, expect, n * sizeof(*want));
	qsort(want, n, sizeof(*want), cmp_str);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
	free(got), free(buf), free(want);
	strbuf_clear(&out);
}

static void
test_empty(void **state)
{
	struct presence *p = presence_new();
	struct strbuf out = STRBUF_INIT;

	(void)state;
	assert_int_equal(presence_take(p, &out), 0);
	assert_int_equal(out.len, 0);
	presence_note(p, "");        /* not a node name: not noted */
	assert_int_equal(presence_take(p, &out), 0);
	presence_free(p);
	presence_free(NULL);
}

static void
test_duplicates_and_flush(void **state)
{
	struct presence *p = presence_new();
	const char *ab[] = { "mx01", "mx02" }, *b[] = { "mx02" };

	(void)state;
	presence_note(p, "mx01");
	presence_note(p, "mx02");
	presence_note(p, "mx01");
	presence_note(p, "mx01");
	take_expect(p, ab, 2);
	take_expect(p, NULL, 0);     /* the take emptied it */
	presence_note(p, "mx02");
	presence_note(p, "mx02");
	take_expect(p, b, 1);        /* and a name is noted again after it */
	presence_note(p, "mx01");
	presence_note(p, "mx02");
	take_expect(p, ab, 2);
	presence_free(p);
}

/* Prefixes of each other, and more names than the first table's slots,
 * so that probes cross names of other lengths. */
static void
test_prefixes(void **state)
{
	struct presence *p = presence_new();
	char names[200][80];
	const char *want[200];

	(void)state;
	for (int i = 0; i < 200; i++) {
		memset(names[i], 'a', (size_t)(i % 70) + 1);
		names[i][i % 70 + 1] = '\0';
		if (i >= 70)
			snprintf(names[i] + i % 70 + 1, 8, "-%d", i);
		want[i] = names[i];
	}
	for (int round = 0; round < 3; round++)
		for (int i = 199; i >= 0; i--)
			presence_note(p, names[i]);
	take_expect(p, want, 200);
	presence_free(p);
}

/* The probe compares full names, not hash slots: fill one table, take,
 * fill again with different names (stale slots must not match). */
static void
test_many_names(void **state)
{
	enum { N = 20000 };
	struct presence *p = presence_new();
	char (*names)[16] = calloc(N, sizeof(*names));
	const char **want = calloc(N, sizeof(*want));

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < N; i++) {
			snprintf(names[i], sizeof(names[i]), "%c%05d", pass ? 'r' : 'm', i);
			want[i] = names[i];
		}
		for (int i = 0; i < N; i++) {
			presence_note(p, names[i]);
			presence_note(p, names[(i * 7) % (i + 1)]);   /* one already in */
		}
		take_expect(p, want, N);
	}
	presence_free(p);
	free(names), free(want);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100,000 names, each noted twice: a hash probe each is well under a
 * second even under the sanitizers; a scan of the set per note (5e9 string
 * compares) takes tens of seconds. */
static void
test_note_is_not_a_scan(void **state)
{
	enum { N = 100000 };
	struct presence *p = presence_new();
	struct strbuf out = STRBUF_INIT;
	char name[32];
	double t = mono();

	(void)state;
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "node-%06d.example", i);
			presence_note(p, name);
		}
	}
	t = mono() - t;
	assert_int_equal(presence_take(p, &out), N);
	print_message("200,000 notes of 100,000 names: %.3f s\n", t);
	assert_true(t < 5.0);
	strbuf_clear(&out);
	presence_free(p);
}

static void
test_bounds(void **state)
{
	struct presence *p = presence_new();
	struct strbuf out = STRBUF_INIT;
	char name[PRESENCE_NAME_MAX + 2];

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	presence_note(p, name);                      /* one octet too long */
	assert_int_equal(presence_take(p, &out), 0);
	name[sizeof(name) - 2] = '\0';
	presence_note(p, name);                      /* just fits */
	assert_int_equal(presence_take(p, &out), 1);
	assert_int_equal(out.len, PRESENCE_NAME_MAX + 2);
	strbuf_clear(&out);

	for (int i = 0; i < PRESENCE_MAX + 10; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		presence_note(p, name);
	}
	presence_note(p, "n0");                      /* already in, at the bound */
	assert_int_equal(presence_take(p, &out), PRESENCE_MAX);
	assert_null(strstr(strbuf_str(&out), "n1048576"));
	strbuf_clear(&out);
	presence_note(p, "n1048576");                /* room again after the take */
	assert_int_equal(presence_take(p, &out), 1);
	assert_string_equal(strbuf_str(&out), "{n1048576}");
	strbuf_clear(&out);
	presence_free(p);
}

/* Four threads note 4 x 5,000 overlapping names while the main thread
 * takes: every name comes out, none twice in one take. */
enum { THREADS = 4, PER_THREAD = 5000, NAMES = 8000 };

struct noter {
	struct presence *p;
	int id;
};

static void *
noter_main(void *arg)
{
	struct noter *n = arg;
	char name[32];

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(name, sizeof(name), "mx%05d", (n->id * 1000 + i) % NAMES);
		presence_note(n->p, name);
	}
	return NULL;
}

static void
count_take(struct presence *p, unsigned char *seen, size_t *distinct)
{
	struct strbuf out = STRBUF_INIT;
	char **got, *buf;
	int n = presence_take(p, &out);

	if (n == 0)
		return;
	assert_int_equal(split_literal(strbuf_str(&out), &got, &buf), (size_t)n);
	for (int i = 0; i < n; i++) {
		int k = atoi(got[i] + 2);
		if (i > 0)
			assert_string_not_equal(got[i - 1], got[i]);
		assert_true(k >= 0 && k < NAMES);
		*distinct += !seen[k];
		seen[k] = 1;
	}
	free(got), free(buf);
	strbuf_clear(&out);
}

static void
test_threads(void **state)
{
	struct presence *p = presence_new();
	pthread_t t[THREADS];
	struct noter args[THREADS];
	unsigned char *seen = calloc(NAMES, 1);
	size_t distinct = 0;

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		args[i] = (struct noter){ p, i };
		assert_int_equal(pthread_create(&t[i], NULL, noter_main, &args[i]), 0);
	}
	for (int i = 0; i < 200; i++)
		count_take(p, seen, &distinct);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	count_take(p, seen, &distinct);
	assert_int_equal(distinct, NAMES);
	free(seen);
	presence_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_duplicates_and_flush),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_note_is_not_a_scan),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
