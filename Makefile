# syncplan: `make run` serves the app, `make test` runs every test.
# Each set-up step installs a pinned tool only when it is missing, and says nothing otherwise.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

CARGO_BIN := $(HOME)/.cargo/bin
# wasm-opt comes from npm's binaryen (tools/): the site build calls it by that path, and it is
# first on PATH for anyone who runs cargo-leptos by hand (Debian's binaryen 108 silently breaks
# hydration).
WASM_OPT_BIN := $(CURDIR)/tools/node_modules/.bin
export PATH := $(WASM_OPT_BIN):$(CARGO_BIN):$(PATH)

# The release site (server, WASM, JS, CSS, hashed and precompressed) as `cargo leptos build
# --release --precompress` builds it, from the same [package.metadata.leptos], without having
# to compile cargo-leptos first (scripts/build-site.mjs).
BUILD_SITE := node $(CURDIR)/scripts/build-site.mjs
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SITE_ADDR ?= 127.0.0.1:3000
# Leptos reads this at compile time; every cargo command here must agree or Leptos rebuilds.
export LEPTOS_OUTPUT_NAME := syncplan
RUN_ENV := LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=$(SITE_ADDR) LEPTOS_ENV=PROD

.PHONY: run test tools browser e2e-deps build unit e2e lint fmt bench bench-deps bench-before soak fuzz clean

## run: build the release and serve it on http://127.0.0.1:3000
run: build
	@$(RUN_ENV) ./target/release/syncplan

## test: unit, integration and browser tests
test: tools browser e2e-deps
	@# The share-store suite runs on SQLite and on a private local PostgreSQL; here a
	@# PostgreSQL that cannot be started fails the run instead of skipping those legs.
	SYNCPLAN_REQUIRE_POSTGRES=1 SYNCPLAN_TEST_POSTGRES_URL="$$(scripts/test-postgres.sh)" cargo test --release --features ssr
	$(BUILD_SITE)
	rm -rf target/e2e-data
	cd end2end && npx playwright test

build: tools
	$(BUILD_SITE)

unit:
	SYNCPLAN_REQUIRE_POSTGRES=1 SYNCPLAN_TEST_POSTGRES_URL="$$(scripts/test-postgres.sh)" cargo test --release --features ssr

e2e: tools browser e2e-deps
	$(BUILD_SITE)
	rm -rf target/e2e-data
	cd end2end && npx playwright test

## bench: every performance figure, with its reference, in one run (never part of `make test`)
bench: tools browser bench-deps bench-before
	$(BUILD_SITE)
	cd bench/counter && LEPTOS_OUTPUT_NAME=counter $(BUILD_SITE) --front --root .
	cd bench/tools && CARGO_TARGET_DIR=$(CURDIR)/target/bench cargo build --release --bin reference-server --bin live-load --bin history-load
	cd bench/tools && CARGO_TARGET_DIR=$(CURDIR)/target/bench cargo bench --bench export
	node bench/run.mjs

# The table before the grid (issue 12), built once and measured beside today's by `make bench`.
BEFORE_GRID := 282331d
bench-before:
	@[ -x target/bench/before/target/release/syncplan ] || { \
	  echo "Building the table before the grid ($(BEFORE_GRID)) for comparison (first bench only)..."; \
	  rm -rf target/bench/before && mkdir -p target/bench/before && \
	  git archive $(BEFORE_GRID) | tar -x -C target/bench/before && \
	  $(BUILD_SITE) --root target/bench/before; }

## soak: 60 s of mixed load, SIGKILL cycles under load, disk-full and read-only database
soak: tools
	$(BUILD_SITE)
	cd bench/tools && CARGO_TARGET_DIR=$(CURDIR)/target/bench cargo build --release --bin soak
	target/bench/release/soak

## fuzz: coverage-guided fuzzing of every decoder, FUZZ_SECONDS each (not part of `make test`)
FUZZ_SECONDS ?= 60
fuzz: tools
	@cargo fuzz --version 2>/dev/null | grep -q " 0.13.2" || { \
	  echo "Compiling cargo-fuzz 0.13.2..."; \
	  cargo install cargo-fuzz --version 0.13.2 --locked --force --quiet; }
	@# cargo-fuzz passes instrumentation flags that stable rustc accepts only with RUSTC_BOOTSTRAP.
	cd fuzz && for target in plan_json csv_import envelope share_id; do \
	  RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(CURDIR)/target/fuzz cargo fuzz run $$target \
	    --sanitizer none --fuzz-dir . -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

lint:
	cargo fmt --check
	cargo clippy --all-features --all-targets -- -D warnings

fmt:
	cargo fmt

# ----- set-up (idempotent, pinned, quiet when done) -----

tools: tools/node_modules/.installed
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || { \
	  echo "Adding the wasm32-unknown-unknown target..."; \
	  rustup target add wasm32-unknown-unknown; }

# binaryen 132 (wasm-opt), terser and lightningcss from npm: prebuilt, installed in seconds.
tools/node_modules/.installed: tools/package-lock.json
	@echo "Installing the site build tools (npm ci in tools/: binaryen 132.0.0, terser, lightningcss)..."
	@cd tools && npm ci --no-audit --no-fund --silent
	@tools/node_modules/.bin/wasm-opt --version | grep -q "version 132" || { \
	  echo "error: tools/node_modules/.bin/wasm-opt is not binaryen 132"; exit 1; }
	@touch $@

# Chromium drives the browser tests; poppler's pdftotext reads the printed pages back.
browser:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "Installing Chromium and poppler-utils from Debian's packages..."; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium poppler-utils >/dev/null; }

e2e-deps: end2end/node_modules/.installed

end2end/node_modules/.installed: end2end/package-lock.json
	@echo "Installing the browser-test packages (npm ci)..."
	@cd end2end && npm ci --no-audit --no-fund --silent
	@touch $@

bench-deps: bench/node_modules/.installed
	@command -v wrk >/dev/null || { \
	  echo "Installing wrk from Debian's packages..."; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	@twiggy --version 2>/dev/null | grep -q " 0.8.0" || { \
	  echo "Compiling twiggy 0.8.0 (first bench only: about 2 minutes)..."; \
	  cargo install twiggy --version 0.8.0 --locked --force --quiet; }

bench/node_modules/.installed: bench/package-lock.json
	@echo "Installing the benchmark packages (npm ci)..."
	@cd bench && npm ci --no-audit --no-fund --silent
	@touch $@

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results
