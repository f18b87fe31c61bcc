# The issuer worker (crates/issuer, its wasm entry points crates/issuer/cdylib), its local keys
# (crates/keygen) and its tests.
#
#   make issuer-worker   build crates/issuer/build/ with worker-build (wrangler.toml's [build] runs this)
#   make issuer-size     the worker's wasm size: raw, gzip -9, brotli (js/bench/issuer-size.mjs)
#   make keys            write .dev.vars (SIGNING_KEYS + ISSUER_SERVICE_KEY + FEED_KEY) if it is
#                        missing; add FEED_KEY to an existing one that lacks it
#   make rotate-keys     add a new signing key to .dev.vars (the old ones stay published)
#   make test-issuer     native unit/integration tests, then tests/issuer in workerd: the API
#                        flows, concurrency, persistence, bad input, load and a crash

CARGO ?= cargo
ISSUER_DIR := $(ROOT)/crates/issuer
# The crate worker-build compiles: the fetch handler and the Durable Object classes, over the
# library revocable-issuer.
ISSUER_CDYLIB_DIR := $(ISSUER_DIR)/cdylib
ISSUER_WORKER := $(ISSUER_DIR)/build/index.js
ISSUER_WASM := $(ISSUER_DIR)/build/index_bg.wasm
ISSUER_E2E_DIR := $(ROOT)/tests/issuer
# Everything the worker's wasm is built from: a change to any of these rebuilds it.
ISSUER_SOURCES := $(shell find $(ISSUER_DIR)/src $(ISSUER_CDYLIB_DIR)/src $(ROOT)/crates/core/src -name '*.rs' 2>/dev/null) \
	$(ISSUER_DIR)/Cargo.toml $(ISSUER_CDYLIB_DIR)/Cargo.toml $(ROOT)/crates/core/Cargo.toml \
	$(ROOT)/Cargo.toml $(ROOT)/Cargo.lock

.PHONY: issuer-worker issuer-size keys rotate-keys test-issuer test-issuer-rust test-issuer-e2e issuer-e2e-deps

issuer-worker: $(ISSUER_WORKER)

# The features worker-build enables for its wasm-opt run (worker-build 0.8.7, step_run_wasm_opt):
# the second pass below must parse the same module and write nothing newer.
ISSUER_WASM_FEATURES := --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
	--enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling

# worker-build: cargo build for wasm32 with the root Cargo.toml's `release-issuer` profile (every
# crate at opt-level "z", LTO), wasm-bindgen, wasm-opt -Oz, esbuild; the three binaries come from
# WASM_BINDGEN_BIN / WASM_OPT_BIN / ESBUILD_BIN (mk/tools.mk). Its output goes to
# crates/issuer/build/ (wrangler.toml `main`). worker-build keeps the wasm's name section (it
# runs wasm-opt with --debuginfo); a second wasm-opt pass strips it (function names only label
# the frames of a stack trace, and a wasm panic here aborts the request either way) and runs
# -Oz once more, which finds a little more on -Oz's own output (docs/benchmarks-history.md).
$(ISSUER_WORKER): $(ISSUER_SOURCES) | tools
	@echo "== worker-build --profile release-issuer (crates/issuer/cdylib -> crates/issuer/build)"
	cd $(ISSUER_CDYLIB_DIR) && worker-build --profile release-issuer --out-dir ../build
	@# worker-build's index.js is already newer than the sources: remove it if this pass fails.
	wasm-opt $(ISSUER_WASM_FEATURES) --strip-debug -Oz $(ISSUER_WASM) -o $(ISSUER_WASM) || { rm -f $@; exit 1; }
	@touch $@
	@echo "== issuer wasm: $$(wc -c < $(ISSUER_WASM)) bytes raw, $$(gzip -9 -c $(ISSUER_WASM) | wc -c) bytes gzip"

## The issuer wasm's size (raw, gzip -9, brotli -11), also written into docs/benchmarks.md
## (its issuer-size block; `make bench` puts the gzip figure into the targets table).
issuer-size: issuer-worker
	node "$(ROOT)/js/bench/issuer-size.mjs" "$(ISSUER_WASM)" --write="$(ROOT)/docs/benchmarks.md"

