# ccgate — the two commands a newcomer needs:
#   make run    install what is missing, build, start build/ccgate serve (config: env and ./.env)
#   make test   install what is missing, build with sanitizers, run every test (unit and end-to-end)

JOBS ?= $(shell nproc)
BUILD ?= build
TEST_BUILD ?= build-test
CMAKE_FLAGS ?=

.PHONY: all deps test-deps build run test unit e2e fault-suite bench bench-full bench-tools soak format format-check clean

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

# Unit tests and the end-to-end suite, both against the sanitizer build.
test: test-deps
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCCGATE_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	@$(MAKE) --no-print-directory unit e2e

unit:
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

e2e:
	cd tests/e2e && CCGATE_BIN=$(CURDIR)/$(TEST_BUILD)/ccgate node --test --test-concurrency=1 *.test.js

# The fault suite alone (part of e2e; RELIABILITY.md): every fault on its own, then the same checks.
fault-suite: test-deps
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCCGATE_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_BUILD) --target ccgate -j $(JOBS)
	cd tests/e2e && CCGATE_BIN=$(CURDIR)/$(TEST_BUILD)/ccgate node --test --test-concurrency=1 fault-suite-*.test.js

# Benchmarks (BENCHMARKS.md): the quick suite (under 10 minutes) or the full one. Both write
# bench/results/<run-id>.json and .md. Never part of `make test`.
BENCH_TOOLS = ccgate ccgate-bench-mock ccgate-bench-load ccgate-bench-fake-claude ccgate-bench-gateway

bench-tools:
	@scripts/install-deps.sh --bench
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) --target $(BENCH_TOOLS) -j $(JOBS)

bench: bench-tools
	node bench/run.mjs --suite quick --build $(BUILD)

bench-full: bench-tools
	node bench/run.mjs --suite full --build $(BUILD)

# The soak (BENCHMARKS.md, "Soak"): SOAK_MINUTES of mixed load and faults on both doors of one
# ccgate; fails when a series grows, something is not let go, or an answer is wrong. Runs of
# 30 minutes or more are kept in bench/results/soak-<run-id>/, shorter ones in bench/results/tmp/.
SOAK_MINUTES ?= 30
SOAK_ARGS ?=

soak: bench-tools
	node bench/soak.mjs --minutes $(SOAK_MINUTES) --build $(BUILD) $(SOAK_ARGS)

format:
	@find src tests/unit bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

format-check:
	@find src tests/unit bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
