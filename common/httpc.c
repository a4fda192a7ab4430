/*
 * httpc.c: libcurl easy-handle wrapper.
 *
 * SECURITY: bodies from the network are accumulated only up to
 * HTTPC_MAX_BODY; redirects are not followed, so a token is only ever sent
 * to the URL it was configured for.
 */
#include "httpc.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct httpc {
	CURL *curl;
};

void
httpc_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct httpc *
httpc_new(void)
{
	struct httpc *h = xcalloc(1, sizeof(*h));

	h->curl = curl_easy_init();
	return h;
}

struct httpc *
httpc_free(struct httpc *h)
{
	if (h != NULL) {
		curl_easy_cleanup(h->curl);
		free(h);
	}
	return NULL;
}

static size_t
httpc_write(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct strbuf *sb = user;
	size_t n = size * nmemb;

	if (sb->len + n > HTTPC_MAX_BODY)
		return 0;
	strbuf_appendn(sb, ptr, n);
	return n;
}

static int
httpc_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const struct httpc_request *req = user;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return req->abort_cb(req->abort_arg) ? 1 : 0;
}

int
httpc_do(struct httpc *h, const struct httpc_request *req,
    struct httpc_response *resp, struct strbuf *err)
{
	struct curl_slist *hdrs = NULL;
	char *auth = NULL;
	CURLcode rc;
	CURL *c = h->curl;

	curl_easy_reset(c);
	strbuf_reset(&resp->body);
	resp->status = 0;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, httpc_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (req->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	if (req->abort_cb != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, httpc_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)req);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (req->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", req->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (req->body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
	} else if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	free(auth);
	if (rc != CURLE_OK) {
		strbuf_appendf(err, "%s %s: %s", req->method, req->url,
		    rc == CURLE_WRITE_ERROR ? "response too large" :
		    rc == CURLE_ABORTED_BY_CALLBACK ? "aborted" : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	return 0;
}

void
httpc_escape(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			strbuf_appendc(out, (char)c);
		} else {
			strbuf_appendc(out, '%');
			strbuf_appendc(out, hex[c >> 4]);
			strbuf_appendc(out, hex[c & 15]);
		}
	}
}