# A .dev.vars that has no FEED_KEY line gets one: keygen, run on an existing file, appends it
# and leaves the other keys as they are.
keys: $(ROOT)/.dev.vars
	@if ! grep -q '^FEED_KEY=' "$(ROOT)/.dev.vars"; then \
	  echo "== revocable-keygen: adding FEED_KEY (the read-only feed key) to .dev.vars"; \
	  $(CARGO) run -q -p revocable-keygen -- --out "$(ROOT)/.dev.vars"; \
	fi

$(ROOT)/.dev.vars:
	@echo "== revocable-keygen: writing .dev.vars (local signing key, service key and feed key)"
	$(CARGO) run -q -p revocable-keygen -- --out $@

rotate-keys: keys
	$(CARGO) run -q -p revocable-keygen -- --rotate --out $(ROOT)/.dev.vars

test-issuer: test-issuer-rust test-issuer-e2e

# Also part of the workspace's `cargo test` (mk/rust.mk); run here on their own (already
# compiled: seconds) so the issuer's counts show separately in the summary.
test-issuer-rust:
	@echo "== cargo test -p revocable-issuer -p revocable-keygen"
	@mkdir -p "$(dir $(TEST_SUMMARY))"
	$(CARGO) test -p revocable-issuer -p revocable-keygen 2>&1 | tee "$(dir $(TEST_SUMMARY))test-issuer-rust.log"
	@awk '/^test result:/ { pass += $$4; fail += $$6; ign += $$8; bins++ } \
	  END { printf "issuer + keygen (cargo test, native; included in the workspace total): %d passed, %d failed, %d ignored, in %d test binaries\n", pass, fail, ign, bins }' \
	  "$(dir $(TEST_SUMMARY))test-issuer-rust.log" | tee -a "$(TEST_SUMMARY)"

# jose for the end-to-end tests, pinned in tests/issuer/package-lock.json.
$(ISSUER_E2E_DIR)/node_modules/.package-lock.json: $(ISSUER_E2E_DIR)/package-lock.json
	npm ci --prefix $(ISSUER_E2E_DIR) --no-audit --no-fund
	@touch $@

issuer-e2e-deps: $(ISSUER_E2E_DIR)/node_modules/.package-lock.json

# Starts `wrangler dev` itself (ports 18541 and 18700-18799, inspectors +50, a temporary
# --persist-to), so it needs the built worker, the keygen binary and jose. One file at a time.
test-issuer-e2e: issuer-worker issuer-e2e-deps
	@echo "== node --test tests/issuer (the built worker in workerd via wrangler dev)"
	$(CARGO) build -q -p revocable-keygen
	@# The package's own verifier checks the issued tokens too (revocable-package.test.mjs).
	@[[ -f "$(ROOT)/js/dist/wasm/node.mjs" ]] || $(MAKE) build-js
	@mkdir -p "$(dir $(TEST_SUMMARY))"
	cd $(ISSUER_E2E_DIR) && node --test --test-concurrency=1 --test-reporter=spec --test-timeout=600000 *.test.mjs 2>&1 \
	  | tee "$(dir $(TEST_SUMMARY))test-issuer-e2e.log"
	@log="$(dir $(TEST_SUMMARY))test-issuer-e2e.log"; \
	  awk '/^ℹ (tests|pass|fail|skipped) [0-9]+$$/ { n[$$2] = $$3 } \
	    END { printf "issuer end-to-end (node --test, workerd): %d tests, %d passed, %d failed, %d skipped\n", n["tests"], n["pass"], n["fail"], n["skipped"] }' \
	    "$$log" | tee -a "$(TEST_SUMMARY)"; \
	  grep -E '^# (concurrency|refresh latency|revocation reached|bad input|load)' "$$log" | sed 's/^# /issuer: /' | tee -a "$(TEST_SUMMARY)"

TEST_TARGETS += test-issuer
