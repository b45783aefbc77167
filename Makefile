# ccgate — the two commands a newcomer needs:
#   make run    install what is missing, build, start build/ccgate serve (config: env and ./.env)
#   make test   install what is missing, build with sanitizers, run every test (unit, end-to-end,
#               and a short run of each fuzz target)

JOBS ?= $(shell nproc)
BUILD ?= build
TEST_BUILD ?= build-test
CMAKE_FLAGS ?=

.PHONY: all deps test-deps build run test test-build unit e2e fault-suite fuzz fuzz-smoke bench bench-full bench-compilers bench-tools bench-route soak format format-check clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) --target ccgate -j $(JOBS)

run: build
	@scripts/install-deps.sh --cli
	./$(BUILD)/ccgate serve

# Unit tests, the end-to-end suite and a smoke run of every fuzz target, all against the
# sanitizer build (which also holds the fuzz targets: tests/fuzz/README.md).
test: test-deps test-build
	@$(MAKE) --no-print-directory unit e2e fuzz-smoke

test-build:
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCCGATE_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)

unit:
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

e2e:
	cd tests/e2e && CCGATE_BIN=$(CURDIR)/$(TEST_BUILD)/ccgate node --test --test-concurrency=1 *.test.js

# The fault suite alone (part of e2e; RELIABILITY.md): every fault on its own, then the same checks.
fault-suite: test-deps test-build
	cd tests/e2e && CCGATE_BIN=$(CURDIR)/$(TEST_BUILD)/ccgate node --test --test-concurrency=1 fault-suite-*.test.js

# libFuzzer: every target for FUZZ_SECONDS (one at a time; FUZZ_TARGETS picks some), or the
# few seconds each that `make test` spends. Findings land in $(TEST_BUILD)/fuzz/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_TARGETS ?=

fuzz: test-build
	@scripts/fuzz.sh --build $(TEST_BUILD) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke:
	@scripts/fuzz.sh --build $(TEST_BUILD) --seconds $(FUZZ_SMOKE_SECONDS) --smoke $(FUZZ_TARGETS)

# Benchmarks (BENCHMARKS.md): the quick suite (under 10 minutes) or the full one. Both write
# bench/results/<run-id>.json and .md, and the charts in bench/results/<run-id>/ (redraw them
# with node bench/charts.mjs bench/results/<run-id>.json). Never part of `make test`.
BENCH_TOOLS = ccgate ccgate-bench-mock ccgate-bench-load ccgate-bench-fake-claude ccgate-bench-gateway

bench-tools:
	@scripts/install-deps.sh --bench
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) --target $(BENCH_TOOLS) -j $(JOBS)

bench: bench-tools
	node bench/run.mjs --suite quick --build $(BUILD)

bench-full: bench-tools
	node bench/run.mjs --suite full --build $(BUILD)

# The routing decision's cost per request (BENCHMARKS.md, "Routing decision"): seconds, one core.
# The request is bench/lib/bodies.mjs's Claude Code-shaped body of 49 KB.
ROUTE_BODY = $(BUILD)/bench-route-body.json

bench-route:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) --target ccgate-bench-route -j $(JOBS)
	@node --input-type=module -e "import { anthropicBody } from './bench/lib/bodies.mjs'; \
		process.stdout.write(anthropicBody(49 * 1024, 'MOCK[]'))" > $(ROUTE_BODY)
	./$(BUILD)/bench/ccgate-bench-route --body $(ROUTE_BODY)

# Compilers compared (BENCHMARKS.md): the clang build's ccgate and a GCC RelWithDebInfo build's
# (in $(GCC_BUILD), the arm ccgate-gcc12) in the same rounds of S1 and S4, with direct and nginx.
GCC_BUILD ?= build-gcc
COMPARE_SUITE ?= full

bench-compilers: bench-tools
	@cmake -S . -B $(GCC_BUILD) -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(GCC_BUILD) --target ccgate -j $(JOBS)
	node bench/run.mjs --suite $(COMPARE_SUITE) --only S1,S4 --arms direct,nginx,ccgate --build $(BUILD) \
		--compare-build $(GCC_BUILD)

# The soak (BENCHMARKS.md, "Soak"): SOAK_MINUTES of mixed load and faults on both doors of one
# ccgate; fails when a series grows, something is not let go, or an answer is wrong. Runs of
# 30 minutes or more are kept in bench/results/soak-<run-id>/, shorter ones in bench/results/tmp/.
SOAK_MINUTES ?= 30
SOAK_ARGS ?=

soak: bench-tools
	node bench/soak.mjs --minutes $(SOAK_MINUTES) --build $(BUILD) $(SOAK_ARGS)

format:
	@find src tests/unit tests/fuzz bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

format-check:
	@find src tests/unit tests/fuzz bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
