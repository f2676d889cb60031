# SPDX-License-Identifier: Apache-2.0
# tessera: one Makefile for the server, libtessera, tests and benchmarks.
#
#   make deps    install the Debian packages of mk/deps.sh (only those missing)
#   make         build build/tessera and build/libtessera.a
#   make run     build and start `tessera serve` on 127.0.0.1:8080 with ./tessera.db
#                (LISTEN=HOST:PORT for another address)
#   make test    unit + end-to-end tests, then the same again under ASan+UBSan
#   make asan    build the ASan+UBSan variant into build-asan/
#   make bench   wrk benchmarks against the real server beside nginx
#   make bench-backends   login, refresh, client_credentials: SQLite beside PostgreSQL
#   make fuzz    libFuzzer targets (tests/fuzz/) for FUZZ_SECONDS each; fuzz-smoke: short
#   make shared  build/libtessera.so.0 (libtessera with a soname; `make install` too)
#   make man     tessera(1), tessera.conf(5) and the bash completion, into build/man/
#   make install everything above into PREFIX (see the install part at the end)
#   make deb     the Debian packages, into build-deb/ (debian/; docs/operations.md)
#   make clean

PKGS    := libmicrohttpd jansson libsodium sqlite3 libpq libcrypto libcurl gnutls
CC      ?= cc
BUILD   ?= build
SANITIZE ?=
PYTHON  := /usr/bin/python3
# The one version: libtessera's tessera_version(), `tessera --version`, tessera.pc.
# lib/version.c gets it with its three numbers, and stops the build when the
# TESSERA_VERSION_* macros of include/tessera.h say otherwise.
TESSERA_VERSION := $(shell cat VERSION)
VERSION_WORDS = $(subst ., ,$(TESSERA_VERSION))
VERSION_DEFS = -DTESSERA_BUILD_VERSION='"$(TESSERA_VERSION)"' \
               -DTESSERA_BUILD_MAJOR=$(word 1,$(VERSION_WORDS)) \
               -DTESSERA_BUILD_MINOR=$(word 2,$(VERSION_WORDS)) \
               -DTESSERA_BUILD_PATCH=$(word 3,$(VERSION_WORDS))

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
CFLAGS  ?= -O2 -g
# Packagers: the configuration file operator commands read without --config
# (src/cli/cli.h); unset, they read none. The Debian package sets /etc/tessera/tessera.conf.
TESSERA_DEFAULT_CONFIG ?=
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(SANITIZE) \
           $(if $(TESSERA_DEFAULT_CONFIG),-DTESSERA_DEFAULT_CONFIG='"$(TESSERA_DEFAULT_CONFIG)"') \
           -Iinclude -Isrc \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt -pthread -lm
LDFLAGS += $(SANITIZE)

