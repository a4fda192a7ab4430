/*
 * validate.h: the syntax of everything that ends up in a transport(5) file.
 *
 * Shared by the controller (refuses bad API input) and the agent (does not
 * trust the controller). Each function returns NULL when the value is good
 * and otherwise a short static English reason ("contains whitespace"), for
 * the caller to prefix with the field's name. Nothing is allocated.
 *
 * SECURITY: a transport(5) line is "key whitespace value"; whitespace,
 * control characters, '#', ',' and non-ASCII could add a second entry, a
 * comment, a continuation line or a lookup-table list. The grammars below
 * admit none of them, so an accepted value renders as exactly one line.
 */
#ifndef POSTROUTE_VALIDATE_H
#define POSTROUTE_VALIDATE_H

#include <stddef.h>

#define VALIDATE_DOMAIN_MAX 253   /* octets, without a leading dot */
#define VALIDATE_NEXTHOP_MAX 255
#define VALIDATE_NAME_MAX 63
#define VALIDATE_SENDER_MAX 255

/*
 * A domain: LDH labels of 1-63 octets separated by dots, A-labels only
 * (IDNs in their xn-- form), at most 253 octets, optionally one leading
 * dot (a transport(5) subdomain pattern). On success a lower-cased copy is
 * written to out, which must hold VALIDATE_DOMAIN_MAX + 2 octets.
 */
const char *validate_domain(const char *in, char *out, size_t outlen);

/*
 * A nexthop: a master.cf service name, ':', then nothing, host, [host],
 * [host]:port or host:port; host a domain, or inside brackets also an IPv4
 * or IPv6 address. Port a number 1-65535 or a service name.
 */
const char *validate_nexthop(const char *in);

/* The service part of a valid nexthop, copied to out (NUL-terminated). */
void validate_nexthop_service(const char *nexthop, char *out, size_t outlen);

/* An object name: [a-z0-9][a-z0-9._-]{0,62}. */
const char *validate_name(const char *in);

/*
 * A sender to hold: a SASL login name or an envelope address, the key of
 * a check_sasl_access(5) map line. 1-255 octets of letters, digits and
 * ! $ % & ' * + - . / = ? ^ _ ` { | } ~ @; not starting with '.' or '@',
 * at most one '@', and after it a valid domain. Case is kept (Postfix
 * folds keys itself).
 */
const char *validate_sender(const char *in);

#endif
