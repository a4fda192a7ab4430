/*
 * netaddr.c: the loopback decision, the client key (see netaddr.h).
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int
netaddr_v4_is_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

static int
netaddr_v6_is_loopback(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

int
netaddr_is_loopback(const char *host)
{
	char buf[256];
	size_t n = strlen(host);
	struct in_addr a4;
	struct in6_addr a6;

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (strcasecmp(buf, "localhost") == 0)   /* not "localhost.": libcurl asks DNS for it */
		return 1;
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return netaddr_v4_is_loopback(&a4);
	if (inet_pton(AF_INET6, buf, &a6) == 1)
		return netaddr_v6_is_loopback(&a6);
	return 0;
}

int
netaddr_listen_is_loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char host[256];

	if (colon == NULL || colon == listen)
		return 0;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	return netaddr_is_loopback(host);
}

int
netaddr_listen_resolve(const char *listen, const char *what, struct sockaddr_storage *ss,
    struct strbuf *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl;

	if (colon == NULL || colon == listen) {
		strbuf_appendf(err, "%s: \"%s\" is not host:port", what, listen);
		return -1;
	}
	hl = (size_t)(colon - listen);
	if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hl - 2, listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hl, listen);
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL) {
		strbuf_appendf(err, "%s: \"%s\" is not a numeric address and port", what, listen);
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int
netaddr_client_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(key, &in6->sin6_addr, 16);
			return AF_INET;
		}
		memcpy(key, &in6->sin6_addr, 8);
		return AF_INET6;
	}
	return -1;
}
