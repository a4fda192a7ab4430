/*
 * test_replymask.c: replies as providers and Postfix write them, masked:
 * each table row gives the reply and exactly what "scan --unknown" shows
 * for it; copies of one reply that differ in what varies give one key;
 * SMTP codes, enhanced status codes and the short codes rules look for
 * stay; the result is cut at a UTF-8 boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "replymask.h"

static const struct {
	const char *in, *want;
} cases[] = {
	/* Gmail, multi-line as Postfix joins it, with its per-message token */
	{ "550-5.7.1 [192.0.2.1      12] Our system has detected that this message is likely "
	  "unsolicited mail. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError "
	  "d2e1a72fcca58-7fe6d7a1f3fsi1234567b3a.250 - gsmtp",
	  "550-5.7.1 [<ip> <n>] Our system has detected that this message is likely unsolicited "
	  "mail. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError <id> - gsmtp" },
	/* Microsoft: server name, date and id in brackets, a link id */
	{ "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For "
	  "more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(2400) "
	  "[BN8NAM12FT012.eop-nam12.prod.protection.outlook.com 2026-11-27T10:00:00.000Z "
	  "08DCF1A2B3C4D5E6]",
	  "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For "
	  "more information please go to http://go.microsoft.com/fwlink/?LinkId=<n> AS(<n>) "
	  "[<id> <date> <id>]" },
	/* Yahoo: the code in brackets stays, the IP goes */
	{ "421 4.7.0 [TSS04] Messages from 192.0.2.30 temporarily deferred due to unexpected "
	  "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
	  "421 4.7.0 [TSS04] Messages from <ip> temporarily deferred due to unexpected volume or "
	  "user complaints - <ip>; see https://postmaster.yahooinc.com/error-codes" },
	/* queue ids, short and long */
	{ "250 2.0.0 Ok: queued as 4F2A71C0B3D", "250 2.0.0 Ok: queued as <id>" },
	{ "250 2.0.0 Ok: queued as 4Yq1Xz2LkTz3CH", "250 2.0.0 Ok: queued as <id>" },
	{ "250 2.0.0 Ok: queued as 25185305878", "250 2.0.0 Ok: queued as <id>" },
	/* recipients */
	{ "550 5.1.1 <taro.yamada@example.co.jp>: Recipient address rejected: User unknown in "
	  "virtual mailbox table",
	  "550 5.1.1 <<email>>: Recipient address rejected: User unknown in virtual mailbox table" },
	/* IPv6, bare and as a HELO literal */
	{ "550 5.7.1 Client host [2001:db8:85a3::8a2e:370:7334] blocked using zen.spamhaus.org; "
	  "helo=IPv6:2001:db8::25",
	  "550 5.7.1 Client host [<ip>] blocked using zen.spamhaus.org; helo=<ip>" },
	/* an RFC 5322 date */
	{ "451 4.7.1 Greylisted until Fri, 27 Nov 2026 10:00:01 +0000, try again",
	  "451 4.7.1 Greylisted until <date>, <n> <date> <n> <time> +<n>, try again" },
	/* sizes and waits */
	{ "452 4.2.2 Mailbox full, 10240000 bytes over quota 2. Try again in 37 seconds.",
	  "452 4.2.2 Mailbox full, <n> bytes over quota <n>. Try again in <n> seconds." },
	/* provider codes stay; generated ids, UUIDs and hashes go */
	{ "554 5.7.1 [P140] Message rejected by policy OFR004_104 S3140 r0201 id=a1b2c3d4e5f6 "
	  "uuid 123e4567-e89b-12d3-a456-426614174000 sha "
	  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	  "554 5.7.1 [P140] Message rejected by policy OFR004_104 S3140 r0201 id=<id> uuid <id> "
	  "sha <id>" },
	/* blanks folded, host names kept */
	{ "  421   4.4.2   mx.example.com   Error:  timeout exceeded  ",
	  "421 4.4.2 mx.example.com Error: timeout exceeded" },
	{ "ref 2026/11/27 and 27.11.2026 at 23:59 on ::1 from 10.0.0.1:2525 (May 5)",
	  "ref <date> and <date> at <time> on <ip> from <ip> (<date> <n>)" },
	/* "may" and "Mon" as words are no dates */
	{ "450 4.2.0 you may Mon itor this", "450 4.2.0 you may Mon itor this" },
	{ "", "" },
};

static void
test_cases(void **state)
{
	char out[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = replymask_text(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu:\n in:   %s\n got:  %s\n want: %s", i, cases[i].in, out,
			    cases[i].want);
		assert_int_equal(n, strlen(out));
	}
}

/* Two deliveries of one refusal, to other recipients, at other times, from other IPs. */
static void
test_copies_are_one(void **state)
{
	const char *a = "550 5.7.1 Message 4F2A71C0B3D from 192.0.2.7 to <a@example.org> refused "
	    "at 2026-11-27T01:02:03Z, ref 1764205260";
	const char *b = "550 5.7.1 Message 7B1C9D0E2F3 from 198.51.100.200 to <zz.top@example.org> "
	    "refused at 2026-11-28T23:59:59Z, ref 1764299999";
	char ka[256], kb[256];

	(void)state;
	replymask_text(a, strlen(a), ka, sizeof(ka));
	replymask_text(b, strlen(b), kb, sizeof(kb));
	assert_string_equal(ka, kb);
	assert_string_equal(ka, "550 5.7.1 Message <id> from <ip> to <<email>> refused at <date>, "
	    "ref <id>");
}

/* Japanese text cut in the middle of a character: the character goes whole. */
static void
test_cut_utf8(void **state)
{
	const char *in = "550 5.7.1 受信拒否";   /* each kanji is 3 bytes */
	char out[14];

	(void)state;
	/* room for 13 bytes: "550 5.7.1 " (10) and 3 bytes, one whole character */
	assert_int_equal(replymask_text(in, strlen(in), out, sizeof(out)), 13);
	assert_string_equal(out, "550 5.7.1 受");
	char small[12];   /* 11 bytes: the first character does not fit */
	assert_int_equal(replymask_text(in, strlen(in), small, sizeof(small)), 10);
	assert_string_equal(small, "550 5.7.1 ");
	char one[1];
	assert_int_equal(replymask_text(in, strlen(in), one, sizeof(one)), 0);
	assert_string_equal(one, "");
	/* a placeholder that does not fit is cut, never overflows */
	char six[7];
	replymask_text("at 192.0.2.1", 12, six, sizeof(six));
	assert_string_equal(six, "at <ip");
}

static void
test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(replymask_utf8_len("abc", 3), 3);
	assert_int_equal(replymask_utf8_len("a\xe5\x8f\x97", 4), 4);   /* complete */
	assert_int_equal(replymask_utf8_len("a\xe5\x8f", 3), 1);       /* cut */
	assert_int_equal(replymask_utf8_len("a\xe5", 2), 1);
	assert_int_equal(replymask_utf8_len("\xf0\x9f\x93\xa7", 4), 4);
	assert_int_equal(replymask_utf8_len("\xf0\x9f\x93", 3), 0);
	assert_int_equal(replymask_utf8_len("", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_copies_are_one),
		cmocka_unit_test(test_cut_utf8),
		cmocka_unit_test(test_utf8_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
