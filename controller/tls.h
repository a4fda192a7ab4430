/*
 * tls.h: postrouted's TLS: the server's certificate and key, the client CA
 * of mutual TLS, and the check of a request's client certificate.
 *
 * NAME
 *	tls - [server] tls_cert, tls_key, tls_client_ca
 *
 * DESCRIPTION
 *	tls_server_load reads the files named by the settings once, at start,
 *	and checks them with GnuTLS: PEM certificates, a private key without
 *	passphrase that matches the first certificate, a certificate that has
 *	not expired, a client CA with at least one certificate. It also
 *	checks that libmicrohttpd was built with TLS (MHD_FEATURE_TLS).
 *	tls_server_mhd_options fills the libmicrohttpd options (an
 *	MHD_OPTION_ARRAY) that serve them: TLS 1.2 or later only.
 *
 *	With tls_client_ca, libmicrohttpd asks every client for a
 *	certificate but does not refuse one without; tls_server_check_client
 *	does, per request: the peer's certificate must verify against the
 *	client CA (signature, validity dates) and, when it names its purposes
 *	(extendedKeyUsage), allow client authentication.
 *
 *	tls_listen_exposed is the start-up warning's decision: cleartext
 *	HTTP on an address that is not loopback.
 *
 * OWNERSHIP
 *	struct tls_server owns the PEM texts (tls_server_free wipes the
 *	key); it must outlive the daemon that uses them.
 *
 * DIAGNOSTICS
 *	tls_server_load: -1 with "[server] KEY FILE: reason". A refused
 *	client gets a reason for its 403 and a warning in the log (at most
 *	20 such warnings in 10 seconds, then one line saying how many were
 *	not logged).
 */
#ifndef POSTROUTE_TLS_H
#define POSTROUTE_TLS_H

#include <stddef.h>

#include <microhttpd.h>

#include "settings.h"
#include "strbuf.h"

#define TLS_MHD_OPTIONS 6

struct tls_server {
	int on;                 /* tls_cert and tls_key set */
	int mutual;             /* tls_client_ca set */
	char *cert_pem;
	char *key_pem;
	size_t key_len;
	char *ca_pem;
};

int tls_server_load(struct tls_server *t, const struct settings *s, struct strbuf *err);
void tls_server_free(struct tls_server *t);

/* MHD_USE_TLS when on, else 0; and the option array (ends with
 * MHD_OPTION_END; empty when off). */
unsigned tls_server_mhd_options(const struct tls_server *t,
    struct MHD_OptionItem opts[TLS_MHD_OPTIONS]);

/* NULL when the request may go on; else why it is refused (a static text
 * for the client). Without mutual TLS every request may go on. */
const char *tls_server_check_client(const struct tls_server *t, struct MHD_Connection *conn);

/* 1 when listen is not a loopback address and TLS is off. */
int tls_listen_exposed(const char *listen, int tls_on);

#endif
