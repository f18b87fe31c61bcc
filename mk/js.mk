# The npm package `revocable` (js/): built from source (cargo -> wasm-bindgen -> wasm-opt ->
# CommonJS bundles, js/scripts/build.mjs) and tested: the bindings in headless Chromium
# (wasm-bindgen-test), then every node --test suite in js/test/ (algorithms, vectors, error
# codes, remote JWKS, revocation feed, Express, lifecycle, and the packed package in Node ESM/CJS,
# TypeScript, an esbuild bundle in Chromium and a worker under wrangler dev).

JS_DIR := $(ROOT)/js
JS_LOGS := $(ROOT)/target/make-logs

.PHONY: js-deps build-js test-js test-wasm-browser test-js-node test-verifier-node

# devDependencies (jose, express, fast-jwt, typescript...) from the committed lock file.
$(JS_DIR)/node_modules/.package-lock.json: $(JS_DIR)/package-lock.json $(JS_DIR)/package.json
	@echo "== npm ci (js/)"
	cd "$(JS_DIR)" && npm ci --no-audit --no-fund
	@touch "$@"

js-deps: $(JS_DIR)/node_modules/.package-lock.json

## Build the npm package from source into js/dist/ (git-ignored).
build-js: tools
	@echo "== build the npm package (js/scripts/build.mjs)"
	node "$(JS_DIR)/scripts/build.mjs"

# wasm-bindgen-test suite of revocable-wasm in headless Chromium (runner: .cargo/config.toml).
test-wasm-browser: tools
	@echo "== cargo test -p revocable-wasm --target wasm32-unknown-unknown (headless Chromium)"
	@mkdir -p "$(JS_LOGS)"
	cargo test -p revocable-wasm --target wasm32-unknown-unknown 2>&1 | tee "$(JS_LOGS)/test-wasm-browser.log"
	@awk '/^test result:/ { pass += $$4; fail += $$6; ign += $$8 } \
	  END { printf "wasm (wasm-bindgen-test, headless Chromium): %d passed, %d failed, %d ignored\n", pass, fail, ign }' \
	  "$(JS_LOGS)/test-wasm-browser.log" | tee -a "$(TEST_SUMMARY)"

# Every node --test suite, against the freshly built package. A hung test fails after 2 min.
test-js-node: build-js js-deps
	@echo "== node --test (js/test/)"
	@mkdir -p "$(JS_LOGS)"
	cd "$(JS_DIR)" && node --test --test-reporter=spec --test-timeout=120000 test/*.test.mjs 2>&1 | tee "$(JS_LOGS)/test-js.log"
	@awk '/^ℹ tests / { t = $$3 } /^ℹ pass / { p = $$3 } /^ℹ fail / { f = $$3 } /^ℹ skipped / { s = $$3 } \
	  END { printf "js (node --test, js/test/): %d tests, %d passed, %d failed, %d skipped\n", t, p, f, s }' \
	  "$(JS_LOGS)/test-js.log" | tee -a "$(TEST_SUMMARY)"

# tests/verifier: the built package against hostile JWKS and feed servers (local servers on
# fixed ports 18500-18519, so one file at a time) and its cache against an uncached verifier.
test-verifier-node: build-js
	@echo "== node --test tests/verifier (the verifier under fault, the verified-token cache)"
	@mkdir -p "$(JS_LOGS)"
	cd "$(ROOT)/tests/verifier" && node --test --test-concurrency=1 --test-reporter=spec --test-timeout=600000 *.test.mjs 2>&1 \
	  | tee "$(JS_LOGS)/test-verifier-node.log"
	@awk '/^ℹ (tests|pass|fail|skipped) [0-9]+$$/ { n[$$2] = $$3 } \
	  END { printf "verifier under fault (node --test, tests/verifier): %d tests, %d passed, %d failed, %d skipped\n", n["tests"], n["pass"], n["fail"], n["skipped"] }' \
	  "$(JS_LOGS)/test-verifier-node.log" | tee -a "$(TEST_SUMMARY)"

## Build the package and run all of its tests (browser bindings, Node/package suites, faults).
test-js: test-wasm-browser test-js-node test-verifier-node

TEST_TARGETS += test-js
