# Hardening: fuzzing, property tests, and the suites that attack the running system.
#
#   make fuzz                 every cargo-fuzz target for FUZZ_SECONDS (default 60) each, one after
#                             the other; non-zero exit on a crash (input in fuzz/artifacts/<target>/)
#   make fuzz-<target>        one target: token, jwk, claims_policy, revocation_feed, issuer_request
#   make test-hardening       (part of `make test`) each fuzz target for FUZZ_SMOKE_SECONDS (default 4)
#                             plus its past findings (fuzz/regressions/), the proptest properties, and
#                             node --test tests/hardening (bad input, load and a crash of the issuer,
#                             the verifier under fault, the verified-token cache)
#
# cargo-fuzz is installed pinned into .tools/bin by fuzz/scripts/install-cargo-fuzz.sh; the fuzz
# crate (fuzz/) has its own workspace, lock file and target dir. fuzz/README.md has the details.

HARDENING_DIR := $(ROOT)/tests/hardening
HARDENING_LOGS := $(ROOT)/target/make-logs
FUZZ_TARGETS := token jwk claims_policy revocation_feed issuer_request
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4

.PHONY: fuzz $(addprefix fuzz-,$(FUZZ_TARGETS)) test-hardening test-hardening-fuzz test-hardening-props test-hardening-node

## Every fuzz target for FUZZ_SECONDS each (e.g. make fuzz FUZZ_SECONDS=600).
fuzz:
	@echo "== fuzz: $(FUZZ_TARGETS), $(FUZZ_SECONDS) s each"
	bash "$(ROOT)/fuzz/scripts/run.sh" $(FUZZ_SECONDS)

$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%:
	bash "$(ROOT)/fuzz/scripts/run.sh" $(FUZZ_SECONDS) $*

# A few seconds per target, so the harness (targets, seeds, build, toolchain) cannot rot; the
# past findings run first. One summary line per target.
test-hardening-fuzz:
	@echo "== fuzz smoke run: $(FUZZ_TARGETS), $(FUZZ_SMOKE_SECONDS) s each"
	@mkdir -p "$(dir $(TEST_SUMMARY))"
	FUZZ_SUMMARY="$(TEST_SUMMARY)" bash "$(ROOT)/fuzz/scripts/run.sh" $(FUZZ_SMOKE_SECONDS)
	@# The harness's own unit tests (its reference model of the claim rules).
	cd "$(ROOT)/fuzz" && $(CARGO) test --lib 2>&1 | tee "$(dir $(TEST_SUMMARY))test-fuzz-lib.log"
	@awk '/^test result:/ { pass += $$4; fail += $$6 } \
	  END { printf "fuzz harness unit tests (cargo test --lib in fuzz/): %d passed, %d failed\n", pass, fail }' \
	  "$(dir $(TEST_SUMMARY))test-fuzz-lib.log" | tee -a "$(TEST_SUMMARY)"

# The proptest properties alone (they also run in test-rust), so their counts show here.
test-hardening-props:
	@echo "== proptest properties (revocable-core, revocable-issuer, the verified-token cache)"
	@mkdir -p "$(HARDENING_LOGS)"
	$(CARGO) test -p revocable-core --all-features --test verify properties 2>&1 | tee "$(HARDENING_LOGS)/test-hardening-props.log"
	$(CARGO) test -p revocable-issuer --test issuer properties 2>&1 | tee -a "$(HARDENING_LOGS)/test-hardening-props.log"
	$(CARGO) test -p revocable-wasm --lib cache::properties 2>&1 | tee -a "$(HARDENING_LOGS)/test-hardening-props.log"
	@awk '/^test result:/ { pass += $$4; fail += $$6 } \
	  END { printf "hardening proptest properties (core + issuer + cache, also in the rust total): %d passed, %d failed\n", pass, fail }' \
	  "$(HARDENING_LOGS)/test-hardening-props.log" | tee -a "$(TEST_SUMMARY)"

# The issuer suites start the built worker under wrangler dev (ports 18540-18541, inspector
# +50); the verifier suites use the built npm package (js/dist: built by test-js earlier in
# `make test`, here only when missing) and local servers on 18500-18519.
test-hardening-node: issuer-worker
	@echo "== node --test tests/hardening"
	$(CARGO) build -q -p revocable-keygen
	@[[ -f "$(ROOT)/js/dist/wasm/node.mjs" ]] || $(MAKE) build-js
	@mkdir -p "$(HARDENING_LOGS)"
	cd "$(HARDENING_DIR)" && node --test --test-concurrency=1 --test-reporter=spec --test-timeout=600000 *.test.mjs 2>&1 \
	  | tee "$(HARDENING_LOGS)/test-hardening-node.log"
	@log="$(HARDENING_LOGS)/test-hardening-node.log"; \
	  awk '/^ℹ (tests|pass|fail|skipped) [0-9]+$$/ { n[$$2] = $$3 } \
	    END { printf "hardening (node --test tests/hardening): %d tests, %d passed, %d failed, %d skipped\n", n["tests"], n["pass"], n["fail"], n["skipped"] }' \
	    "$$log" | tee -a "$(TEST_SUMMARY)"; \
	  grep -E '^# (bad input|load)' "$$log" | sed 's/^# /hardening: /' | tee -a "$(TEST_SUMMARY)"

test-hardening: test-hardening-fuzz test-hardening-props test-hardening-node

TEST_TARGETS += test-hardening
