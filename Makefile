# nimbus - one top-level Makefile. Components describe their programs in
# */build.mk fragments, included below; this file owns flags, layout and the
# top-level targets.
#
#   make              build every program into build/bin/
#   make check        every test (unit, namespaces, QEMU); ends "N passed, N failed"
#   make check-unit   cmocka unit tests only
#   make check-asan   unit + integration tests against an ASan/UBSan build
#   make fuzz         run every fuzz target for FUZZ_SECONDS each (clang libFuzzer)
#   make bench        benchmarks (aoetd vs vblade; replicated volumes in VMs); writes docs/benchmarks.md
#   make lab          bring up the demo/lab (see README)

B        ?= build
BIN      := $(B)/bin
OBJ      := $(B)/obj
ifeq ($(origin CC),default)
CC       := gcc
endif
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -MMD -MP -D_GNU_SOURCE -Ilib
LDFLAGS  ?=
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
LDFLAGS  += -fsanitize=address,undefined
endif
FUZZ_SECONDS ?= 60

PROGRAMS :=
UNIT_TESTS :=
FUZZERS :=

.PHONY: all clean check check-unit check-asan fuzz bench lab deps
all:

# $(call objs,SOURCES) -> object paths under $(OBJ)
objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

# $(eval $(call program,NAME,OBJECTS,LIBS)): build/bin/NAME from OBJECTS
# plus libnimbus.
define program
PROGRAMS += $$(BIN)/$(1)
$$(BIN)/$(1): $(2) $$(LIBNIMBUS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $(3)
endef

# $(eval $(call unit_test,NAME,OBJECTS,LIBS)): build/tests/unit_NAME from
# tests/unit/test_NAME.c, the objects under test and cmocka.
define unit_test
UNIT_TESTS += $$(B)/tests/unit_$(1)
$$(B)/tests/unit_$(1): $$(OBJ)/tests/unit/test_$(1).o $(2) $$(LIBNIMBUS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ -lcmocka $(3)
endef

include lib/build.mk
include $(filter-out lib/build.mk,$(sort $(wildcard */build.mk */*/build.mk)))

all: $(PROGRAMS) $(UNIT_TESTS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

deps:
	./scripts/install-deps

# check and lab install their packages first (idempotent, quick when present)
# and then build, so one command works on a fresh Debian 12 machine.
check:
	./scripts/install-deps
	$(MAKE) all
	./tests/run-all --build $(B)

check-unit: $(UNIT_TESTS)
	./tests/run-all --build $(B) --only unit

check-asan:
	$(MAKE) B=build-asan SAN=1 all
	./tests/run-all --build build-asan --only unit,integration

fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(FUZZ_SECONDS) run

bench: all
	./tests/bench/run-bench --bin $(BIN)
	./tests/bench/storage-bench --bin $(BIN)

lab:
	./scripts/install-deps
	$(MAKE) all
	./scripts/lab up

clean:
	rm -rf build build-asan build-fuzz

# Only the compiler's dependency files: image build trees under $(B) hold
# files that end in .d too (usr/sbin/invoke-rc.d).
-include $(shell find $(OBJ) -name '*.d' -type f 2>/dev/null)
