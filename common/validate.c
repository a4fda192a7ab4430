/*
 * validate.c: grammars for domains, nexthops and object names.
 *
 * Hand-written scanners rather than regular expressions: each grammar is a
 * few lines, runs on every API write and every feed entry in the agent, and
 * must give a precise reason for a refusal.
 */
#include "validate.h"

#include <string.h>

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Why no grammar here admits c, or NULL when some may. */
static const char *
bad_char_reason(unsigned char c)
{
	if (c == ' ' || c == '\t')
		return "contains whitespace";
	if (c == '\n' || c == '\r')
		return "contains a line break";
	if (c < 0x20 || c == 0x7f)
		return "contains a control character";
	if (c >= 0x80)
		return "contains a non-ASCII character (use the xn-- form)";
	if (c == '#')
		return "contains '#'";
	if (c == ',')
		return "contains ','";
	return NULL;
}

/* The reason for the first character in s[0..n) no grammar here admits,
 * or NULL. Printable ASCII other than '#' and ',' is the common case. */
static const char *
bad_char(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > ' ' && c < 0x7f && c != '#' && c != ',')
			continue;
		return bad_char_reason(c);
	}
	return NULL;
}

_Static_assert(VALIDATE_NEXTHOP_MAX == 255 && VALIDATE_SENDER_MAX == 255,
    "check_field's message says 255");

/* A nexthop's or a sender's first checks: not empty, at most 255 octets
 * (their length in *n), no character that no grammar here admits. */
static const char *
check_field(const char *in, size_t *n)
{
	if (in == NULL || *in == '\0')
		return "is empty";
	*n = strlen(in);
	if (*n > 255)
		return "is longer than 255 octets";
	return bad_char(in, *n);
}

/* Checks LDH labels in s[0..n). */
static const char *
check_labels(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0)
		return "is empty";
	if (n > VALIDATE_DOMAIN_MAX)
		return "is longer than 253 octets";
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!is_ldh((unsigned char)s[i]))
				return "contains a character other than letters, digits, '-' and '.'";
			continue;
		}
		size_t len = i - start;
		if (len == 0)
			return "has an empty label";
		if (len > 63)
			return "has a label longer than 63 octets";
		if (s[start] == '-' || s[i - 1] == '-')
			return "has a label that starts or ends with '-'";
		start = i + 1;
	}
	return NULL;
}

/*
 * The common case in one pass: lower-case letters, digits, '-' and '.',
 * every label 1-63 octets without '-' at either end, at most 253 octets
 * after an optional leading dot, copied to out as it is checked. Returns 0
 * when the value is accepted and copied, -1 when anything else is seen:
 * then validate_domain checks it in full (out may have been written).
 */
static int
domain_fast(const char *in, char *out, size_t outlen)
{
	size_t skip = in[0] == '.', start = skip, i;

	for (i = 0; i < outlen; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (char)c;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if ((c == '-' && i > start) || i < skip)
			continue;
		if (c != '.' && c != '\0')
			return -1;
		if (i == start || i - start > 63 || in[i - 1] == '-')
			return -1;
		if (c == '\0')
			return i - skip > VALIDATE_DOMAIN_MAX ? -1 : 0;
		start = i + 1;
	}
	return -1;
}

const char *
validate_domain(const char *in, char *out, size_t outlen)
{
	const char *err;
	size_t n;

	if (in == NULL || *in == '\0')
		return "is empty";
	if (domain_fast(in, out, outlen) == 0)
		return NULL;
	n = strlen(in);
	if ((err = bad_char(in, n)) != NULL)
		return err;
	const char *labels = in[0] == '.' ? in + 1 : in;
	if ((err = check_labels(labels, n - (size_t)(labels - in))) != NULL)
		return err;
	if (n + 1 > outlen)
		return "is too long";
	for (size_t i = 0; i <= n; i++) {
		char c = in[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	return NULL;
}

static const char *
check_service(const char *s, size_t n)
{
	if (n == 0)
		return "has no master.cf service before ':'";
	if (n > 64)
		return "has a service name longer than 64 octets";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_ldh(c) && c != '_' && c != '.')
			return "has a service name with a character other than letters, digits, '-', '_' and '.'";
	}
	return NULL;
}

