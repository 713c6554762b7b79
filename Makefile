# Pageout Lab. Two commands on a fresh machine:
#   make serve   installs what is missing, builds the wasm and the page, serves it on 127.0.0.1:$(PORT)
#   make test    installs what is missing, then fmt, clippy, cargo test, wasm-pack test, end-to-end
# Each target runs scripts/setup.sh first (a quiet no-op when everything is installed).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:
.NOTPARALLEL:
MAKEFLAGS += --no-builtin-rules

PORT ?= 8000
# The end-to-end tests serve www/ on a port of their own.
E2E_PORT ?= 8123
export E2E_PORT

# wasm-pack uses the system chromedriver (chromium-driver) and never downloads one;
# npm never downloads Playwright's browsers (the tests use /usr/bin/chromium).
export CHROMEDRIVER := /usr/bin/chromedriver
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

UPLOT_DIST := www/node_modules/uplot/dist

# The release command line. The end-to-end tests run it beside the page (compare mode's first
# divergence against `pageout-sim diff`, the page's switch grid against `pageout-sim grid`).
PAGEOUT_SIM ?= $(abspath $(or $(CARGO_TARGET_DIR),target)/release/pageout-sim)
export PAGEOUT_SIM

.PHONY: help setup wasm www page cli serve test lint unit wasm-test e2e bench survival clean

help:
	@echo "make serve   build the page and serve it on http://127.0.0.1:$(PORT)/ (PORT=$(PORT))"
	@echo "make test    fmt, clippy, cargo test, wasm-pack test, end-to-end tests"
	@echo "make bench   benchmarks (scripts/bench.sh)"
	@echo "make survival  every kernel's survival: core/README.md's table, docs/survival.svg"
	@echo "make clean   remove build output"
	@echo "Both serve and test install whatever is missing first (make setup)."

setup:
	@bash scripts/setup.sh

# The wasm module and its JS glue, in www/pkg/. wasm-pack runs the first wasm-opt on PATH: npm's
# binaryen (Debian bookworm's binaryen 108 breaks wasm-bindgen's externref table export).
wasm: setup
	PATH="$(CURDIR)/www/node_modules/.bin:$$PATH" \
		wasm-pack build --target web --release --no-pack --out-dir ../www/pkg web

# Third-party files the page loads, copied from npm into www/vendor/.
www: setup
	mkdir -p www/vendor
	cp $(UPLOT_DIST)/uPlot.esm.js $(UPLOT_DIST)/uPlot.min.css www/vendor/

page: wasm www

cli: setup
	cargo build --release --features cli -p pageout-core

serve: setup page
	python3 scripts/serve.py --dir www --port $(PORT)

test: setup lint unit wasm-test e2e

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features pageout-core/cli -- -D warnings

unit: setup
	cargo test --workspace --features pageout-core/cli

wasm-test: setup
	wasm-pack test --headless --chrome --chromedriver $(CHROMEDRIVER) web

e2e: setup page cli
	cd tests && npx playwright test

# Not part of `make test`: benchmarks measure, tests check.
bench: setup
	@if [ -f scripts/bench.sh ]; then \
		bash scripts/bench.sh; \
	else \
		echo "make bench: scripts/bench.sh does not exist yet; nothing to run"; \
	fi

# Every kernel's survival over 50 seeds and 3600 s (SEEDS=, UNTIL=, JOBS= to change them):
# rewrites the table in core/README.md and the picture at the top of README.md.
survival: cli
	bash scripts/survival.sh

clean:
	cargo clean
	rm -rf www/pkg www/vendor tests/test-results tests/playwright-report tests/artifacts
