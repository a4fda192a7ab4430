/*
 * pemfile.h: reading a PEM file (certificate, CA bundle or private key)
 * whole into memory, for the TLS set-up of the controller and of the
 * agent's and CLI's HTTP client.
 */
#ifndef POSTROUTE_PEMFILE_H
#define POSTROUTE_PEMFILE_H

#include <stddef.h>

#include "strbuf.h"

/* Largest PEM file read: a CA bundle of a few hundred certificates. */
#define PEMFILE_MAX (1024 * 1024)

/* The text of path (*len octets, NUL-terminated), for the caller to free;
 * the read buffer is wiped, as the file may hold a private key. NULL with
 * "KEY PATH: reason" in err when it cannot be read or is over PEMFILE_MAX. */
char *pemfile_read(const char *key, const char *path, size_t *len, struct strbuf *err);

#endif
