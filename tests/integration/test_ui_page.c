/*
 * test_ui_page.c: the on-call page as HTTP serves it, against a real
 * controller: GET /ui answers without a token, as HTML with the security
 * headers (a Content-Security-Policy allowing only the page's own style
 * and script by their SHA-256, no framing, no sniffing, no caching, no
 * referrer); GET / points to it; the page holds no data; the JSON it
 * reads still needs a token. What the page shows is test_ui_browser's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *viewer, *agent;

struct answer {
	long status;
	struct strbuf head, body;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	strbuf_appendn(arg, p, size * n);
	return size * n;
}

/* One request without a token (or with one), keeping the headers. */
static void
fetch(struct answer *a, const char *method, const char *path, const char *token)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char *url = xasprintf("%s%s", ctl->url, path);
	char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;

	memset(a, 0, sizeof(*a));   /* zeroed strbufs are empty ones */
	if (auth)
		h = curl_slist_append(h, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a->head);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url), free(auth);
}

static void
answer_free(struct answer *a)
{
	strbuf_clear(&a->head);
	strbuf_clear(&a->body);
}

/* The value of header name (a new string), or NULL; fails the test when
 * the header comes twice. */
static char *
header(const struct answer *a, const char *name)
{
	char *found = NULL;
	size_t n = strlen(name);

	for (const char *l = strbuf_str(&a->head); l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncasecmp(l, name, n) != 0 || l[n] != ':')
			continue;
		if (found)
			fail_msg("header %s sent twice", name);
		const char *v = l + n + 1;
		v += strspn(v, " ");
		found = xasprintf("%.*s", (int)strcspn(v, "\r\n"), v);
	}
	return found;
}

static void
expect_header(const struct answer *a, const char *name, const char *want)
{
	char *v = header(a, name);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", name, v ? v : "(absent)", want);
	free(v);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* "'sha256-BASE64'" of the text between open and close in page. */
static char *
source_hash(const char *page, const char *open, const char *close)
{
	const char *start = strstr(page, open), *end;
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int mdlen = 0;

	assert_non_null(start);
	start += strlen(open);
	assert_non_null(end = strstr(start, close));
	assert_int_equal(EVP_Digest(start, (size_t)(end - start), md, &mdlen, EVP_sha256(), NULL), 1);
	EVP_EncodeBlock(b64, md, (int)mdlen);
	return xasprintf("'sha256-%s'", (const char *)b64);
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	viewer = tl_token(ctl, "oncall", "viewer", NULL);
	json_decref(tl_api_ok(ctl, "PUT", "/v1/nodes/mx01", ctl->admin, "{\"role\": \"server\"}"));
	agent = tl_token(ctl, "mx01", "agent", "mx01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_free(ctl);
	free(viewer), free(agent);
	return 0;
}

/* The page without a token: HTML, strict headers, no data in it. */
static void
test_page_headers(void **state)
{
	struct answer a;

	(void)state;
	fetch(&a, "GET", "/ui", NULL);
	assert_int_equal(a.status, 200);
	expect_header(&a, "Content-Type", "text/html; charset=utf-8");
	expect_header(&a, "X-Frame-Options", "DENY");
	expect_header(&a, "X-Content-Type-Options", "nosniff");
	expect_header(&a, "Cache-Control", "no-store");
	expect_header(&a, "Referrer-Policy", "no-referrer");
	expect_header(&a, "Cross-Origin-Opener-Policy", "same-origin");
	const char *page = strbuf_str(&a.body);
	assert_non_null(strstr(page, "<title>postroute status</title>"));
	/* one inline style and one inline script, nothing loaded from elsewhere */
	assert_int_equal(count(page, "<style>"), 1);
	assert_int_equal(count(page, "<script>"), 1);
	assert_int_equal(count(page, "<script"), 1);
	assert_null(strstr(page, "src="));
	assert_null(strstr(page, "http://"));
	assert_null(strstr(page, "https://"));
	assert_null(strstr(page, "mx01"));

	char *csp = header(&a, "Content-Security-Policy");
	char *script = source_hash(page, "<script>", "</script>");
	char *style = source_hash(page, "<style>", "</style>");
	char *want = xasprintf("default-src 'none'; script-src %s; style-src %s; connect-src 'self';"
	    " base-uri 'none'; form-action 'none'; frame-ancestors 'none'", script, style);
	assert_non_null(csp);
	if (strcmp(csp, want) != 0)
		fail_msg("Content-Security-Policy:\n got  %s\n want %s", csp, want);
	assert_null(strstr(csp, "unsafe"));
	free(csp), free(script), free(style), free(want);
	answer_free(&a);

	/* a trailing slash is the same page; a token changes nothing */
	fetch(&a, "GET", "/ui/", viewer);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(strbuf_str(&a.body), "<title>postroute status</title>"));
	answer_free(&a);
}

static void
test_root_points_to_page(void **state)
{
	struct answer a;

	(void)state;
	fetch(&a, "GET", "/", NULL);
	assert_int_equal(a.status, 302);
	expect_header(&a, "Location", "ui");
	answer_free(&a);
	/* read-only: no other method */
	fetch(&a, "POST", "/ui", NULL);
	assert_int_equal(a.status, 405);
	expect_header(&a, "Allow", "GET");
	answer_free(&a);
	fetch(&a, "DELETE", "/", viewer);
	assert_int_equal(a.status, 405);
	answer_free(&a);
	fetch(&a, "GET", "/ui/status.html", NULL);
	assert_int_equal(a.status, 404);
	answer_free(&a);
}

/* What the page reads is refused without a token, and with a bad one,
 * as before; a viewer token reads it. */
static void
test_json_needs_token(void **state)
{
	static const char *const paths[] = { "/v1/status", "/v1/routes", "/v1/history?limit=25",
		"/v1/nodes/mx01/transport?after=0&wait=0", NULL };
	struct answer a;

	(void)state;
	for (int i = 0; paths[i]; i++) {
		fetch(&a, "GET", paths[i], NULL);
		if (a.status != 401)
			fail_msg("GET %s without a token: %ld, want 401", paths[i], a.status);
		assert_non_null(strstr(strbuf_str(&a.body), "a bearer token is required"));
		answer_free(&a);
		fetch(&a, "GET", paths[i], "prt_not_a_token");
		if (a.status != 401)
			fail_msg("GET %s with a wrong token: %ld, want 401", paths[i], a.status);
		assert_non_null(strstr(strbuf_str(&a.body), "unknown or revoked token"));
		answer_free(&a);
		fetch(&a, "GET", paths[i], viewer);
		if (a.status != 200)
			fail_msg("GET %s as viewer: %ld %s", paths[i], a.status, strbuf_str(&a.body));
		assert_null(header(&a, "Content-Security-Policy"));
		answer_free(&a);
	}
	/* an agent token reads its feed, not the status the page shows */
	fetch(&a, "GET", "/v1/status", agent);
	assert_int_equal(a.status, 403);
	answer_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_headers),
		cmocka_unit_test(test_root_points_to_page),
		cmocka_unit_test(test_json_needs_token),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
