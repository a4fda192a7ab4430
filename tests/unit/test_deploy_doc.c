/*
 * test_deploy_doc.c: the commands of docs/deploy.md use only options that
 * the programs document.
 *
 * In every code line of the guide (indented four spaces; up to a " #"
 * comment) and every inline code span (`...`), a long option (--name)
 * that follows postrouted, postroute or postroute-agent, before a |, ;
 * or &, must appear in that program's man page (as roff writes it,
 * \-\-name). A guide that names an option the program does not have
 * fails here with the line. The guide must give at least 30 such options,
 * so that a change of its layout cannot make this check vacuous.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static const char *const progs[] = { "postroute-agent", "postrouted", "postroute" };
static const char *const pages[] = { "docs/man/postroute-agent.8", "docs/man/postrouted.8",
	"docs/man/postroute.1" };
static char *man[3];

struct checked {
	int options;
	struct strbuf bad;
};

static char *
read_src(const char *rel)
{
	char *path = xasprintf("%s/%s", tl_srcdir(), rel), *text = tl_read_file(path);

	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* The program whose name starts at p, or -1. */
static int
prog_at(const char *seg, const char *p, const char *end)
{
	if (p > seg && word_char(p[-1]))
		return -1;
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(progs[i]);
		if ((size_t)(end - p) >= n && memcmp(p, progs[i], n) == 0 &&
		    (p + n == end || p[n] == ' '))
			return i;
	}
	return -1;
}

/* "\-\-out\-dir" for out-dir. */
static char *
roff_option(const char *name, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_append(&sb, "\\-\\-");
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '-')
			strbuf_appendc(&sb, '\\');
		strbuf_appendc(&sb, name[i]);
	}
	return strbuf_detach(&sb);
}

static void
check_segment(const char *seg, const char *end, int line, struct checked *c)
{
	int prog = -1;

	for (const char *p = seg; p < end; p++) {
		int at = prog_at(seg, p, end);
		if (at >= 0) {
			prog = at;
			p += strlen(progs[at]) - 1;
		} else if (*p == '|' || *p == ';' || *p == '&') {
			prog = -1;
		} else if (prog >= 0 && p[0] == '-' && p + 2 < end && p[1] == '-' &&
		    p[2] >= 'a' && p[2] <= 'z' && (p == seg || p[-1] == ' ')) {
			const char *name = p + 2, *q = name;
			while (q < end && word_char(*q) && *q != '.')
				q++;
			char *needle = roff_option(name, (size_t)(q - name));
			c->options++;
			if (strstr(man[prog], needle) == NULL)
				strbuf_appendf(&c->bad, "docs/deploy.md:%d: %s --%.*s is not in %s\n", line,
				    progs[prog], (int)(q - name), name, pages[prog]);
			free(needle);
			p = q - 1;
		}
	}
}

static void
check_line(const char *l, const char *end, int line, struct checked *c)
{
	if (end - l >= 4 && memcmp(l, "    ", 4) == 0) {
		const char *hash = NULL;
		for (const char *p = l; p + 1 < end && hash == NULL; p++)
			if (p[0] == ' ' && p[1] == '#')
				hash = p;
		check_segment(l, hash ? hash : end, line, c);
		return;
	}
	for (const char *p = l; p < end; p++) {
		const char *close = p[0] == '`' ? memchr(p + 1, '`', (size_t)(end - p - 1)) : NULL;
		if (close != NULL) {
			check_segment(p + 1, close, line, c);
			p = close;
		}
	}
}

static void
test_guide_options_are_documented(void **state)
{
	char *guide = read_src("docs/deploy.md");
	struct checked c = { 0, STRBUF_INIT };
	int line = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		man[i] = read_src(pages[i]);
	for (const char *l = guide; *l != '\0';) {
		const char *end = strchr(l, '\n');
		if (end == NULL)
			end = l + strlen(l);
		check_line(l, end, ++line, &c);
		l = *end ? end + 1 : end;
	}
	if (c.bad.len > 0)
		fail_msg("%s", strbuf_str(&c.bad));
	if (c.options < 30)
		fail_msg("only %d options found in docs/deploy.md's commands", c.options);
	print_message("%d options of docs/deploy.md found in the man pages\n", c.options);
	for (int i = 0; i < 3; i++)
		free(man[i]);
	strbuf_clear(&c.bad);
	free(guide);
}

/* The check itself: an option no page has is reported with its line. */
static void
test_unknown_option_is_reported(void **state)
{
	static const char text[] = "    postrouted token create --batch x --no-such-flag\n";
	struct checked c = { 0, STRBUF_INIT };

	(void)state;
	for (int i = 0; i < 3; i++)
		man[i] = read_src(pages[i]);
	check_line(text, text + strlen(text) - 1, 7, &c);
	assert_int_equal(c.options, 2);
	assert_string_equal(strbuf_str(&c.bad),
	    "docs/deploy.md:7: postrouted --no-such-flag is not in docs/man/postrouted.8\n");
	strbuf_reset(&c.bad);
	/* a flag of another command after a pipe, or before the program, is not checked */
	static const char other[] = "`systemctl enable --now postroute-agent | sort --unique`";
	check_line(other, other + strlen(other), 8, &c);
	assert_int_equal(c.options, 2);
	assert_string_equal(strbuf_str(&c.bad), "");
	for (int i = 0; i < 3; i++)
		free(man[i]);
	strbuf_clear(&c.bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guide_options_are_documented),
		cmocka_unit_test(test_unknown_option_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
