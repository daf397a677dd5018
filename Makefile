# Strata build.  Everything is found by wildcard: a new .c file under src/
# joins libstrata, a new tests/unit/NAME.c becomes a test binary, a new
# examples/NAME.c or tools/NAME.c a program.  No per-file rules to maintain.
#
#   make            library (static + shared), tools, examples, tests
#   make run        the built-in lab demo (two namespaces, ARP, ping, trace)
#   make test       install test deps if missing, then every test suite
#   make bench      benchmarks (bench/), printing ratios against peers
#   make fuzz       libFuzzer targets, each run briefly
#   make san        the same tree built with ASan+UBSan under build/san/
#   make conformance  packetdrill's TCP corpus (../shared) against Strata

CC      ?= cc
B       ?= build
SAN     ?=
OPT     ?= -O2 -g
CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -Wstrict-prototypes -Wmissing-prototypes -fPIC $(OPT) -Iinclude -Isrc -pthread $(EXTRA_CFLAGS)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SAN),thread)
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif
LDLIBS  := -pthread -lm

LIB_SRC   := $(sort $(wildcard src/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
SIM_SRC   := $(sort $(wildcard tests/sim/*.c))
INTEROP_SRC := $(sort $(wildcard tests/interop/*.c))
# tests/interop/peers/: plain-socket programs an interop script runs on the
# kernel's side (not tests themselves: the suite runs only interop/*)
PEER_SRC  := $(sort $(wildcard tests/interop/peers/*.c))
TOOL_SRC  := $(sort $(wildcard tools/*.c))
EX_SRC    := $(sort $(wildcard examples/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
# bench/lib/: helpers every benchmark shares, an archive linked into each
# (outside the bench/*.c wildcard, so no program is made of it)
BENCH_LIB_SRC := $(sort $(wildcard bench/lib/*.c))
BENCH_LIB := $(B)/bench/libbench.a
CONF_SRC  := $(sort $(wildcard tests/conformance/*.c))
CONF_BIN  := $(B)/tests/conformance/packetdrill

UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
SIM_BIN   := $(SIM_SRC:tests/sim/%.c=$(B)/tests/sim/%)
INTEROP_BIN := $(INTEROP_SRC:tests/interop/%.c=$(B)/tests/interop/%)
PEER_BIN  := $(PEER_SRC:tests/interop/peers/%.c=$(B)/tests/interop/peers/%)
TOOL_BIN  := $(TOOL_SRC:tools/%.c=$(B)/bin/%)
EX_BIN    := $(EX_SRC:examples/%.c=$(B)/bin/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

all: $(B)/libstrata.a $(B)/libstrata.so $(TOOL_BIN) $(EX_BIN) $(UNIT_BIN) $(SIM_BIN) $(INTEROP_BIN) \
     $(PEER_BIN) \
     $(B)/lib/libstrata-preload.so $(CONF_BIN)

# The LD_PRELOAD shim `strata exec` puts under unmodified tools (ip, ss):
# a shared object of its own, not linked with libstrata.
$(B)/lib/libstrata-preload.so: tools/preload/strata-preload.c include/strata/ctl.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< -ldl

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libstrata.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libstrata.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/%: $(B)/tools/%.o $(B)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/%: $(B)/examples/%.o $(B)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(B)/tests/test.o $(B)/libstrata.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/sim/%: $(B)/tests/sim/%.o $(B)/tests/test.o $(B)/libstrata.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/interop/%: $(B)/tests/interop/%.o $(B)/tests/test.o $(B)/libstrata.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/interop/peers/%: $(B)/tests/interop/peers/%.o
	$(CC) $(LDFLAGS) -o $@ $^

# The packetdrill-compatible runner (tests/conformance/) over the corpus in
# ../shared: `make conformance` runs every script, as `make test` does.
$(CONF_BIN): $(CONF_SRC:%.c=$(B)/%.o) $(B)/libstrata.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

conformance: $(CONF_BIN)
	$(CONF_BIN) --corpus ../shared/conformance/packetdrill/tcp \
		--expected tests/conformance/expected-failures.txt
	$(CONF_BIN) --corpus tests/conformance/strata --expected /dev/null

$(BENCH_LIB): $(BENCH_LIB_SRC:%.c=$(B)/%.o)
	@rm -f $@
	ar rcs $@ $^

$(BENCH_BIN): $(B)/bench/%: $(B)/bench/%.o $(BENCH_LIB) $(B)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench_echo measures Debian's lwIP beside Strata: it needs lwIP's headers
# (liblwip-dev, installed by scripts/deps.sh bench before it is compiled)
# and dlopen()s liblwip.so.0 at run time, so it links and runs without it.
$(B)/bench/bench_echo.o: CFLAGS += -isystem /usr/include/lwip
$(B)/bench/bench_echo.o: | bench-echo-deps
bench-echo-deps:
	@sh scripts/deps.sh bench || echo "scripts/deps.sh bench failed: bench_echo skips the peers it needs"
.PHONY: bench-echo-deps

run: deps-build
	@$(MAKE) --no-print-directory $(B)/bin/strata
	$(B)/bin/strata lab

deps:
	@sh scripts/deps.sh test

deps-build:
	@sh scripts/deps.sh build

# The whole suite: unit, sim and interop on the normal build, unit and sim
# again under ASan+UBSan, the threaded tests under TSan, then each fuzz
# target for a few seconds.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory B=build/san SAN=1 OPT="-O1 -g" san-tests
	@$(MAKE) --no-print-directory B=build/tsan SAN=thread OPT="-O1 -g" tsan-tests
	@$(MAKE) --no-print-directory fuzz-bin
	@sh tests/run.sh

san-tests: $(UNIT_BIN) $(SIM_BIN)
# ThreadSanitizer on the tests that run namespaces and applications on
# several threads.
TSAN_SRC := $(sort $(wildcard tests/sim/*thread*.c))
tsan-tests: $(TSAN_SRC:tests/sim/%.c=$(B)/tests/sim/%)
san: san-tests

# libFuzzer targets: clang, built from the library sources directly so that
# coverage instrumentation reaches the stack.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -pthread \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC)
fuzz-bin: $(FUZZ_BIN)
fuzz: fuzz-bin
	@for f in $(FUZZ_BIN); do echo "== $$f"; $$f -max_total_time=60 -print_final_stats=1 || exit 1; done

bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

.PHONY: all run deps deps-build test san san-tests tsan-tests fuzz fuzz-bin bench format clean \
        conformance
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
