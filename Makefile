# slattest build.  `make` builds the release binary, `make asan` the
# sanitizer build, `make test` installs what is missing and runs every test,
# `make run` installs, builds, starts the embedded database and serves.
#
# Sources are found by wildcard: a new lib/x.c, server/<subsystem>/x.c or
# reports/x.c is compiled into libslattest.a (a new subsystem folder also
# needs its line in scripts/check-layers.sh); a new tests/unit/test_x.c becomes a cmocka
# binary; a new fuzz/fuzz_x.c becomes a libFuzzer target.  No edits needed.

MODE ?= release
B    := build/$(MODE)

PKGS := libevent_core libevent_openssl libevent_pthreads openssl libmariadb jansson inih xlsxwriter libzip libcurl
PKGS += zlib # the streamed rows of big sheets (reports/xl_splice.c)
PKGS += libargon2
PKGS += libqrencode # portal TOTP enrolment QR code (lib/qrsvg.c)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS := $(PKG_LIBS) -lhttp_parser -lcsv -lpthread -lm

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wcast-qual -fno-common -Wno-format-truncation -Werror
DEFS := -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -D_GNU_SOURCE
SERVER_DIRS := $(sort $(dir $(wildcard server/*/*.c server/*/*.h)))
INCS := -Ilib -Ireports $(patsubst %/,-I%,$(SERVER_DIRS)) $(PKG_CFLAGS)

ifeq ($(MODE),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(MODE),fuzz)
  CC  := clang
  WARN += -Wno-unknown-warning-option
  OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DFUZZING
else
  OPT := -O2 -g
endif

CFLAGS_ALL := $(WARN) $(DEFS) $(INCS) $(OPT) $(CFLAGS)

SRC    := $(wildcard lib/*.c server/*/*.c reports/*.c)
MAIN   := server/cli/main.c
LIBSRC := $(filter-out $(MAIN),$(SRC))
OBJ    := $(LIBSRC:%.c=$(B)/obj/%.o)
TESTS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz_*.c))

# Fuzz targets relink against a freshly built library every time (FORCE).
.PHONY: all release asan test test-cluster test-faults unit run deps dev-certs lint format format-check fuzz clean FORCE \
        bench bench-ingest bench-metrics bench-report bench-connect bench-load bench-cluster

all: $(B)/slattest $(TESTS)

release:
	@$(MAKE) --no-print-directory MODE=release all

asan:
	@$(MAKE) --no-print-directory MODE=asan all

$(B)/libslattest.a: $(OBJ)
	@mkdir -p $(@D)
	@rm -f $@ && ar rcs $@ $^

$(B)/slattest: $(B)/obj/server/cli/main.o $(B)/libslattest.a
	@echo "  LD [$(MODE)] $@"
	@$(CC) $(OPT) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libslattest.a
	@mkdir -p $(@D)
	@echo "  TEST [$(MODE)] $@"
	@$(CC) $(CFLAGS_ALL) -DTESTING -Itests/unit -o $@ $< $(B)/libslattest.a $(LIBS) -lcmocka

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC [$(MODE)] $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

-include $(OBJ:.o=.d) $(B)/obj/server/cli/main.d

# Unit tests of one build mode (MODE=asan for the sanitizer build).
unit: all
	@fail=0; for t in $(TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

deps:
	@scripts/deps.sh

dev-certs:
	@scripts/dev-certs.sh var/certs

# Everything, from nothing: dependencies, both builds, database, all tests.
test:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory release
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory format-check
	@scripts/test.sh

# The cluster suite: three Galera nodes, two instances, HAProxy (docs/DEPLOY.md).
test-cluster:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory release
	@scripts/test-cluster.sh

# The database SIGKILLed during an ingest, a report build and a contract PUT
# (tests/e2e/test_faults.py, with a private database under var/faults).
test-faults:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory release
	@scripts/test-faults.sh

# Dependencies, build, embedded database, migrations, then serve on :8443.
run:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory release
	@scripts/run.sh

# The banned list (see STYLE.md): unsafe string calls, non-reentrant time
# calls, and SQL built with printf-style formatting.  Then the include
# direction of the layers (scripts/check-layers.sh, docs/ARCHITECTURE.md),
# and a proof that the check fails on a wrong include.
lint:
	@bad=$$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gmtime|localtime|asctime|ctime)[[:space:]]*\(' \
	    lib/*.c lib/*.h server/*/*.c server/*/*.h reports/*.c reports/*.h 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "lint: banned call:"; echo "$$bad"; exit 1; fi
	@bad=$$(grep -nE 'printf\(.*"[^"]*\b(SELECT|INSERT|UPDATE|DELETE)\b' \
	    lib/*.c server/*/*.c reports/*.c 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "lint: SQL built with printf:"; echo "$$bad"; exit 1; fi
	@bad=$$(grep -nE '\bjson_dump(s|b|f|fd|_file|_callback)[[:space:]]*\(' \
	    lib/*.c server/*/*.c reports/*.c 2>/dev/null | grep -v '^lib/jsonutil.c:'); \
	if [ -n "$$bad" ]; then echo "lint: JSON written past jsonutil_dumps (numbers in shortest form):"; \
	    echo "$$bad"; exit 1; fi
	@scripts/check-layers.sh
	@scripts/check-layers-selftest.sh
	@echo "lint: ok"

format:
	clang-format -i $(wildcard lib/*.[ch] server/*/*.[ch] reports/*.[ch] tests/unit/*.[ch] fuzz/*.c bench/*.c)

format-check:
	@clang-format --dry-run -Werror $(wildcard lib/*.[ch] server/*/*.[ch] reports/*.[ch] tests/unit/*.[ch] fuzz/*.c bench/*.c) && echo "format: ok"

# libFuzzer targets: `make fuzz FUZZ_SECONDS=300` builds and runs each one.
FUZZ_SECONDS ?= 60
ifneq ($(MODE),fuzz)
build/fuzz/libslattest.a: FORCE
	@$(MAKE) --no-print-directory MODE=fuzz build/fuzz/libslattest.a
endif
FORCE:

build/fuzz/fuzz_%: fuzz/fuzz_%.c build/fuzz/libslattest.a
	clang $(WARN) -Wno-unknown-warning-option $(DEFS) $(INCS) -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $< \
	    build/fuzz/libslattest.a $(LIBS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  seeds=""; [ -d fuzz/seeds/$$n ] && seeds=fuzz/seeds/$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus-$$n $$seeds || exit 1; done

# Benchmarks: each prints a ratio against a baseline measured in the same run.
bench-ingest: release
	N=$(N) bench/ingest

bench-metrics: release
	N=$(N) bench/metrics

bench-report: release
	N=$(N) bench/report

# Time to the first response of a fresh TLS connection (N connections).
bench-connect: release
	N=$(N) bench/connect

# Read load with wrk over TLS at 200 and 1,000 connections while an ingest and
# a report run, then 10,000 idle connections (SOAK_S=600 for the soak).
bench-load: release
	bench/load

# Ingest on a three-node Galera cluster against one server, and report jobs
# per minute with 1, 2 and 3 instances (scripts/cluster.sh; not in `bench`).
bench-cluster: release
	bench/cluster

bench: bench-ingest bench-metrics bench-report bench-connect

clean:
	rm -rf build
