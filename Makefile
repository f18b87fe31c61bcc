# revocable: the two commands a newcomer needs are `make dev` and `make test`.
#
# Each part keeps its targets in mk/<part>.mk and appends its test target to TEST_TARGETS,
# so `make test` runs every part's tests in order. Tools are installed on demand into
# git-ignored project folders (.tools/, tools/node_modules/), pinned to exact versions.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Parts register their test targets here (in mk/*.mk), in the order they should run.
TEST_TARGETS :=

include mk/tools.mk
include mk/rust.mk
-include mk/js.mk
-include mk/issuer.mk
-include mk/e2e.mk

.PHONY: help test
help:
	@echo "make dev    run the issuer and the example app locally (generates local keys)"
	@echo "make test   install what is missing, build, and run every test"

## Install what is missing, build, and run every test.
test: tools $(TEST_TARGETS)
	@echo "== make test: all test targets passed: $(TEST_TARGETS)"
