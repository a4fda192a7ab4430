/*
 * sha256.h: SHA-256 as lower-case hex, through OpenSSL's libcrypto.
 *
 * Used for API token digests (the controller stores only the digest) and
 * the agent's checksum of the rendered transport file.
 */
#ifndef POSTROUTE_SHA256_H
#define POSTROUTE_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes 64 hex digits and a NUL to out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