static const char *
check_port(const char *s, size_t n)
{
	unsigned long v = 0;
	int digits = 1;

	if (n == 0 || n > 32)
		return "has an empty or overlong port";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < '0' || c > '9')
			digits = 0;
		else if (digits)
			v = v * 10 + (c - '0');
		if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && c != '-')
			return "has a port that is neither a number nor a service name";
		if (digits && v > 65535)
			return "has a port above 65535";
	}
	if (digits && v == 0)
		return "has port 0";
	return NULL;
}

static int
is_ipv4(const char *s, size_t n)
{
	int parts = 0;
	size_t i = 0;

	while (i < n) {
		unsigned v = 0, nd = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && nd < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++, nd++;
		}
		if (nd == 0 || nd > 3 || v > 255)
			return 0;
		parts++;
		if (i == n)
			break;
		if (s[i] != '.' || parts == 4)
			return 0;
		i++;
		if (i == n)
			return 0;
	}
	return parts == 4;
}

static int
is_ipv6(const char *s, size_t n)
{
	int colons = 0;

	if (n > 5 && strncmp(s, "ipv6:", 5) == 0)
		s += 5, n -= 5;
	if (n < 2 || n > 45)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			colons++;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == '.'))
			return 0;
	}
	return colons >= 2;
}

const char *
validate_nexthop(const char *in)
{
	const char *err, *colon, *host, *end, *port = NULL;
	size_t n;

	if ((err = check_field(in, &n)) != NULL)
		return err;
	if ((colon = strchr(in, ':')) == NULL)
		return "has no ':' after the master.cf service name";
	if ((err = check_service(in, (size_t)(colon - in))) != NULL)
		return err;
	host = colon + 1;
	end = in + n;
	if (host == end)
		return NULL;
	if (*host == '[') {
		const char *close = strchr(host, ']');
		if (close == NULL)
			return "has '[' without ']'";
		if (strchr(close + 1, '[') || strchr(close + 1, ']') ||
		    memchr(host + 1, '[', (size_t)(close - host - 1)))
			return "has misplaced brackets";
		size_t hl = (size_t)(close - host - 1);
		if (!is_ipv4(host + 1, hl) && !is_ipv6(host + 1, hl) &&
		    (err = check_labels(host + 1, hl)) != NULL)
			return "has a bracketed host that is not a hostname or an IP address";
		if (close + 1 == end)
			return NULL;
		if (close[1] != ':')
			return "has text after ']' that is not ':port'";
		port = close + 2;
		return check_port(port, (size_t)(end - port));
	}
	if (strchr(host, '[') || strchr(host, ']'))
		return "has misplaced brackets";
	const char *pc = strchr(host, ':');
	size_t hl = pc ? (size_t)(pc - host) : (size_t)(end - host);
	if ((err = check_labels(host, hl)) != NULL)
		return "has a host that is not a valid hostname";
	if (pc == NULL)
		return NULL;
	port = pc + 1;
	return check_port(port, (size_t)(end - port));
}

void
validate_nexthop_service(const char *nexthop, char *out, size_t outlen)
{
	size_t n = strcspn(nexthop, ":");

	if (outlen == 0)
		return;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, nexthop, n);
	out[n] = '\0';
}

const char *
validate_name(const char *in)
{
	size_t n;

	if (in == NULL || *in == '\0')
		return "is empty";
	n = strlen(in);
	if (n > VALIDATE_NAME_MAX)
		return "is longer than 63 characters";
	if (!((in[0] >= 'a' && in[0] <= 'z') || (in[0] >= '0' && in[0] <= '9')))
		return "must start with a lower-case letter or a digit";
	for (size_t i = 1; i < n; i++) {
		char c = in[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return "may contain only a-z, 0-9, '.', '_' and '-'";
	}
	return NULL;
}

static int
is_sender_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!$%&'*+-./=?^_`{|}~@", c) != NULL);
}

const char *
validate_sender(const char *in)
{
	const char *at, *err;
	size_t n;

	if ((err = check_field(in, &n)) != NULL)
		return err;
	for (size_t i = 0; i < n; i++)
		if (!is_sender_char((unsigned char)in[i]))
			return "may contain only letters, digits, '@' and !$%&'*+-./=?^_`{|}~";
	if (in[0] == '.' || in[0] == '@')
		return "must not start with '.' or '@'";
	if ((at = strchr(in, '@')) == NULL)
		return NULL;
	if (strchr(at + 1, '@') != NULL)
		return "has more than one '@'";
	if ((err = check_labels(at + 1, strlen(at + 1))) != NULL)
		return "has a bad domain after '@'";
	return NULL;
}
