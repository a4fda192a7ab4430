/*
 * httpc_tls.h: the TLS material of an HTTP client (agent, CLI): the CA
 * that verifies the controller, and the client certificate and key that
 * mutual TLS asks for.
 *
 * httpc_tls_load reads the files once, at start (the agent reads them as
 * root before it drops privileges, like its token), checks them with
 * libcrypto (PEM certificates, a private key without passphrase, the key
 * matching the certificate) and keeps their text; httpc hands the text to
 * libcurl as blobs. A CA given here is the only trust anchor (the system's
 * store is not consulted); without one the system's store verifies.
 *
 * OWNERSHIP: struct httpc_tls owns its texts (httpc_tls_free, which wipes
 * the key). httpc_tls_move hands them to another struct.
 *
 * DIAGNOSTICS: -1 with "ca_file PATH: reason" (client_cert, client_key)
 * appended to err; nothing is kept then.
 */
#ifndef POSTROUTE_HTTPC_TLS_H
#define POSTROUTE_HTTPC_TLS_H

#include <stddef.h>

#include "strbuf.h"

struct httpc_tls {
	char *ca_pem;        /* NULL: the system's CA store */
	size_t ca_len;
	char *cert_pem;      /* NULL: no client certificate */
	size_t cert_len;
	char *key_pem;
	size_t key_len;
};

/* Any of the paths may be NULL or "" (not set). client_cert and
 * client_key go together. */
int httpc_tls_load(struct httpc_tls *t, const char *ca_file, const char *cert_file,
    const char *key_file, struct strbuf *err);
void httpc_tls_move(struct httpc_tls *to, struct httpc_tls *from);
void httpc_tls_free(struct httpc_tls *t);

#endif
