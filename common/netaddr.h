/*
 * netaddr.h: is a host, an address or a listen string on this machine's
 * loopback?
 *
 * The one place that decides what "loopback" means for postroute's
 * cleartext rules (an http:// controller URL, a listen address without
 * TLS): 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and the name
 * "localhost" (any case, an optional final dot). Nothing is resolved:
 * any other name, and the wildcards 0.0.0.0 and ::, are not loopback.
 *
 * Also the one place that decides which client an address stands for
 * when counting per client: one IPv6 /64 is one client (one host, one
 * cloud instance, routinely holds a whole /64).
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

/*
 * The client sa stands for, as 16 octets in key: an IPv4 address, or an
 * IPv4-mapped IPv6 one, as ::ffff:a.b.c.d; any other IPv6 address as its
 * /64 (the last 8 octets zero). Returns AF_INET for the former, AF_INET6
 * for a /64, -1 (key zeroed) for NULL or a family that is not IP.
 */
int netaddr_client_key(const struct sockaddr *sa, unsigned char key[16]);

#endif
