/*
 * tls.c: the server's TLS files and the client-certificate check (tls.h).
 */
#include "tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "monotime.h"
#include "netaddr.h"
#include "pemfile.h"
#include "xalloc.h"

/* TLS 1.2 and 1.3 only, GnuTLS's NORMAL suites otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* The PEM certificates of text; 0 or -1 with err set. With check_expiry,
 * the first must not have expired. */
static int
tls_check_certs(const char *key, const char *path, const char *text, size_t len,
    int check_expiry, struct strbuf *err)
{
	gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)text, .size = (unsigned)len };
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int rc = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);

	if (rc < 0 || n == 0) {
		strbuf_appendf(err, "[server] %s %s: no PEM certificate in it (%s)", key, path,
		    rc < 0 ? gnutls_strerror(rc) : "empty");
		return -1;
	}
	time_t until = gnutls_x509_crt_get_expiration_time(list[0]);
	if (check_expiry && until != (time_t)-1 && until < time(NULL)) {
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&until));
		strbuf_appendf(err, "[server] %s %s: the certificate expired on %s", key, path, when);
		rc = -1;
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return rc < 0 ? -1 : 0;
}

/* The key parses and matches the certificate. */
static int
tls_check_key(const struct tls_server *t, size_t cert_len, const struct settings *s,
    struct strbuf *err)
{
	gnutls_datum_t c = { .data = (unsigned char *)t->cert_pem, .size = (unsigned)cert_len };
	gnutls_datum_t k = { .data = (unsigned char *)t->key_pem, .size = (unsigned)t->key_len };
	gnutls_x509_privkey_t pk = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	int rc;

	gnutls_x509_privkey_init(&pk);
	rc = gnutls_x509_privkey_import2(pk, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_x509_privkey_deinit(pk);
	if (rc < 0) {
		strbuf_appendf(err, "[server] tls_key %s: not a PEM private key, or protected by a "
		    "passphrase (%s)", s->tls_key, gnutls_strerror(rc));
		return -1;
	}
	gnutls_certificate_allocate_credentials(&cred);
	rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0) {
		strbuf_appendf(err, "[server] tls_key %s: %s the certificate in tls_cert %s (%s)",
		    s->tls_key, rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH ? "does not match" :
		    "cannot be used with", s->tls_cert, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static int
tls_set(const char *v)
{
	return v != NULL && v[0] != '\0';
}

static int
tls_load_files(struct tls_server *t, const struct settings *s, struct strbuf *err)
{
	size_t cert_len, ca_len;

	if ((t->cert_pem = pemfile_read("[server] tls_cert", s->tls_cert, &cert_len, err)) == NULL ||
	    tls_check_certs("tls_cert", s->tls_cert, t->cert_pem, cert_len, 1, err) != 0 ||
	    (t->key_pem = pemfile_read("[server] tls_key", s->tls_key, &t->key_len, err)) == NULL ||
	    tls_check_key(t, cert_len, s, err) != 0)
		return -1;
	if (!t->mutual)
		return 0;
	if ((t->ca_pem = pemfile_read("[server] tls_client_ca", s->tls_client_ca, &ca_len, err)) == NULL ||
	    tls_check_certs("tls_client_ca", s->tls_client_ca, t->ca_pem, ca_len, 0, err) != 0)
		return -1;
	return 0;
}

int
tls_server_load(struct tls_server *t, const struct settings *s, struct strbuf *err)
{
	memset(t, 0, sizeof(*t));
	if (!tls_set(s->tls_cert) && !tls_set(s->tls_key)) {
		if (!tls_set(s->tls_client_ca))
			return 0;
		strbuf_append(err, "[server] tls_client_ca: needs tls_cert and tls_key "
		    "(client certificates are asked for over TLS only)");
		return -1;
	}
	if (!tls_set(s->tls_cert) || !tls_set(s->tls_key)) {
		strbuf_appendf(err, "[server] %s is set without %s",
		    tls_set(s->tls_cert) ? "tls_cert" : "tls_key",
		    tls_set(s->tls_cert) ? "tls_key" : "tls_cert");
		return -1;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		strbuf_append(err, "[server] tls_cert: this libmicrohttpd was built without TLS "
		    "(MHD_FEATURE_TLS); install one built with GnuTLS, or leave TLS to a proxy");
		return -1;
	}
	t->on = 1;
	t->mutual = tls_set(s->tls_client_ca);
	if (tls_load_files(t, s, err) != 0) {
		tls_server_free(t);
		return -1;
	}
	return 0;
}

void
tls_server_free(struct tls_server *t)
{
	if (t->key_pem != NULL)
		explicit_bzero(t->key_pem, t->key_len);
	free(t->cert_pem);
	free(t->key_pem);
	free(t->ca_pem);
	memset(t, 0, sizeof(*t));
}

unsigned
tls_server_mhd_options(const struct tls_server *t, struct MHD_OptionItem opts[TLS_MHD_OPTIONS])
{
	int n = 0;

	if (t != NULL && t->on) {
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, t->key_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)TLS_PRIORITIES };
		if (t->mutual)
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, t->ca_pem };
	}
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return t != NULL && t->on ? MHD_USE_TLS : 0;
}

