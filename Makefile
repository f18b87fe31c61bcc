# revocable: the two commands a newcomer needs are `make dev` and `make test`.
#
# Each part keeps its targets in mk/<part>.mk and appends its test target to TEST_TARGETS,
# so `make test` runs every part's tests in order. Tools are installed on demand into
# git-ignored project folders (.tools/, tools/node_modules/), pinned to exact versions
# (mk/tools.mk, scripts/install-tools.sh, docs/toolchain.md).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory
# The parts share target/, fixed local ports and wrangler's local state, and later parts use what
# earlier ones built: run targets one at a time, in order, even under `make -j`.
.NOTPARALLEL:

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Parts register their test targets here (in mk/*.mk), in the order they should run.
TEST_TARGETS :=
# Each test runner appends its one-line result here (`... | tee -a $(TEST_SUMMARY)`), so the end
# of `make test` shows every runner's counts together.
TEST_SUMMARY := $(ROOT)/target/make-logs/test-summary.txt

include mk/tools.mk
include mk/rust.mk
-include mk/js.mk
-include mk/issuer.mk
-include mk/e2e.mk
-include mk/hardening.mk
-include mk/bench.mk

.PHONY: help test test-summary-reset
help:
	@echo "make dev            run the issuer and the example app locally (generates local keys)"
	@echo "make test           install what is missing, build, and run every test"
	@echo "make tools          install the pinned build tools only (.tools/, tools/node_modules/, apt)"
	@echo "make tools-versions print the version of every tool"
	@echo "make clean-tools    remove .tools/ and tools/node_modules/ (reinstalled on demand)"
	@echo "make gateway        the edge gateway (workerd) in front of make dev's app"
	@echo "make keys           local keys into .dev.vars (make rotate-keys: add a new signing key)"
	@echo "make build-js       build the npm package from source into js/dist/"
	@echo "make bench          verify benchmarks against fast-jwt, jsonwebtoken, jose; wasm sizes; issuer load"
	@echo "make issuer-size    the issuer worker's wasm size (raw, gzip -9, brotli) into docs/benchmarks.md"
	@echo "make fuzz           every fuzz target for FUZZ_SECONDS (default 60) each"

## Install what is missing, build, and run every test.
test: test-summary-reset tools $(TEST_TARGETS)
	@echo "== make test: all test targets passed: $(TEST_TARGETS)"
	@if [[ -s "$(TEST_SUMMARY)" ]]; then echo "== summary"; cat "$(TEST_SUMMARY)"; fi

test-summary-reset:
	@mkdir -p "$(dir $(TEST_SUMMARY))" && : > "$(TEST_SUMMARY)"
