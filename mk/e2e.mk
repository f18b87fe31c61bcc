# The whole system, end to end: `make dev`, the examples (js/examples) and their tests (tests/e2e).
#
#   make dev            build what is missing, then run the issuer (wrangler dev, :8787) and the
#                       example Express app (:3000) until Ctrl-C (scripts/dev.sh)
#   make gateway        run the edge-gateway example worker (:8789) in front of the example app,
#                       against the issuer of a running `make dev`
#   make examples-deps  npm ci in js/examples/express and js/examples/edge-gateway
#   make test-e2e       tests/e2e: the README's tour, logout reaching the access token, the
#                       gateway in workerd, Ctrl-C stopping everything

EXAMPLES_DIR := $(ROOT)/js/examples
E2E_DIR := $(ROOT)/tests/e2e
E2E_LOG := $(ROOT)/target/make-logs/test-e2e.log
# The gateway (make gateway); the issuer and origin default to `make dev`'s.
GATEWAY_PORT ?= 8789
GATEWAY_INSPECTOR_PORT ?= $(shell echo $$(( $(GATEWAY_PORT) + 1 )))
GATEWAY_ISSUER_URL ?= http://127.0.0.1:$(or $(ISSUER_PORT),8787)
GATEWAY_ORIGIN_URL ?= http://127.0.0.1:$(or $(APP_PORT),3000)
GATEWAY_DEV_VARS ?= $(or $(DEV_VARS),$(ROOT)/.dev.vars)
REVOCATION_INTERVAL_MS ?= 5000
# SKIP_BUILD=1: `make dev` / `make gateway` without the builds (the tests run them right after
# test-e2e's own prerequisites built everything). With DEV_VARS set, `make keys` is skipped too.
DEV_BUILD := $(if $(SKIP_BUILD),,build-js issuer-worker)
GATEWAY_VARS := $(ROOT)/target/gateway-$(GATEWAY_PORT).dev.vars

.PHONY: dev dev-keygen gateway examples-deps test-e2e

# Each example's dependencies (express; revocable itself is a link to js/) from its lock file.
$(EXAMPLES_DIR)/%/node_modules/.package-lock.json: $(EXAMPLES_DIR)/%/package-lock.json $(EXAMPLES_DIR)/%/package.json
	@echo "== npm ci (js/examples/$*)"
	cd "$(EXAMPLES_DIR)/$*" && npm ci --no-audit --no-fund
	@touch "$@"

examples-deps: $(EXAMPLES_DIR)/express/node_modules/.package-lock.json $(EXAMPLES_DIR)/edge-gateway/node_modules/.package-lock.json

## Build what is missing, generate local keys if absent, run the issuer and the example app.
dev: tools $(DEV_BUILD) $(if $(DEV_VARS),,dev-keygen keys) examples-deps
	@bash "$(ROOT)/scripts/dev.sh"

# `make keys` compiles revocable-keygen quietly (cargo run -q): a silent minute or two on a
# fresh machine. When it has keys to write, build it first with cargo's progress output.
dev-keygen:
	@if [[ ! -f "$(ROOT)/.dev.vars" ]] || ! grep -q '^FEED_KEY=' "$(ROOT)/.dev.vars"; then \
	  echo "== cargo build -p revocable-keygen (generates the local keys, .dev.vars)"; \
	  $(CARGO) build -p revocable-keygen; \
	fi

## The edge gateway under wrangler dev, in front of `make dev`'s app. Its only secret, the
## issuer's read-only feed key (FEED_KEY), is copied from .dev.vars into a file of its own (the
## gateway never sees the signing keys or the service key).
gateway: tools $(if $(SKIP_BUILD),,build-js) examples-deps
	@test -f "$(GATEWAY_DEV_VARS)" || { echo "make gateway: $(GATEWAY_DEV_VARS) is missing: run make dev first" >&2; exit 1; }
	@mkdir -p "$(ROOT)/target"
	@grep -q '^FEED_KEY=' "$(GATEWAY_DEV_VARS)" || { echo "make gateway: $(GATEWAY_DEV_VARS) has no FEED_KEY: run make keys" >&2; exit 1; }
	@umask 077 && grep '^FEED_KEY=' "$(GATEWAY_DEV_VARS)" > "$(GATEWAY_VARS)"
	@echo "== edge gateway on http://127.0.0.1:$(GATEWAY_PORT) -> $(GATEWAY_ORIGIN_URL) (issuer $(GATEWAY_ISSUER_URL)); Ctrl-C stops it"
	cd "$(EXAMPLES_DIR)/edge-gateway" && exec wrangler dev --ip 127.0.0.1 --port $(GATEWAY_PORT) \
	  --inspector-port $(GATEWAY_INSPECTOR_PORT) --env-file "$(GATEWAY_VARS)" \
	  --var "ISSUER_URL:$(GATEWAY_ISSUER_URL)" --var "ORIGIN_URL:$(GATEWAY_ORIGIN_URL)" \
	  --var "REVOCATION_INTERVAL_MS:$(REVOCATION_INTERVAL_MS)" --show-interactive-dev-session=false

# The tests run `make dev` and `make gateway` themselves (ports 18600-18699, temporary keys and
# state), after this has built everything (js-deps: fastify for the README's Fastify quick
# start), so their own builds are no-ops. One file at a time:
# they share nothing, but each starts workerd and the machine has two cores.
test-e2e: build-js js-deps issuer-worker examples-deps
	@echo "== node --test tests/e2e (make dev, the example app, the edge gateway, the README)"
	$(CARGO) build -q -p revocable-keygen
	@mkdir -p "$(dir $(E2E_LOG))"
	cd "$(E2E_DIR)" && node --test --test-concurrency=1 --test-reporter=spec --test-timeout=900000 *.test.mjs 2>&1 | tee "$(E2E_LOG)"
	@awk '/^ℹ (tests|pass|fail|skipped) [0-9]+$$/ { n[$$2] = $$3 } \
	  END { printf "end to end (node --test, tests/e2e): %d tests, %d passed, %d failed, %d skipped\n", n["tests"], n["pass"], n["fail"], n["skipped"] }' \
	  "$(E2E_LOG)" | tee -a "$(TEST_SUMMARY)"
	@grep -E '^# (revocation latency|gateway revocation)' "$(E2E_LOG)" | sed 's/^# /e2e: /' | tee -a "$(TEST_SUMMARY)" || true

TEST_TARGETS += test-e2e
