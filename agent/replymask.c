/*
 * replymask.c: mask what varies in an SMTP reply (see replymask.h).
 *
 * The text is cut into words (between blanks and separators); each word
 * is recognised whole, in this order: email, IPv6:..., IPv4, time, date,
 * IPv6, SMTP code, enhanced status code, number, month or weekday name,
 * then letters and digits part by part.
 */
#include "replymask.h"

#include <string.h>
#include <strings.h>

struct mw {
	char *out;
	size_t size, len;
	int full;
};

static void
mw_put(struct mw *w, const char *s, size_t n)
{
	if (w->full)
		return;
	if (n > w->size - 1 - w->len) {
		n = w->size - 1 - w->len;
		w->full = 1;
	}
	memcpy(w->out + w->len, s, n);
	w->len += n;
}

#define MW_LIT(w, s) mw_put((w), (s), sizeof(s) - 1)

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
is_blank(char c)
{
	return (unsigned char)c <= ' ';
}

static int
is_sep(char c)
{
	return strchr("()[]<>{},;=|\"'", c) != NULL && c != '\0';
}

/* Digits from w[*i], at least min and at most max of them. */
static int
digits(const char *w, size_t n, size_t *i, size_t min, size_t max)
{
	size_t k = 0;

	while (*i < n && k < max && is_digit(w[*i]))
		(*i)++, k++;
	return k >= min && (*i >= n || !is_digit(w[*i]));
}

/* When w[*i] is one of seps: past it, then digits as above; else 1. */
static int
opt_digits(const char *w, size_t n, size_t *i, const char *seps, size_t min, size_t max)
{
	if (*i >= n || strchr(seps, w[*i]) == NULL)
		return 1;
	(*i)++;
	return digits(w, n, i, min, max);
}

/* 192.0.2.1, 192.0.2.1:25, 192.0.2.0/24 */
static int
is_ipv4(const char *w, size_t n)
{
	size_t i = 0;

	for (int g = 0; g < 4; g++) {
		if (g > 0 && (i >= n || w[i++] != '.'))
			return 0;
		if (!digits(w, n, &i, 1, 3))
			return 0;
	}
	return opt_digits(w, n, &i, ":/", 1, 5) && i == n;
}

/* 10:00, 10:00:01, 10:00:01.123, with a Z */
static int
is_time(const char *w, size_t n)
{
	size_t i = 0;

	if (!digits(w, n, &i, 1, 2) || i >= n || w[i++] != ':' || !digits(w, n, &i, 2, 2))
		return 0;
	if (!opt_digits(w, n, &i, ":", 2, 2) || !opt_digits(w, n, &i, ".,", 1, 9))
		return 0;
	if (i < n && w[i] == 'Z')
		i++;
	return i == n;
}

/* 2026-11-27, 2026/11/27, 27/11/2026, 27.11.2026, and whatever follows (T10:00:00Z) */
static int
is_date(const char *w, size_t n)
{
	size_t i = 0;
	char sep;

	if (digits(w, n, &i, 4, 4)) {
		if (i >= n || (w[i] != '-' && w[i] != '/'))
			return 0;
		sep = w[i++];
		return digits(w, n, &i, 1, 2) && i < n && w[i++] == sep && digits(w, n, &i, 1, 2);
	}
	i = 0;
	if (!digits(w, n, &i, 1, 2) || i >= n || strchr("/.-", w[i]) == NULL)
		return 0;
	sep = w[i++];
	return digits(w, n, &i, 1, 2) && i < n && w[i++] == sep && digits(w, n, &i, 4, 4);
}

/* 2001:db8::1, fe80::1, ::ffff:192.0.2.1 */
static int
is_ipv6(const char *w, size_t n)
{
	size_t colons = 0, hexd = 0;
	int dcolon = 0, letter = 0;

	for (size_t i = 0; i < n; i++) {
		if (w[i] == ':') {
			colons++;
			if (i + 1 < n && w[i + 1] == ':')
				dcolon = 1;
		} else if (is_hex(w[i])) {
			hexd++;
			letter |= !is_digit(w[i]);
		} else if (w[i] != '.') {
			return 0;
		}
	}
	return hexd > 0 && colons >= 2 && (dcolon || letter || colons == 7);
}

static int
is_smtp_code(const char *w, size_t n)
{
	return n == 3 && (w[0] == '2' || w[0] == '4' || w[0] == '5') && is_digit(w[1]) &&
	    is_digit(w[2]);
}

/* 5.7.1, 4.7.28, 5.7.606 */
static int
is_enhanced(const char *w, size_t n)
{
	size_t i = 1;

	if (n < 5 || (w[0] != '2' && w[0] != '4' && w[0] != '5') || w[1] != '.')
		return 0;
	i = 2;
	return digits(w, n, &i, 1, 3) && i < n && w[i++] == '.' && digits(w, n, &i, 1, 3) && i == n;
}

