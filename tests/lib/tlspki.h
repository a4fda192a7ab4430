/*
 * tlspki.h: a throw-away PKI for TLS tests, made with the openssl command.
 *
 * tl_pki_new makes, in a new directory under the run's temp dir: a CA
 * (ca.pem, ca.key), a server certificate for 127.0.0.1 and localhost
 * (subjectAltName) signed by it (server.pem, server.key), a client
 * certificate signed by it (client.pem, client.key), and an unrelated
 * second CA (other-ca.pem) with a client certificate of its own
 * (other-client.pem, other-client.key). P-256 keys, valid for two days.
 * openssl runs by fork/exec with argv and a timeout (tl_run); a failure
 * fails the test. The caller owns the struct: tl_pki_free.
 */
#ifndef POSTROUTE_TLSPKI_H
#define POSTROUTE_TLSPKI_H

struct tl_pki {
	char *dir;
	char *ca, *ca_key;
	char *server_cert, *server_key;
	char *client_cert, *client_key;
	char *other_ca, *other_ca_key;
	char *other_client_cert, *other_client_key;
};

struct tl_pki *tl_pki_new(void);
void tl_pki_free(struct tl_pki *p);

#endif
