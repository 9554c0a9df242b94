# Thin wrapper around CMake. `make` builds build/spotbot and build/spotsim; `make test` builds a sanitized
# tree in build/asan and runs every test through ctest; `make demo` runs spotsim and spotbot in paper mode;
# `make install` installs the release build under PREFIX (default /usr/local), staged under DESTDIR if set.
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build/asan
FUZZ_BUILD ?= build/fuzz
SOAK_BUILD ?= build/soak
SOAK_MINUTES ?= 60
SOAK_ARGS ?=
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build install test demo lint fuzz bench bench-peer simulate soak env-example clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The programs, man pages, bash completion, systemd unit and example configuration (docs/install.md).
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

test: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSB_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@./scripts/demo.sh

lint: deps
	@./scripts/lint.sh

fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSB_FUZZ=ON -DSB_TESTS=OFF -DSB_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@./scripts/fuzz.sh $(FUZZ_BUILD)

# The deterministic simulation, long: SIM_SEEDS seeds of SIM_DAYS simulated days each (docs/simulation.md).
SIM_SEEDS ?= 100
SIM_DAYS ?= 30
SIM_FIRST ?= 1
simulate: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_TESTS=OFF -DSB_SIM=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target simulate
	@$(BUILD)/simulate --seed $(SIM_FIRST) --seeds $(SIM_SEEDS) --days $(SIM_DAYS)

bench: build
	@cmake -S . -B $(BUILD) -DSB_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@./scripts/bench.sh $(BUILD)

# spotbot beside a peer client, ccxt pro from npm, on the same spotsim streams (bench/peer/peer.sh):
# CPU per market message and resident memory of each at PEER_PAIRS pairs. Not part of `make test`.
bench-peer: build
	@./bench/peer/peer.sh $(BUILD)

# The chaos soak (docs/soak.md) on a release build: SOAK_MINUTES of faults, then the final checks.
soak: deps
	@cmake -S . -B $(SOAK_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SOAK_BUILD) -j $(JOBS) --target spotbot spotsim soak
	@SB_BUILD_DIR=$(SOAK_BUILD) SB_SOURCE_DIR=. $(SOAK_BUILD)/soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

env-example: build
	@$(BUILD)/spotbot config --example > .env.example
	@echo "wrote .env.example"

clean:
	rm -rf $(BUILD)
