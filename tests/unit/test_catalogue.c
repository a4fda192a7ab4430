/*
 * test_catalogue.c: attribution by MX pattern then recipient domain, the
 * file format and its errors, and the controller's entries overriding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "catalogue.h"
#include "strbuf.h"

static const char *
srcdir(void)
{
	const char *s = getenv("POSTROUTE_SRCDIR");

	return s && *s ? s : ".";
}

static const char *
attr(struct catalogue *cat, const char *mx, const char *dom)
{
	const char *p = catalogue_attribute(cat, mx, strlen(mx), dom, strlen(dom));

	return p ? p : "other";
}

static int
load_text(struct catalogue *cat, const char *text, struct strbuf *err)
{
	char path[] = "/tmp/postroute-test-prov.XXXXXX";
	int fd = mkstemp(path);
	int rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail_msg("cannot write a temp file");
	close(fd);
	rc = catalogue_load(cat, path, err);
	unlink(path);
	if (err->buf != NULL) {   /* stable messages */
		char *p;
		while ((p = strstr(err->buf, path)) != NULL) {
			memcpy(p, "PROV", 4);
			memmove(p + 4, p + strlen(path), strlen(p + strlen(path)) + 1);
		}
		err->len = strlen(err->buf);
	}
	return rc;
}

struct acase {
	const char *mx, *domain, *want;
};

static void
test_default_catalogue(void **state)
{
	static const struct acase cases[] = {
		{ "gmail-smtp-in.l.google.com", "gmail.com", "google" },
		{ "ALT3.ASPMX.L.GOOGLE.COM", "acme.example", "google" },        /* Workspace customer */
		{ "", "GoogleMail.com", "google" },
		{ "acme-example.mail.protection.outlook.com", "acme.example", "microsoft" },
		{ "acme-example.z-v1.mx.microsoft", "acme.example", "microsoft" },
		{ "", "hotmail.co.jp", "microsoft" },
		{ "ff-ip4-mx-vip1.prodigy.net", "att.net", "yahoo" },            /* AT&T on Yahoo */
		{ "", "sbcglobal.net", "yahoo" },
		{ "mx-aol.mail.gm0.yahoodns.net", "aol.com", "yahoo" },
		{ "mx5.mail.yahoo.co.jp", "yahoo.co.jp", "yahoo_japan" },
		{ "", "ybb.ne.jp", "yahoo_japan" },
		{ "mx02.mail.icloud.com", "me.com", "apple" },
		{ "mx-ha03.web.de", "web.de", "gmx" },
		{ "mx01.emig.gmx.net", "gmx.de", "gmx" },
		{ "mfsmax.docomo.ne.jp", "docomo.ne.jp", "docomo" },
		{ "lsean.ezweb.ne.jp", "au.com", "au" },
		{ "", "biz.ezweb.ne.jp", "au" },                                /* parent domain */
		{ "mx.softbank.ne.jp", "i.softbank.jp", "softbank" },
		{ "smtp-in.orange.fr", "wanadoo.fr", "orange" },
		{ "mx3.qq.com", "foxmail.com", "qq" },
		{ "us-smtp-inbound-2.mimecast.com", "corp.example", "mimecast" },
		{ "mxa-00123a01.gslb.pphosted.com", "corp.example", "proofpoint" },
		{ "mx1-us1.ppe-hosted.com", "small.example", "proofpoint" },
		{ "d123456a.ess.barracudanetworks.com", "corp.example", "barracuda" },
		{ "mx00.t-online.de", "t-online.de", "t_online" },
		{ "", "magenta.de", "t_online" },
		{ "mx1.free.fr", "free.fr", "free" },
		{ "smtp-in.sfr.fr", "neuf.fr", "sfr" },
		{ "smtp-in.libero.it", "libero.it", "libero" },
		{ "", "virgilio.it", "libero" },
		{ "mx1.seznam.cz", "email.cz", "seznam" },
		{ "mxs.mail.ru", "bk.ru", "mailru" },
		{ "mx.yandex.net", "ya.ru", "yandex" },
		{ "mx3.naver.com", "naver.com", "naver" },
		{ "163mx01.mxmail.netease.com", "163.com", "netease" },
		{ "", "126.com", "netease" },
		{ "mail-rakumail-jp.gslb.rmb-ss.jp", "rakumail.jp", "rakuten" },
		{ "mx1a1.comcast.net", "comcast.net", "comcast" },
		{ "cxr.mx.a.cloudfilter.net", "cox.net", "cox" },
		{ "mx.b.cloudfilter.net", "shaw.example", "other" },            /* Cloudmark's other customers */
		{ "", "aol.com", "yahoo" },                                     /* AOL on Yahoo */
		{ "mail.example.org", "example.org", "other" },
		{ "", "", "other" },
		{ "google.com.evil.example", "notgmail.com", "other" },          /* suffix, not substring */
		{ "mx.example.net", "gmail.com", "google" },                     /* unknown MX: domain decides */
	};
	struct catalogue *cat = catalogue_new();
	struct strbuf err = STRBUF_INIT;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/deploy/providers.conf", srcdir());
	if (catalogue_load(cat, path, &err) != 0)
		fail_msg("%s", err.buf);
	assert_int_equal(catalogue_count(cat), 26);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = attr(cat, cases[i].mx, cases[i].domain);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s / %s: got %s, want %s", cases[i].mx, cases[i].domain, got, cases[i].want);
	}
	catalogue_free(cat);
}

