# Tools: everything the build and the tests need, installed on demand by scripts/install-tools.sh,
# pinned to exact versions, into git-ignored project folders (nothing global but apt packages):
#   .tools/bin/           wasm-bindgen, wasm-bindgen-test-runner (= wasm-bindgen in Cargo.lock),
#                         worker-build (= the worker crate)
#   tools/node_modules/   wrangler, esbuild, wasm-opt (binaryen), from tools/package-lock.json
#   apt                   chromium, chromium-driver (only when /usr/bin/chromium(driver) is missing)
# docs/toolchain.md explains each piece and the recipes that use them.

TOOLS_DIR := $(ROOT)/.tools
TOOLS_BIN := $(TOOLS_DIR)/bin
NODE_TOOLS_BIN := $(ROOT)/tools/node_modules/.bin

# Recipes find the pinned tools before anything installed globally.
export PATH := $(TOOLS_BIN):$(NODE_TOOLS_BIN):$(PATH)
# worker-build uses these instead of downloading its own copies from GitHub (it prints
# "Using custom ..." for each); the wasm-bindgen CLI must equal the crate's version anyway.
export WASM_BINDGEN_BIN := $(TOOLS_BIN)/wasm-bindgen
export WASM_OPT_BIN := $(NODE_TOOLS_BIN)/wasm-opt
export ESBUILD_BIN := $(NODE_TOOLS_BIN)/esbuild
# wasm-bindgen-test-runner drives headless Chromium through this WebDriver. Its default limits
# (5 s for the driver to start, 20 s per test) are tight on a loaded 2-core CI machine.
export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT ?= 30
export WASM_BINDGEN_TEST_TIMEOUT ?= 60
# wrangler: no metrics prompt or upload from tests and CI, and no fetch of the `Request.cf`
# placeholder from workers.cloudflare.com (unreachable here: up to 3 s lost and a warning per start).
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false

.PHONY: tools clean-tools tools-versions

## Install whatever is missing (a no-op, well under a second, when all is in place).
tools:
	@bash scripts/install-tools.sh

## Remove the project-local tools (apt packages stay); the next `make tools` reinstalls them.
clean-tools:
	rm -rf "$(TOOLS_DIR)" "$(ROOT)/tools/node_modules"

## Print the version of every tool the build uses.
tools-versions:
	@echo "rustc:                    $$(rustc --version)"
	@echo "cargo:                    $$(cargo --version)"
	@echo "wasm-bindgen:             $$(wasm-bindgen --version)"
	@echo "wasm-bindgen-test-runner: $$(wasm-bindgen-test-runner --version)"
	@echo "worker-build:             $$(worker-build --version)"
	@echo "node:                     $$(node --version)"
	@echo "wrangler:                 $$(wrangler --version | tail -n 1)"
	@echo "esbuild:                  $$(esbuild --version)"
	@echo "wasm-opt:                 $$(wasm-opt --version)"
	@echo "chromium:                 $$(/usr/bin/chromium --version 2>/dev/null || echo missing)"
	@echo "chromedriver:             $$($(CHROMEDRIVER) --version 2>/dev/null || echo missing)"
