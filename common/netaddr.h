/*
 * netaddr.h: is a host, an address or a listen string on this machine's
 * loopback?
 *
 * The one place that decides what "loopback" means for postroute's
 * cleartext rules (an http:// controller URL, a listen address without
 * TLS): 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and the name
 * "localhost" (any case, an optional final dot). Nothing is resolved:
 * any other name, and the wildcards 0.0.0.0 and ::, are not loopback.
 */
#ifndef POSTROUTE_NETADDR_H
#define POSTROUTE_NETADDR_H

#include <sys/socket.h>

#include "strbuf.h"

/* host: a name, a numeric IPv4 or IPv6 address, or [IPv6]. 1 or 0. */
int netaddr_is_loopback(const char *host);

/* listen: "host:port" or "[v6]:port", as [server] listen. 1 or 0. */
int netaddr_listen_is_loopback(const char *listen);

/* listen: numeric "host:port" or "[v6]:port" into *ss (nothing resolved by
 * name). 0, or -1 with "WHAT: ..." in err. */
int netaddr_listen_resolve(const char *listen, const char *what, struct sockaddr_storage *ss,
    struct strbuf *err);

#endif
