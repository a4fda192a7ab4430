# postroute: one plain Makefile.
#
#   make            bin/postrouted bin/postroute-agent bin/postroute
#   make check      install missing packages, build, run every test, then the
#                   same suite built with -fsanitize=address,undefined, then
#                   the shell tests of tests/script once (test_deb.sh runs
#                   make deb and checks the packages)
#   make bench      benchmarks (results go to BENCHMARKS.md by hand)
#   make demo       the whole stack on loopback, with a failover timeline
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        Debian 12 packages postroute-controller, postroute-agent
#                   and postroute into build/deb/ (dpkg-buildpackage -b in a
#                   scratch copy of the tree, build/deb-work/; see debian/)
#
# O is the object directory, BINDIR where binaries go. SAN=1 adds the
# sanitizers (make check does that in build/asan on its own).

O       ?= build
BINDIR  ?= bin
PREFIX  ?= /usr/local
DESTDIR ?=
SAN     ?=
CC      ?= cc

PKGS      = libpq libcurl libmicrohttpd gnutls jansson inih libpcre2-8 libcrypto libsystemd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
OPT     ?= -O2
CFLAGS  ?= -g $(OPT)
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
DEFS     = -D_GNU_SOURCE -DPOSTROUTE_VERSION=\"$(VERSION)\" \
           -DPOSTROUTE_DATADIR=\"$(PREFIX)/share/postroute\"
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ALL_CFLAGS = $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -Icommon -Itests/lib $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

