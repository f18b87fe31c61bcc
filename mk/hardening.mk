# Hardening: fuzzing, property tests, and the suites that attack the running system.
#
#   make fuzz                 every cargo-fuzz target for FUZZ_SECONDS (default 60) each, one after
#                             the other; non-zero exit on a crash (input in fuzz/artifacts/<target>/)
#   make fuzz-<target>        one target: token, jwk, claims_policy, revocation_feed, issuer_request
#   make test-hardening       (part of `make test`) each fuzz target for FUZZ_SMOKE_SECONDS (default 4)
#                             plus its past findings (fuzz/regressions/), and the proptest properties
#
# The suites that attack the running parts are with the part they test: the issuer's bad input,
# load and crash in tests/issuer (mk/issuer.mk), the verifier under fault and its cache in
# tests/verifier (mk/js.mk).
#
# cargo-fuzz is installed pinned into .tools/bin by fuzz/scripts/install-cargo-fuzz.sh; the fuzz
# crate (fuzz/) has its own workspace, lock file and target dir. fuzz/README.md has the details.

HARDENING_LOGS := $(ROOT)/target/make-logs
FUZZ_TARGETS := token jwk claims_policy revocation_feed issuer_request
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4

.PHONY: fuzz $(addprefix fuzz-,$(FUZZ_TARGETS)) test-hardening test-hardening-fuzz test-hardening-props

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

test-hardening: test-hardening-fuzz test-hardening-props

TEST_TARGETS += test-hardening
