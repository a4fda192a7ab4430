/*
 * httpc_tls.c: reading and checking a client's TLS files (httpc_tls.h).
 */
#include "httpc_tls.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pemfile.h"
#include "xalloc.h"

static int
tls_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* The whole file, NUL-terminated; NULL with err set. */
/* Number of PEM certificates in text; *first gets the first (or NULL). */
static int
tls_certs(const char *text, size_t len, X509 **first)
{
	BIO *b = BIO_new_mem_buf(text, (int)len);
	X509 *x;
	int n = 0;

	*first = NULL;
	while (b != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (n++ == 0)
			*first = x;
		else
			X509_free(x);
	}
	BIO_free(b);
	ERR_clear_error();
	return n;
}

/* Refuses to prompt for a passphrase. */
static int
tls_no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int
tls_check_pair(struct httpc_tls *t, const char *cert_file, const char *key_file,
    struct strbuf *err)
{
	X509 *cert = NULL;
	BIO *b = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (tls_certs(t->cert_pem, t->cert_len, &cert) == 0) {
		strbuf_appendf(err, "client_cert %s: no PEM certificate in it", cert_file);
		goto done;
	}
	b = BIO_new_mem_buf(t->key_pem, (int)t->key_len);
	if (b == NULL || (key = PEM_read_bio_PrivateKey(b, NULL, tls_no_pass, NULL)) == NULL) {
		strbuf_appendf(err, "client_key %s: not a PEM private key, or protected by a "
		    "passphrase (not supported)", key_file);
		goto done;
	}
	if (X509_check_private_key(cert, key) != 1) {
		strbuf_appendf(err, "client_key %s: does not match the certificate in client_cert %s",
		    key_file, cert_file);
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(b);
	X509_free(cert);
	return rc;
}

static int
tls_load_ca(struct httpc_tls *t, const char *ca_file, struct strbuf *err)
{
	X509 *first;

	if ((t->ca_pem = pemfile_read("ca_file", ca_file, &t->ca_len, err)) == NULL)
		return -1;
	if (tls_certs(t->ca_pem, t->ca_len, &first) == 0) {
		strbuf_appendf(err, "ca_file %s: no PEM certificate in it", ca_file);
		return -1;
	}
	X509_free(first);
	return 0;
}

int
httpc_tls_load(struct httpc_tls *t, const char *ca_file, const char *cert_file,
    const char *key_file, struct strbuf *err)
{
	memset(t, 0, sizeof(*t));
	if (tls_set(ca_file) && tls_load_ca(t, ca_file, err) != 0)
		goto fail;
	if (tls_set(cert_file) != tls_set(key_file)) {
		strbuf_appendf(err, "%s is set without %s: a client certificate needs its key",
		    tls_set(cert_file) ? "client_cert" : "client_key",
		    tls_set(cert_file) ? "client_key" : "client_cert");
		goto fail;
	}
	if (!tls_set(cert_file))
		return 0;
	if ((t->cert_pem = pemfile_read("client_cert", cert_file, &t->cert_len, err)) == NULL ||
	    (t->key_pem = pemfile_read("client_key", key_file, &t->key_len, err)) == NULL ||
	    tls_check_pair(t, cert_file, key_file, err) != 0)
		goto fail;
	return 0;
fail:
	httpc_tls_free(t);
	return -1;
}

void
httpc_tls_move(struct httpc_tls *to, struct httpc_tls *from)
{
	*to = *from;
	memset(from, 0, sizeof(*from));
}

void
httpc_tls_free(struct httpc_tls *t)
{
	if (t->key_pem != NULL)
		explicit_bzero(t->key_pem, t->key_len);
	free(t->ca_pem);
	free(t->cert_pem);
	free(t->key_pem);
	memset(t, 0, sizeof(*t));
}