static void
test_patterns_and_merge(void **state)
{
	struct catalogue *cat = catalogue_new();
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(load_text(cat,
	    "# providers for this test\n"
	    "alpha domains alpha.example\n"
	    "alpha mx *.mx.alpha.example exact.host.example\n"
	    "beta  mx *.alpha.example mx?.beta-[ab].example  # comment\n"
	    "beta  domains sub.alpha.example\n", &err), 0);
	assert_string_equal(attr(cat, "a.mx.alpha.example", ""), "alpha");   /* longer suffix wins */
	assert_string_equal(attr(cat, "a.alpha.example", ""), "beta");
	assert_string_equal(attr(cat, "mx.alpha.example", ""), "beta");      /* *.x does not match x */
	assert_string_equal(attr(cat, "exact.host.example", ""), "alpha");
	assert_string_equal(attr(cat, "x.exact.host.example", ""), "other");
	assert_string_equal(attr(cat, "mx7.beta-b.example", ""), "beta");    /* glob */
	assert_string_equal(attr(cat, "mx77.beta-b.example", ""), "other");
	assert_string_equal(attr(cat, "", "x.sub.alpha.example"), "beta");   /* most specific parent */
	assert_string_equal(attr(cat, "", "x.alpha.example"), "alpha");
	assert_string_equal(attr(cat, "", "alpha.example."), "other");

	/* the controller's entry replaces alpha entirely and wins collisions */
	const char *doms[] = { "alpha.example", "Sub.Alpha.Example" };
	const char *mxs[] = { "*.new-alpha.example" };
	assert_int_equal(catalogue_merge(cat, "alpha", doms, 2, mxs, 1, &err), 0);
	assert_string_equal(attr(cat, "exact.host.example", ""), "other");
	assert_string_equal(attr(cat, "a.new-alpha.example", ""), "alpha");
	assert_string_equal(attr(cat, "", "x.sub.alpha.example"), "alpha");
	/* a later file does not undo it */
	assert_int_equal(load_text(cat, "alpha mx exact.host.example\n", &err), 0);
	assert_string_equal(attr(cat, "exact.host.example", ""), "other");
	/* bad controller input changes nothing */
	const char *bad[] = { "ok.example", "bad domain" };
	assert_int_equal(catalogue_merge(cat, "alpha", bad, 2, NULL, 0, &err), -1);
	assert_int_equal(catalogue_merge(cat, "Alpha", doms, 1, NULL, 0, &err), -1);
	assert_string_equal(err.buf,
	    "alpha domain \"bad domain\" contains whitespace\n"
	    "provider name \"Alpha\" must start with a lower-case letter or a digit\n");
	assert_string_equal(attr(cat, "a.new-alpha.example", ""), "alpha");
	assert_int_equal(catalogue_count(cat), 2);
	strbuf_clear(&err);
	catalogue_free(cat);
}

static void
test_how(void **state)
{
	struct catalogue *cat = catalogue_new();
	struct strbuf err = STRBUF_INIT;
	enum catalogue_how how;
	const char *doms[] = { "corp.example" };

	(void)state;
	assert_int_equal(load_text(cat, "google domains gmail.com\ngoogle mx *.google.com\n", &err), 0);
	assert_int_equal(catalogue_merge(cat, "corp", doms, 1, NULL, 0, &err), 0);
	assert_string_equal(catalogue_match(cat, "aspmx.l.google.com", 18, "acme.example", 12, &how), "google");
	assert_int_equal(how, CATALOGUE_BY_MX);
	assert_string_equal(catalogue_match(cat, "", 0, "gmail.com", 9, &how), "google");
	assert_int_equal(how, CATALOGUE_BY_DOMAIN);
	/* through a relay after a failover */
	assert_string_equal(catalogue_match(cat, "relay03.example.net", 19, "gmail.com", 9, &how), "google");
	assert_int_equal(how, CATALOGUE_ELSEWHERE);
	/* a provider without MX patterns is known by its domains wherever it goes */
	assert_string_equal(catalogue_match(cat, "mx.corp.example", 15, "corp.example", 12, &how), "corp");
	assert_int_equal(how, CATALOGUE_BY_DOMAIN);
	assert_null(catalogue_match(cat, "mx.x.example", 12, "x.example", 9, &how));
	assert_int_equal(how, CATALOGUE_NONE);
	strbuf_clear(&err);
	catalogue_free(cat);
}

static void
test_file_errors(void **state)
{
	struct catalogue *cat = catalogue_new();
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(load_text(cat,
	    "good domains good.example\n"
	    "bad\n"
	    "bad colour red\n"
	    "Bad domains x.example\n"
	    "bad domains -x.example\n"
	    "bad domains .x.example\n"
	    "bad mx mx_1.example\n", &err), -1);
	assert_string_equal(err.buf,
	    "PROV:2: expected \"NAME domains DOMAIN...\" or \"NAME mx PATTERN...\"\n"
	    "PROV:3: expected \"NAME domains DOMAIN...\" or \"NAME mx PATTERN...\"\n"
	    "PROV:4: provider name \"Bad\" must start with a lower-case letter or a digit\n"
	    "PROV:5: bad domain \"-x.example\" has a label that starts or ends with '-'\n"
	    "PROV:6: bad domain \".x.example\" must not start with '.' (parent domains match by themselves)\n"
	    "PROV:7: bad mx pattern \"mx_1.example\" may contain only letters, digits, '.', '-' and the glob characters *?[]\n");
	assert_int_equal(catalogue_count(cat), 0);   /* a file with errors adds nothing */
	strbuf_reset(&err);
	assert_int_equal(catalogue_load(cat, "/nonexistent/providers.conf", &err), -1);
	assert_string_equal(err.buf, "/nonexistent/providers.conf: cannot open: No such file or directory\n");
	strbuf_clear(&err);
	catalogue_free(cat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_catalogue),
		cmocka_unit_test(test_patterns_and_merge),
		cmocka_unit_test(test_how),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
