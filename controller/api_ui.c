/*
 * api_ui.c: the on-call status page, GET /ui, and GET / pointing to it.
 *
 * The page (controller/ui/status.html, embedded at build time by
 * deploy/embed-ui.sh as ui_status_html) holds no data and needs no token:
 * its script asks for one and reads the JSON API with it, which checks
 * the token as for any client. This module owns the page's response
 * headers. The Content-Security-Policy allows nothing but the page's own
 * inline style and script, named by their SHA-256 (computed here once
 * from the embedded text, so an edited page is allowed as it is built),
 * and requests to this origin; no framing, no sniffing, no caching, no
 * referrer.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api_handlers.h"
#include "log.h"
#include "xalloc.h"

extern const char ui_status_html[];

/* "'sha256-BASE64'" of the text between open and close in ui_status_html
 * (the first such element). */
static char *
ui_source_hash(const char *open, const char *close)
{
	const char *start = strstr(ui_status_html, open), *end;
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int mdlen = 0;

	if (start == NULL || (end = strstr(start += strlen(open), close)) == NULL)
		log_fatalx("ui: the embedded page has no %s element", open);
	if (EVP_Digest(start, (size_t)(end - start), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		log_fatalx("ui: EVP_Digest failed");
	EVP_EncodeBlock(b64, md, (int)mdlen);
	return xasprintf("'sha256-%s'", (const char *)b64);
}

static pthread_once_t ui_once = PTHREAD_ONCE_INIT;
static const char *ui_page_headers[15];

static void
ui_headers_init(void)
{
	char *style = ui_source_hash("<style>", "</style>");
	char *script = ui_source_hash("<script>", "</script>");
	char *csp = xasprintf("default-src 'none'; script-src %s; style-src %s; connect-src 'self';"
	    " base-uri 'none'; form-action 'none'; frame-ancestors 'none'", script, style);
	const char *h[] = {
		"Content-Security-Policy", csp,
		"X-Frame-Options", "DENY",
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "no-referrer",
		"Cross-Origin-Opener-Policy", "same-origin",
		"Cross-Origin-Resource-Policy", "same-origin",
		"Permissions-Policy", "camera=(), microphone=(), geolocation=()",
		NULL,
	};

	free(style), free(script);
	memcpy(ui_page_headers, h, sizeof(h));   /* csp lives as long as the process */
}

enum api_result
api_ui_page(struct app *app, struct http_request *req, struct http_reply *rep)
{
	(void)app, (void)req;
	pthread_once(&ui_once, ui_headers_init);
	free(rep->body);
	rep->status = 200;
	rep->body = xstrdup(ui_status_html);
	rep->content_type = "text/html; charset=utf-8";
	rep->headers = ui_page_headers;
	return API_DONE;
}

/* GET /: the page, by a relative Location so that it also works behind a
 * proxy that serves the controller under a path prefix. */
enum api_result
api_ui_root(struct app *app, struct http_request *req, struct http_reply *rep)
{
	static const char *const headers[] = { "Location", "ui", "X-Content-Type-Options", "nosniff", NULL };

	(void)app, (void)req;
	free(rep->body);
	rep->status = 302;
	rep->body = xstrdup("The on-call status page is at /ui\n");
	rep->content_type = "text/plain; charset=utf-8";
	rep->headers = headers;
	return API_DONE;
}
