/*
 * tlspki.c: CA and certificates for TLS tests (see tlspki.h).
 */
#include "tlspki.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "testlib.h"
#include "xalloc.h"

#define TL_OPENSSL "/usr/bin/openssl"

static const char tl_pki_cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = unused\n"
    "[ca]\n"
    "basicConstraints = critical, CA:true\n"
    "keyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[server]\n"
    "basicConstraints = critical, CA:false\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[client]\n"
    "basicConstraints = critical, CA:false\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = clientAuth\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n";

/* One certificate: self-signed when ca is NULL, else signed by ca. */
static void
tl_pki_cert(const char *cnf, const char *ext, const char *subject, const char *cert,
    const char *key, const char *ca, const char *ca_key)
{
	char *argv[32];
	int n = 0;
	char *out = NULL, *err = NULL;

	argv[n++] = TL_OPENSSL;
	argv[n++] = "req";
	argv[n++] = "-x509";
	argv[n++] = "-config";
	argv[n++] = (char *)cnf;
	argv[n++] = "-extensions";
	argv[n++] = (char *)ext;
	argv[n++] = "-newkey";
	argv[n++] = "ec";
	argv[n++] = "-pkeyopt";
	argv[n++] = "ec_paramgen_curve:P-256";
	argv[n++] = "-noenc";
	argv[n++] = "-days";
	argv[n++] = "2";
	argv[n++] = "-subj";
	argv[n++] = (char *)subject;
	argv[n++] = "-keyout";
	argv[n++] = (char *)key;
	argv[n++] = "-out";
	argv[n++] = (char *)cert;
	if (ca != NULL) {
		argv[n++] = "-CA";
		argv[n++] = (char *)ca;
		argv[n++] = "-CAkey";
		argv[n++] = (char *)ca_key;
	}
	argv[n] = NULL;
	if (tl_run(argv, &out, &err, 60) != 0)
		fail_msg("openssl req for %s: %s%s", cert, out, err);
	free(out), free(err);
}

struct tl_pki *
tl_pki_new(void)
{
	struct tl_pki *p = xcalloc(1, sizeof(*p));
	char *cnf;

	p->dir = tl_mkdtemp("pki");
	cnf = xasprintf("%s/openssl.cnf", p->dir);
	tl_write_file(cnf, tl_pki_cnf);
#define F(field, name) p->field = xasprintf("%s/" name, p->dir)
	F(ca, "ca.pem"), F(ca_key, "ca.key");
	F(server_cert, "server.pem"), F(server_key, "server.key");
	F(client_cert, "client.pem"), F(client_key, "client.key");
	F(other_ca, "other-ca.pem"), F(other_ca_key, "other-ca.key");
	F(other_client_cert, "other-client.pem"), F(other_client_key, "other-client.key");
#undef F
	tl_pki_cert(cnf, "ca", "/CN=postroute test CA", p->ca, p->ca_key, NULL, NULL);
	tl_pki_cert(cnf, "server", "/CN=localhost", p->server_cert, p->server_key, p->ca, p->ca_key);
	tl_pki_cert(cnf, "client", "/CN=mx01", p->client_cert, p->client_key, p->ca, p->ca_key);
	tl_pki_cert(cnf, "ca", "/CN=another CA", p->other_ca, p->other_ca_key, NULL, NULL);
	tl_pki_cert(cnf, "client", "/CN=mx01", p->other_client_cert, p->other_client_key,
	    p->other_ca, p->other_ca_key);
	free(cnf);
	return p;
}

void
tl_pki_free(struct tl_pki *p)
{
	if (p == NULL)
		return;
	free(p->dir), free(p->ca), free(p->ca_key), free(p->server_cert), free(p->server_key);
	free(p->client_cert), free(p->client_key), free(p->other_ca), free(p->other_ca_key);
	free(p->other_client_cert), free(p->other_client_key);
	free(p);
}
