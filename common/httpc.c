/*
 * httpc.c: libcurl easy-handle wrapper.
 *
 * SECURITY: bodies from the network are accumulated only up to
 * HTTPC_MAX_BODY; redirects are not followed, so a token is only ever sent
 * to the URL it was configured for. TLS material comes from memory
 * (httpc_tls.h): a configured CA replaces the system's store entirely.
 */
#include "httpc.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netaddr.h"
#include "xalloc.h"

struct httpc {
	CURL *curl;
};

void
httpc_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
httpc_global_cleanup(void)
{
	curl_global_cleanup();
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

static void
httpc_blob(CURL *c, CURLoption opt, char *data, size_t len)
{
	struct curl_blob blob = { .data = data, .len = len, .flags = CURL_BLOB_COPY };

	curl_easy_setopt(c, opt, &blob);
}

static void
httpc_set_tls(CURL *c, const struct httpc_tls *tls)
{
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (tls == NULL)
		return;
	if (tls->ca_pem != NULL) {
		httpc_blob(c, CURLOPT_CAINFO_BLOB, tls->ca_pem, tls->ca_len);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (tls->cert_pem != NULL) {
		httpc_blob(c, CURLOPT_SSLCERT_BLOB, tls->cert_pem, tls->cert_len);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		httpc_blob(c, CURLOPT_SSLKEY_BLOB, tls->key_pem, tls->key_len);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

/* "METHOD URL: reason" (or "label: reason"), with libcurl's detail and,
 * for the controller, a hint for the usual TLS mistakes. */
static void
httpc_error(const struct httpc_request *req, CURLcode rc, const char *detail,
    struct strbuf *err)
{
	if (req->label != NULL)
		strbuf_appendf(err, "%s: ", req->label);
	else
		strbuf_appendf(err, "%s %s: ", req->method, req->url);
	strbuf_append(err, rc == CURLE_WRITE_ERROR ? "response too large" :
	    rc == CURLE_ABORTED_BY_CALLBACK ? "aborted" : curl_easy_strerror(rc));
	if (detail[0] != '\0' && rc != CURLE_WRITE_ERROR && rc != CURLE_ABORTED_BY_CALLBACK &&
	    strcmp(detail, curl_easy_strerror(rc)) != 0)
		strbuf_appendf(err, " (%s)", detail);
	if (req->label != NULL)
		return;
	if ((rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR) && strncmp(req->url, "http://", 7) == 0)
		strbuf_append(err, "; is the controller serving https://?");
	if (rc == CURLE_PEER_FAILED_VERIFICATION)
		strbuf_append(err, "; check ca_file: it must hold the CA that signed the "
		    "controller's certificate");
}

/* 1 when url parses, *cleartext when it is http://, *loopback when its
 * host is (netaddr.h). */
static int
httpc_url_kind(const char *url, int *cleartext, int *loopback)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		*cleartext = strcasecmp(scheme, "http") == 0;
		*loopback = netaddr_is_loopback(host);
		ok = 1;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

int
httpc_do(struct httpc *h, const struct httpc_request *req,
    struct httpc_response *resp, struct strbuf *err)
{
	struct curl_slist *hdrs = NULL;
	char *auth = NULL;
	char detail[CURL_ERROR_SIZE] = "";
	int cleartext, loopback;
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
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	if (httpc_url_kind(req->url, &cleartext, &loopback) && loopback)
		curl_easy_setopt(c, CURLOPT_PROXY, "");   /* not via http_proxy: the token stays here */
	httpc_set_tls(c, req->tls);
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
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	free(auth);
	if (rc != CURLE_OK) {
		httpc_error(req, rc, detail, err);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	return 0;
}

int
httpc_url_cleartext_remote(const char *url)
{
	int cleartext, loopback;

	return httpc_url_kind(url, &cleartext, &loopback) && cleartext && !loopback;
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