COMMON_SRC     = $(wildcard common/*.c)
CONTROLLER_SRC = $(filter-out controller/main.c,$(wildcard controller/*.c))
AGENT_SRC      = $(filter-out agent/main.c,$(wildcard agent/*.c))
CLI_SRC        = $(filter-out cli/main.c,$(wildcard cli/*.c))
TESTLIB_SRC    = $(wildcard tests/lib/*.c)
UNIT_SRC       = $(wildcard tests/unit/test_*.c)
INTEG_SRC      = $(wildcard tests/integration/test_*.c)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

COMMON_A     = $(O)/lib/libcommon.a
CONTROLLER_A = $(O)/lib/libcontroller.a
AGENT_A      = $(O)/lib/libagent.a
CLI_A        = $(O)/lib/libcli.a
TESTLIB_A    = $(O)/lib/libtest.a
ALL_A        = $(CONTROLLER_A) $(AGENT_A) $(CLI_A) $(COMMON_A)

PROGS = $(BINDIR)/postrouted $(BINDIR)/postroute-agent $(BINDIR)/postroute
TESTS = $(patsubst tests/%.c,$(O)/tests/%,$(UNIT_SRC) $(INTEG_SRC))

.SECONDARY:
.PHONY: all tests check check-build deps bench demo install deb clean fuzz format
all: $(PROGS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# tests include the headers of the part they test
$(O)/obj/tests/%.o: ALL_CFLAGS += -Iagent -Icontroller -Icli
# `postroute rule test` runs the agent's parser and classifier: that one
# CLI file may include agent headers, and the CLI links libagent.a (only
# the objects it uses: classify, relit, maillog, datafile)
$(O)/obj/cli/cmd_rule.o: ALL_CFLAGS += -Iagent

$(COMMON_A): $(call obj,$(COMMON_SRC))
SCHEMA_SQL = $(sort $(wildcard schema/*.sql))
$(O)/gen/schema_sql.c: $(SCHEMA_SQL) deploy/embed-schema.sh
	@mkdir -p $(dir $@)
	deploy/embed-schema.sh $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@
$(O)/obj/gen/schema_sql.o: $(O)/gen/schema_sql.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes,$(ALL_CFLAGS)) -Wno-overlength-strings -c -o $@ $<

$(O)/gen/catalogue_conf.c: deploy/providers.conf deploy/embed-catalogue.sh
	@mkdir -p $(dir $@)
	deploy/embed-catalogue.sh deploy/providers.conf > $@.tmp && mv $@.tmp $@
$(O)/obj/gen/catalogue_conf.o: $(O)/gen/catalogue_conf.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes,$(ALL_CFLAGS)) -Wno-overlength-strings -c -o $@ $<

$(O)/gen/ui_html.c: controller/ui/status.html deploy/embed-ui.sh
	@mkdir -p $(dir $@)
	deploy/embed-ui.sh controller/ui/status.html > $@.tmp && mv $@.tmp $@
$(O)/obj/gen/ui_html.o: $(O)/gen/ui_html.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes,$(ALL_CFLAGS)) -Wno-overlength-strings -c -o $@ $<

$(CONTROLLER_A): $(call obj,$(CONTROLLER_SRC)) $(O)/obj/gen/schema_sql.o $(O)/obj/gen/catalogue_conf.o \
    $(O)/obj/gen/ui_html.o
$(AGENT_A): $(call obj,$(AGENT_SRC))
$(CLI_A): $(call obj,$(CLI_SRC))
$(TESTLIB_A): $(call obj,$(TESTLIB_SRC))
$(O)/lib/%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BINDIR)/postrouted: $(call obj,controller/main.c) $(CONTROLLER_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BINDIR)/postroute-agent: $(call obj,agent/main.c) $(AGENT_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BINDIR)/postroute: $(call obj,cli/main.c) $(CLI_A) $(AGENT_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/%: $(O)/obj/tests/%.o $(TESTLIB_A) $(ALL_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

tests: $(TESTS)

# benchmark programs: tests/bench/NAME.c -> $(O)/bench/NAME
$(O)/bench/%: $(O)/obj/tests/bench/%.o $(TESTLIB_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

deps:
	./deploy/install-deps.sh

# Release build and suite, then the sanitizer build and the same suite.
check: deps
	$(MAKE) all tests
	$(MAKE) O=build/asan BINDIR=build/asan/bin SAN=1 OPT=-O1 all tests
	tests/run.sh $(BINDIR):$(O)/tests build/asan/bin:build/asan/tests

bench: deps
	$(MAKE) all tests $(O)/bench/feed_fanout $(O)/bench/agent_flip $(O)/bench/failover \
	    $(O)/bench/dbfailover
	tests/bench/run.sh

demo: deps
	$(MAKE) all
	deploy/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/postroute
	install -m 0755 $(BINDIR)/postroute $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BINDIR)/postrouted $(BINDIR)/postroute-agent $(DESTDIR)$(PREFIX)/sbin/
	cp -r schema $(DESTDIR)$(PREFIX)/share/postroute/
	install -m 0644 deploy/rules.conf deploy/providers.conf $(DESTDIR)$(PREFIX)/share/postroute/
	if [ -d docs/man ]; then for s in 1 8; do install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  for f in docs/man/*.$$s; do [ -e "$$f" ] && install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man$$s/; done; done; fi
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 deploy/bash-completion/postroute $(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -d $(DESTDIR)$(PREFIX)/share/doc/postroute/examples
	cp deploy/*.ini deploy/*.service $(DESTDIR)$(PREFIX)/share/doc/postroute/examples/ 2>/dev/null || true

# Debian packages. The tree (without .git and build outputs) is copied into
# build/deb-work/postroute with its files' times, and that copy's own build/
# is kept between runs, so a second `make deb` recompiles only what changed
# (dpkg-buildpackage -nc); the three .deb files land in build/deb/ with the
# .changes and .buildinfo. DEB_BUILD_OPTIONS=nocheck (without noautodbgsym)
# adds the -dbgsym packages. debian/changelog's version must be VERSION's.
DEB_WORK = build/deb-work
DEB_BUILD_OPTIONS ?= nocheck noautodbgsym
deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
	  { echo "make deb: debian/changelog says $$v, VERSION says $(VERSION): add a changelog entry (dch -v $(VERSION))" >&2; exit 1; }
	@mkdir -p $(DEB_WORK)/postroute build/deb
	@# objects built for another version or other flags are not reused
	@stamp="$(VERSION) $(DEB_BUILD_OPTIONS) $$(dpkg-buildflags --export=cmdline)"; \
	  [ "$$(cat $(DEB_WORK)/stamp 2>/dev/null)" = "$$stamp" ] || rm -rf $(DEB_WORK)/postroute/build; \
	  echo "$$stamp" > $(DEB_WORK)/stamp
	find $(DEB_WORK)/postroute -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
	tar -cf - --anchored --exclude=./.git --exclude=./build --exclude=./bin --exclude=./var \
	  --exclude='./build-*' . | tar -xf - -C $(DEB_WORK)/postroute
	rm -f $(DEB_WORK)/*.deb $(DEB_WORK)/*.changes $(DEB_WORK)/*.buildinfo
	cd $(DEB_WORK)/postroute && DEB_BUILD_OPTIONS="parallel=$$(nproc) $(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -us -uc -b -nc
	rm -f build/deb/*.deb build/deb/*.changes build/deb/*.buildinfo
	mv $(DEB_WORK)/*.deb $(DEB_WORK)/*.changes $(DEB_WORK)/*.buildinfo build/deb/
	@ls -l build/deb/*.deb

# Coverage-guided fuzzing with clang's libFuzzer (not part of check):
#   make fuzz FUZZ=validate|api_body|maillog|relit|feed FUZZ_SECONDS=60
FUZZ ?= validate
FUZZ_SECONDS ?= 30
fuzz: $(O)/gen/schema_sql.c $(O)/gen/catalogue_conf.c $(O)/gen/ui_html.c
	@mkdir -p build/fuzz/corpus-$(FUZZ)
	@if [ -d tests/fuzz/seeds/$(FUZZ) ]; then cp tests/fuzz/seeds/$(FUZZ)/* build/fuzz/corpus-$(FUZZ)/; fi
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -DPOSTROUTE_VERSION=\"$(VERSION)\" \
	    -Icommon -Icontroller -Iagent $(PKG_CFLAGS) -o build/fuzz/fuzz_$(FUZZ) tests/fuzz/fuzz_$(FUZZ).c \
	    $(COMMON_SRC) $(CONTROLLER_SRC) $(AGENT_SRC) $(O)/gen/schema_sql.c $(O)/gen/catalogue_conf.c \
	    $(O)/gen/ui_html.c $(LIBS)
	build/fuzz/fuzz_$(FUZZ) -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$(FUZZ)

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build bin var

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