/* 12, 1234567, 0.9, 1,024 */
static int
is_number(const char *w, size_t n)
{
	if (!is_digit(w[0]) || !is_digit(w[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(w[i]) && w[i] != '.' && w[i] != ',')
			return 0;
	return 1;
}

/* The nearest non-blank byte before w (back) or after w + n, or '\0'. */
static char
neighbour(const char *in, size_t len, size_t at, int back)
{
	if (back) {
		while (at > 0 && is_blank(in[at - 1]))
			at--;
		return at > 0 ? in[at - 1] : '\0';
	}
	while (at < len && is_blank(in[at]))
		at++;
	return at < len ? in[at] : '\0';
}

/* "Nov" in "27 Nov 2026", "Fri" in "Fri, 27 Nov" */
static int
is_date_name(const char *in, size_t len, size_t start, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char days[] = "MonTueWedThuFriSatSun";
	const char *w = in + start;

	if (n != 3)
		return 0;
	for (size_t i = 0; i < sizeof(days) - 1; i += 3)
		if (memcmp(w, days + i, 3) == 0)
			return start + 3 < len && (in[start + 3] == ',' ||
			    is_digit(neighbour(in, len, start + 3, 0)));
	for (size_t i = 0; i < sizeof(months) - 1; i += 3)
		if (memcmp(w, months + i, 3) == 0)
			return is_digit(neighbour(in, len, start, 1)) ||
			    is_digit(neighbour(in, len, start + 3, 0));
	return 0;
}

/* A run of letters and digits that looks generated (queue id, hash, token). */
static int
is_id_part(const char *p, size_t n)
{
	size_t d = 0, a = 0;
	int hex = 1;

	for (size_t i = 0; i < n; i++) {
		d += is_digit(p[i]);
		a += is_alpha(p[i]);
		hex &= is_hex(p[i]);
	}
	return d > 0 && a > 0 && ((hex && n >= 8) || (n >= 10 && d >= 2));
}

/* Anything else: <id> when a part looks generated, else long digit runs masked. */
static void
mask_parts(struct mw *o, const char *w, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && (is_alpha(w[j]) || is_digit(w[j])))
			j++;
		if (j > i && is_id_part(w + i, j - i)) {
			MW_LIT(o, "<id>");
			return;
		}
		i = j < n ? j + 1 : j;
	}
	for (i = 0; i < n;) {
		size_t j = i;
		while (j < n && is_digit(w[j]))
			j++;
		int alone = (i == 0 || !is_alpha(w[i - 1])) && (j == n || !is_alpha(w[j]));
		if (j - i >= 4 && alone) {
			MW_LIT(o, "<n>");
			i = j;
		} else if (j > i) {
			mw_put(o, w + i, j - i);
			i = j;
		} else {
			mw_put(o, w + i, 1);
			i++;
		}
	}
}

static void
mask_word(struct mw *o, const char *in, size_t len, size_t start, size_t n)
{
	const char *w = in + start;
	const char *at = memchr(w, '@', n);

	if (at != NULL && at > w && at < w + n - 1)
		MW_LIT(o, "<email>");
	else if ((n > 5 && strncasecmp(w, "IPv6:", 5) == 0 && is_ipv6(w + 5, n - 5)) ||
	    is_ipv4(w, n))
		MW_LIT(o, "<ip>");
	else if (is_time(w, n))
		MW_LIT(o, "<time>");
	else if (is_date(w, n))
		MW_LIT(o, "<date>");
	else if (is_ipv6(w, n))
		MW_LIT(o, "<ip>");
	else if (is_smtp_code(w, n) || is_enhanced(w, n))
		mw_put(o, w, n);
	else if (n > 4 && is_smtp_code(w, 3) && w[3] == '-') {
		mw_put(o, w, 4);   /* 550-5.7.1: a line of a multi-line reply */
		mask_word(o, in, len, start + 4, n - 4);
	} else if (is_number(w, n) && n >= 10 && strspn(w, "0123456789") == n)
		MW_LIT(o, "<id>");   /* a queue id of digits only, a Unix time */
	else if (is_number(w, n))
		MW_LIT(o, "<n>");
	else if (is_date_name(in, len, start, n))
		MW_LIT(o, "<date>");
	else
		mask_parts(o, w, n);
}

size_t
replymask_text(const char *in, size_t len, char *out, size_t outsize)
{
	struct mw o = { out, outsize, 0, 0 };
	size_t i = 0;

	while (i < len && !o.full) {
		if (is_blank(in[i])) {
			while (i < len && is_blank(in[i]))
				i++;
			if (o.len > 0 && i < len)
				MW_LIT(&o, " ");
			continue;
		}
		if (is_sep(in[i])) {
			mw_put(&o, in + i, 1);
			i++;
			continue;
		}
		size_t j = i, k;
		while (j < len && !is_blank(in[j]) && !is_sep(in[j]))
			j++;
		for (k = j; k > i && strchr(".:!?", in[k - 1]) != NULL; k--)
			;
		if (k > i)
			mask_word(&o, in, len, i, k - i);
		mw_put(&o, in + k, j - k);
		i = j;
	}
	if (o.full)
		o.len = replymask_utf8_len(out, o.len);
	out[o.len] = '\0';
	return o.len;
}

size_t
replymask_utf8_len(const char *s, size_t len)
{
	size_t i = len, k = 0;

	while (i > 0 && k < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--, k++;
	if (i == 0)
		return 0;
	unsigned char c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return i;   /* k stray continuation bytes (or none) after ASCII */
	size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
	return need == k + 1 ? len : i - 1;
}