LIB_SRC  := $(wildcard lib/*.c)
SRC      := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
MIGR     := $(sort $(wildcard src/store/migrations/*.sql))
MIGR_PG  := $(sort $(wildcard src/store/migrations/pg/*.sql))
WEB      := $(sort $(wildcard src/web/templates/*.html)) src/web/style.css src/web/form_post.js
UNIT_SRC := $(wildcard tests/unit/test_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
OBJ      := $(SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o $(BUILD)/gen/migrations_pg.o \
            $(BUILD)/gen/web_assets.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run test unit e2e asan bench bench-backends clean check-deps
all: $(BUILD)/tessera $(BUILD)/libtessera.a

deps:
	@sh mk/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Migrations are embedded in the binary: one C array of {version, name, sql}.
$(BUILD)/gen/migrations.c: $(MIGR) mk/embed-migrations.sh
	@mkdir -p $(dir $@)
	sh mk/embed-migrations.sh $(MIGR) > $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The PostgreSQL dialect of the migrations (src/store/migrations/pg/), same versions.
$(BUILD)/gen/migrations_pg.c: $(MIGR_PG) mk/embed-migrations.sh
	@mkdir -p $(dir $@)
	sh mk/embed-migrations.sh -n store_pg_migrations $(MIGR_PG) > $@

$(BUILD)/gen/migrations_pg.o: $(BUILD)/gen/migrations_pg.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The hosted pages' templates, stylesheet and script, embedded the same way (web/web.h).
$(BUILD)/gen/web_assets.c: $(WEB) mk/embed-web.sh
	@mkdir -p $(dir $@)
	sh mk/embed-web.sh $(WEB) > $@

$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/lib/version.o $(BUILD)/pic/lib/version.o: VERSION
$(BUILD)/lib/version.o $(BUILD)/pic/lib/version.o: ALL_CFLAGS += $(VERSION_DEFS)

$(BUILD)/libtessera.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libtessera-server.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tessera: $(BUILD)/src/main.o $(BUILD)/libtessera-server.a $(BUILD)/libtessera.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtessera-server.a $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) -o $@ $^ \
		$(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# Handler tests (test_api_*.c) link the in-process harness (tests/unit/handler_harness.h):
# the real route tables and handlers on an app with a temporary SQLite database.
$(BUILD)/tests/handler_harness.o: tests/unit/handler_harness.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP -c $< -o $@

$(BUILD)/tests/test_api_%: tests/unit/test_api_%.c $(BUILD)/tests/handler_harness.o \
                           $(BUILD)/libtessera-server.a $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) -o $@ $^ \
		$(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# test_idtoken links it too: its ID tokens are signed by an app's key ring.
$(BUILD)/tests/test_idtoken: tests/unit/test_idtoken.c $(BUILD)/tests/handler_harness.o \
                             $(BUILD)/libtessera-server.a $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) -o $@ $^ \
		$(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# deps first, in its own step: the pkg-config flags above are read when make starts.
# LISTEN=HOST:PORT serves elsewhere (the default is 127.0.0.1:8080).
LISTEN ?=
run: deps
	@echo "make run: building $(BUILD)/tessera if needed (a first build takes a minute) ..."
	@$(MAKE) -s -j$$(nproc 2>/dev/null || echo 2) all
	@echo "make run: starting ./$(BUILD)/tessera serve$(if $(LISTEN), --listen $(LISTEN)) (data in ./tessera.db; Ctrl-C stops it)"
	@./$(BUILD)/tessera serve$(if $(LISTEN), --listen '$(LISTEN)')

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

# The store contract suite (tests/unit/store_contract.h), written once and linked into
# both backends' store tests: test_store (SQLite) and test_store_pg (PostgreSQL).
STORE_CONTRACT_OBJ := $(BUILD)/tests/store_contract.o $(BUILD)/tests/store_contract_admin.o
$(STORE_CONTRACT_OBJ): $(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) -MMD -MP \
		-c $< -o $@
-include $(STORE_CONTRACT_OBJ:.o=.d)

$(BUILD)/tests/test_store $(BUILD)/tests/test_store_pg: $(BUILD)/tests/%: \
    tests/unit/%.c $(STORE_CONTRACT_OBJ) $(BUILD)/libtessera-server.a $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) -o $@ $^ \
		$(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

e2e: all
	TESSERA_BIN=$(CURDIR)/$(BUILD)/tessera $(PYTHON) -m pytest -q tests/e2e

asan:
	$(MAKE) BUILD=build-asan CC=clang \
		SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		CFLAGS="-O1 -g" all $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)

# Everything, then everything again under sanitizers; the last line is the tally.
test: deps
	@sh tests/run-all.sh

bench: deps
	@$(MAKE) -s all
	@sh bench/run.sh

# login, refresh and client_credentials on SQLite, PostgreSQL, and two instances on one
# PostgreSQL, in one run (bench/backends.sh starts its own PostgreSQL).
bench-backends: deps
	@$(MAKE) -s all
	@sh bench/backends.sh

clean:
	rm -rf build build-asan build-fuzz build-deb

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --- benchmarks (bench/, kept apart) ----------------------------------------------------
# The raw Argon2id rate that POST /v1/auth/login is measured against; bench/run.sh runs
# `make build/bench/argon2_rate` itself.
$(BUILD)/bench/argon2_rate: bench/argon2_rate.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --libs libsodium) -pthread

# The raw JWS signing rate (ES256, EdDSA, RS256) that POST /oauth2/token is measured
# against; bench/run.sh runs `make build/bench/sign_rate` itself.
$(BUILD)/bench/sign_rate: bench/sign_rate.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE -pthread $(WARN) \
		$(shell pkg-config --cflags libcrypto) -o $@ $< $(LDFLAGS) \
		$(shell pkg-config --libs libcrypto) -pthread

# libtessera's tessera_verifier_verify() rate on all cores, beside `sign_rate --verify`;
# bench/run.sh runs `make build/bench/libtessera_rate` itself.
$(BUILD)/bench/libtessera_rate: bench/libtessera_rate.c $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Iinclude \
		$(shell pkg-config --cflags libcrypto jansson libcurl) -o $@ $^ $(LDFLAGS) \
		$(shell pkg-config --libs libcrypto jansson libcurl) -pthread

# New connections per second over plain HTTP and TLS (full handshakes, no resumption),
# tessera beside nginx; bench/run.sh runs `make build/bench/tls_handshake` itself.
$(BUILD)/bench/tls_handshake: bench/tls_handshake.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE -pthread $(WARN) \
		$(shell pkg-config --cflags libssl) -o $@ $< $(LDFLAGS) \
		$(shell pkg-config --libs libssl libcrypto) -pthread

# --- fuzzing (tests/fuzz/, kept apart) --------------------------------------------------
# libFuzzer targets, built with clang into build-fuzz/ from objects of their own (lib/
# and src/ compiled there with the fuzzer's coverage and ASan+UBSan; never the gcc
# objects of build/). See tests/fuzz/README.md.
#   make fuzz         each target for FUZZ_SECONDS (default 60); fails on any crash
#   make fuzz-smoke   each for FUZZ_SMOKE_SECONDS (default 5); make test runs it
#   make fuzz-build   only build them
FUZZ_BUILD   := build-fuzz
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -O1 -g -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link -Iinclude -Isrc -Ilib -Itests/fuzz \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_TARGETS := jws b64url json_body form config jwks urlpath
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_SRV_OBJ := $(SRC:%.c=$(FUZZ_BUILD)/%.o)

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz: deps
	@$(MAKE) -s fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh -s $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/lib/version.o: VERSION
$(FUZZ_BUILD)/lib/version.o: FUZZ_CFLAGS += $(VERSION_DEFS)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# Each target links its own file against archives of lib/ and of the server sources,
# so the linker takes just the objects it needs, whatever they come to depend on.
$(FUZZ_BUILD)/libtessera.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/libtessera-server.a: $(FUZZ_SRV_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libtessera-server.a \
                      $(FUZZ_BUILD)/libtessera.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)

# --- libtessera as a shared library -------------------------------------------------------
# libtessera.so.0 (soname) from -fPIC -fvisibility=hidden objects of lib/: only the
# calls tessera.h marks TESSERA_API are exported (lib/'s tessera__* helpers stay
# inside). mk/libtessera.map gives them their symbol version, LIBTESSERA_0.
# tests/package/test_package.py checks that the exports are exactly tessera.h's calls.
# The server links the static library, as before.
SOMAJOR    := 0
SONAME     := libtessera.so.$(SOMAJOR)
PIC_OBJ    := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)

.PHONY: shared man
shared: $(BUILD)/$(SONAME)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(BUILD)/libtessera.so.$(TESSERA_VERSION): $(PIC_OBJ) mk/libtessera.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -Wl,--version-script=mk/libtessera.map \
		-Wl,-z,defs -o $@ $(PIC_OBJ) $(shell pkg-config --libs libcrypto jansson libcurl) \
		-pthread

$(BUILD)/$(SONAME): $(BUILD)/libtessera.so.$(TESSERA_VERSION)
	ln -sf libtessera.so.$(TESSERA_VERSION) $@
	ln -sf $(SONAME) $(BUILD)/libtessera.so

# --- man pages and bash completion: generated, never written by hand ------------------------
# tessera(1) from the binary's own --help texts, tessera.conf(5) from docs/configuration.md,
# the completion from both (mk/gen-man.py); tests/e2e/test_manpages.py checks them.
MAN_OUT := $(BUILD)/man/tessera.1 $(BUILD)/man/tessera.conf.5 \
           $(BUILD)/man/tessera.bash-completion
man: $(BUILD)/man/tessera.1

$(BUILD)/man/tessera.1: $(BUILD)/tessera docs/configuration.md mk/gen-man.py
	$(PYTHON) mk/gen-man.py $(BUILD)/tessera docs/configuration.md $(BUILD)/man \
		$(TESSERA_VERSION)

$(BUILD)/man/tessera.conf.5 $(BUILD)/man/tessera.bash-completion: $(BUILD)/man/tessera.1

# --- install -----------------------------------------------------------------------------
#   make install [PREFIX=/usr/local] [DESTDIR=...]   the server, its man pages and bash
#                                                    completion, and libtessera
#   make install-lib                                 libtessera only: static and shared
#                                                    libraries, tessera.h, tessera.pc
# tessera.pc names the libraries libtessera needs under Requires.private, so
# `pkg-config --cflags --libs tessera` links the shared library and `--static` the
# static one with all it needs. The systemd unit, the default configuration and the
# service's user come with the Debian package (debian/; docs/operations.md).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PCDIR      ?= $(LIBDIR)/pkgconfig
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

.PHONY: install install-lib deb tsan tsan-build
$(BUILD)/tessera.pc: mk/tessera.pc.in Makefile VERSION
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(TESSERA_VERSION)|g' \
	    mk/tessera.pc.in > $@

install-lib: $(BUILD)/libtessera.a $(BUILD)/$(SONAME) $(BUILD)/tessera.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PCDIR)
	install -m 644 $(BUILD)/libtessera.a $(DESTDIR)$(LIBDIR)/libtessera.a
	install -m 644 $(BUILD)/libtessera.so.$(TESSERA_VERSION) \
		$(DESTDIR)$(LIBDIR)/libtessera.so.$(TESSERA_VERSION)
	ln -sf libtessera.so.$(TESSERA_VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libtessera.so
	install -m 644 include/tessera.h $(DESTDIR)$(INCLUDEDIR)/tessera.h
	install -m 644 $(BUILD)/tessera.pc $(DESTDIR)$(PCDIR)/tessera.pc

install: install-lib $(BUILD)/tessera $(BUILD)/man/tessera.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(BUILD)/tessera $(DESTDIR)$(BINDIR)/tessera
	install -m 644 $(BUILD)/man/tessera.1 $(DESTDIR)$(MANDIR)/man1/tessera.1
	install -m 644 $(BUILD)/man/tessera.conf.5 $(DESTDIR)$(MANDIR)/man5/tessera.conf.5
	install -m 644 $(BUILD)/man/tessera.bash-completion $(DESTDIR)$(BASHCOMPDIR)/tessera

# --- the Debian packages: tessera, libtessera0, libtessera-dev ---------------------------
# Built from a copy of the tree's files (tracked and new, not ignored) in build-deb/, so
# the tree stays clean and build/ is not reused: dpkg-buildpackage -b compiles it all.
# The .deb, .changes and .buildinfo files land in build-deb/. tests/package/run.sh runs
# this, lintian and tests/package/test_package.py.
deb:
	@sh mk/deb.sh

# --- ThreadSanitizer: the verifier's many-threads test ------------------------------------
#   make tsan    builds build-tsan/tests/test_verifier with -fsanitize=thread and runs it
tsan: tsan-build
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build-tsan/tests/test_verifier

tsan-build:
	$(MAKE) BUILD=build-tsan CC=clang SANITIZE="-fsanitize=thread -fno-omit-frame-pointer" \
		CFLAGS="-O1 -g" build-tsan/tests/test_verifier

# --- examples/skills-api: a resource server on libtessera (not part of `all`) -------------
#   make build/examples/skills-api    (tests/e2e/test_skills_api.py runs it itself)
$(BUILD)/examples/skills-api: examples/skills-api/skills_api.c $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@.tmp.$$$$ $^ $(LDFLAGS) $(LDLIBS) && mv -f $@.tmp.$$$$ $@