/* Refusals logged, at most TLS_LOG_BURST per TLS_LOG_WINDOW seconds: a
 * client without a certificate needs no token to send requests as fast as
 * it likes, and each must not cost a log line (401s cost none). */
#define TLS_LOG_BURST 20
#define TLS_LOG_WINDOW 10.0

static pthread_mutex_t tls_log_lock = PTHREAD_MUTEX_INITIALIZER;
static double tls_log_window = -TLS_LOG_WINDOW;
static unsigned long tls_log_count, tls_log_dropped;

/* 1 when this refusal may be logged; *dropped, those not logged in the
 * window that just ended (to be said first). */
static int
tls_log_allowed(unsigned long *dropped)
{
	double now = monotime_s();
	int show;

	*dropped = 0;
	pthread_mutex_lock(&tls_log_lock);
	if (now - tls_log_window >= TLS_LOG_WINDOW) {
		*dropped = tls_log_dropped;
		tls_log_window = now;
		tls_log_count = tls_log_dropped = 0;
	}
	show = tls_log_count++ < TLS_LOG_BURST;
	if (!show)
		tls_log_dropped++;
	pthread_mutex_unlock(&tls_log_lock);
	return show;
}

static void
tls_refusal(struct MHD_Connection *conn, const char *why)
{
	const union MHD_ConnectionInfo *ci;
	char host[NI_MAXHOST] = "?";
	unsigned long dropped;
	int show = tls_log_allowed(&dropped);

	if (dropped > 0)
		log_warnx("tls: %lu more refused request(s) not logged in the last %.0f s", dropped,
		    TLS_LOG_WINDOW);
	if (!show)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host, sizeof(host),
		    NULL, 0, NI_NUMERICHOST);
	log_warnx("tls: refused a request from %s: %s", host, why);
}

const char *
tls_server_check_client(const struct tls_server *t, struct MHD_Connection *conn)
{
	/* a certificate with an extendedKeyUsage must allow clientAuth: a
	 * server's certificate from the same CA is not a client's */
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT };
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t sess;
	unsigned status = 0;
	int rc;

	if (t == NULL || !t->mutual)
		return NULL;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		tls_refusal(conn, "no TLS session");
		return "TLS: no TLS session";
	}
	sess = ci->tls_session;
	rc = gnutls_certificate_verify_peers(sess, &purpose, 1, &status);
	if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND || gnutls_certificate_get_peers(sess, NULL) == NULL) {
		tls_refusal(conn, "no client certificate");
		return "TLS: this controller requires a client certificate (mutual TLS): "
		    "set client_cert and client_key";
	}
	if (rc < 0 || status != 0) {
		gnutls_datum_t why = { NULL, 0 };
		if (rc >= 0 && gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &why, 0) >= 0) {
			tls_refusal(conn, (const char *)why.data);
			gnutls_free(why.data);
		} else {
			tls_refusal(conn, rc < 0 ? gnutls_strerror(rc) : "client certificate not trusted");
		}
		return "TLS: the client certificate is not signed by this controller's "
		    "tls_client_ca, is not valid now, or is not for client authentication";
	}
	return NULL;
}

int
tls_listen_exposed(const char *listen, int tls_on)
{
	return !tls_on && !netaddr_listen_is_loopback(listen);
}
