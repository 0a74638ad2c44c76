# Paydesk: `make run` opens the app, `make test` runs every check CI runs.
# Both install what a fresh Debian/Ubuntu machine lacks first (see `make deps`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS        := $(CURDIR)/.tools
TAURI_DRIVER := $(TOOLS)/bin/tauri-driver
TAURI_CLI    := $(TOOLS)/bin/cargo-tauri
UI_DEPS      := ui/node_modules/.package-lock.json
SESSION      := scripts/desktop-session.sh
CARGO        ?= cargo

export TAURI_DRIVER
export CARGO_TERM_COLOR ?= never

.PHONY: help deps system-deps ui-deps tools ui run test lint fmt-check clippy check-ui \
        rust-tests bindings-check ui-tests bench clean package package-check

help:
	@echo "make run    build the UI and open Paydesk"
	@echo "make test   everything CI runs: fmt, clippy, Rust tests, UI tests, bindings, end-to-end"
	@echo "make lint   fmt, clippy and the UI type check only"
	@echo "make bench  the benchmarks (figures go in BENCHMARKS.md)"
	@echo "make package        the installers: a .deb and an .rpm (MSI and NSIS build on Windows)"
	@echo "make package-check  install the .deb here (as root) and open it under Xvfb"

## ---- what a fresh machine needs -------------------------------------------

deps: system-deps ui-deps tools

system-deps:
	@scripts/ensure-system-deps.sh

ui-deps: $(UI_DEPS)
$(UI_DEPS): ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

tools: $(TAURI_DRIVER)
$(TAURI_DRIVER):
	$(CARGO) install tauri-driver --locked --version '^2.0' --root $(TOOLS)

## ---- build and run -------------------------------------------------------

ui: ui-deps
	cd ui && npm run build

run: system-deps ui
	$(CARGO) build --workspace
	PAYDESK_SANDBOX=1 $(SESSION) target/debug/paydesk

## ---- checks --------------------------------------------------------------

fmt-check:
	$(CARGO) fmt --all --check

clippy: ui
	$(CARGO) clippy --workspace --all-targets -- -D warnings

check-ui: ui-deps
	cd ui && npm run check

lint: fmt-check clippy check-ui

# One build of the workspace serves the app binary, the end-to-end tests and
# every crate's tests. All Rust tests run in a private desktop session: a real
# gnome-keyring on a private D-Bus, and the real window on Xvfb. Benchmarks are
# left to `make bench` (with harness = false, `--all-targets` would run them here).
TEST_TARGETS := --lib --bins --tests --examples

# The core's suite then runs a second time on PostgreSQL: a server the tests
# start themselves (paydesk-testdb), one database per test.
rust-tests: deps ui
	$(CARGO) build --workspace $(TEST_TARGETS)
	$(SESSION) --isolated $(CARGO) test --workspace $(TEST_TARGETS) --no-fail-fast
	PAYDESK_TEST_STORE=postgres $(SESSION) --isolated $(CARGO) test -p paydesk-core --test core --no-fail-fast

# ts-rs rewrites ui/src/bindings during `cargo test`: any difference from what is
# committed means someone changed a Rust view type without committing its bindings.
bindings-check:
	@if ! git diff --quiet -- ui/src/bindings || [ -n "$$(git ls-files --others --exclude-standard ui/src/bindings)" ]; then \
	  echo "ui/src/bindings is stale: commit the files 'cargo test' regenerated:"; \
	  git status --short -- ui/src/bindings; git --no-pager diff --stat -- ui/src/bindings; exit 1; \
	fi
	@echo "bindings are fresh"

ui-tests: ui-deps
	cd ui && npm test

test: deps fmt-check clippy rust-tests bindings-check check-ui ui-tests
	@echo "make test: all checks passed"

# Benchmarks build in release mode; only the crates that have benchmarks are built.
bench: ui-deps tools
	$(CARGO) bench -p govpay --bench decode
	$(CARGO) bench -p govpay --bench paging
	$(CARGO) bench -p govpay-sim --bench search
	$(CARGO) bench -p paydesk-core --bench cache
	cd ui && npm run build
	$(CARGO) build --release -p paydesk
	PAYDESK_APP_BINARY=$(CURDIR)/target/release/paydesk scripts/desktop-session.sh --isolated \
	  $(CARGO) bench -p paydesk-e2e --bench search_window

## ---- installers ------------------------------------------------------------

$(TAURI_CLI):
	$(CARGO) install tauri-cli --locked --version '^2' --root $(TOOLS)

# Tauri's bundler builds the release app with the UI inside it, then the .deb
# and .rpm (the MSI and NSIS configurations in src-tauri/tauri.conf.json need
# a Windows machine). Unsigned: a department signs with its own keys.
package: system-deps ui $(TAURI_CLI)
	cd src-tauri && CI=true $(TAURI_CLI) build --bundles deb,rpm
	@ls -1 target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm

# CI: the .deb installed with dpkg on this machine, and the installed app
# opened under Xvfb by the end-to-end harness, as far as its sandbox.
package-check: tools
	scripts/check-package.sh

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules
