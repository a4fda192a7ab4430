/*
 * replymask.h: one SMTP reply with what varies between its copies masked.
 *
 * NAME
 *	replymask - the key under which "scan --unknown" counts a reply
 *
 * DESCRIPTION
 *	The same refusal comes back with another IP address, queue id, date
 *	or recipient every time. replymask_text writes the reply with those
 *	parts replaced, so that its copies count as one:
 *
 *	  <email>  a word with an '@' inside (user@example.com)
 *	  <ip>     IPv4 (with :port or /len), IPv6, IPv6:...
 *	  <date>   2026-11-27, 2026/11/27, 27/11/2026, with any T..Z tail;
 *	           weekday and month names next to a number (Fri, 27 Nov)
 *	  <time>   10:00, 10:00:01, 10:00:01.123
 *	  <id>     a word holding a queue id, hash or other generated token:
 *	           a part of 8+ hex digits with a digit among them, or of
 *	           10+ letters and digits with at least 2 digits
 *	           (4F2A71C0B3D, BN8PR12MB3475.namprd12.prod.outlook.com);
 *	           a number of 10+ digits (a queue id that happens to hold
 *	           no letter, a Unix time)
 *	  <n>      any other number, and runs of 4+ digits inside a word
 *
 *	Kept as they are: SMTP reply codes (a 3-digit word starting with 2, 4
 *	or 5, also as "550-" before the text of a multi-line reply), enhanced
 *	status codes (5.7.1), and short codes of letters and digits that
 *	rules look for ([TSS04], S3140, nam12). Runs of blanks become one
 *	space; a word is what lies between blanks and ( ) [ ] < > { } , ; = |
 *	" ', less the sentence punctuation (. : ! ?) at its end.
 *
 * LIMITS
 *	The result is cut to outsize - 1 bytes, at a UTF-8 character
 *	boundary (the parser hands over valid UTF-8 only).
 *
 * DIAGNOSTICS
 *	None: every input gives a result. Nothing is allocated.
 */
#ifndef POSTROUTE_REPLYMASK_H
#define POSTROUTE_REPLYMASK_H

#include <stddef.h>

/* Writes the masked in[0..len) to out (NUL-terminated; outsize > 0); returns its length. */
size_t replymask_text(const char *in, size_t len, char *out, size_t outsize);

/* The length of s[0..len) without a UTF-8 sequence cut at its end. */
size_t replymask_utf8_len(const char *s, size_t len);

#endif
