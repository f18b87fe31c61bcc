# Rust workspace checks: format, lints (native and wasm32), native tests, wasm32 build of the core.
# A crate that does not compile fails these targets: that is the signal, not something to skip.
CARGO ?= cargo

.PHONY: fmt-check clippy clippy-wasm build-core-wasm test-rust

fmt-check:
	@echo "== cargo fmt --check (workspace)"
	$(CARGO) fmt --all -- --check

# The core's features in the issuer worker's wasm (crates/issuer/Cargo.toml): EC and RSA keys
# signed and checked by workerd's WebCrypto, no curve or RSA code. `--all-features` compiles
# those families in, so this build's own paths are tested on their own (test-rust).
CORE_HOST_KEYS := sign,host-keys
# The core's feature sets besides the workspace's: the EdDSA + HMAC wasm ("-": none), one
# family, signing alone, Node's node-host wasm (host-keys), the issuer worker's, and the
# worker's with one family compiled in.
CORE_FEATURE_SETS := - ecdsa rsa sign host-keys $(CORE_HOST_KEYS) $(CORE_HOST_KEYS),ecdsa $(CORE_HOST_KEYS),rsa

# Every crate, every target (lib, bins, tests, examples, benches), every feature, on the host;
# then the core in each of CORE_FEATURE_SETS.
clippy:
	@echo "== cargo clippy -D warnings (workspace, native, all targets, all features)"
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	@for features in $(CORE_FEATURE_SETS); do \
	  echo "== cargo clippy -D warnings (revocable-core, all targets, --no-default-features --features '$${features#-}')"; \
	  $(CARGO) clippy -q -p revocable-core --all-targets --no-default-features --features "$${features#-}" -- -D warnings; \
	done

# Code under cfg(target_arch = "wasm32") is only compiled, so only linted, for wasm32. Libraries
# and binaries only: test-only dev-dependencies need not build for wasm32.
clippy-wasm:
	@echo "== cargo clippy -D warnings (workspace, wasm32-unknown-unknown, all features)"
	$(CARGO) clippy --workspace --all-features --target wasm32-unknown-unknown -- -D warnings

# The core must stay free of anything that does not compile to wasm32 (IO, clock, OS RNG).
build-core-wasm:
	@echo "== cargo build -p revocable-core --target wasm32-unknown-unknown"
	$(CARGO) build -p revocable-core --target wasm32-unknown-unknown


# Native unit, integration and doc tests; cargo prints one "test result:" line per binary, and
# the total goes to the summary that `make test` prints last.
test-rust:
	@echo "== cargo test (workspace, native, all features)"
	@mkdir -p "$(dir $(TEST_SUMMARY))"
	$(CARGO) test --workspace --all-features 2>&1 | tee "$(dir $(TEST_SUMMARY))test-rust.log"
	@echo "== cargo test -p revocable-core --lib ($(CORE_HOST_KEYS), as in the issuer worker)"
	$(CARGO) test -p revocable-core --lib --no-default-features --features $(CORE_HOST_KEYS) 2>&1 \
	  | tee -a "$(dir $(TEST_SUMMARY))test-rust.log"
	@awk '/^test result:/ { pass += $$4; fail += $$6; ign += $$8; bins++ } \
	  END { printf "rust (cargo test, native): %d passed, %d failed, %d ignored, in %d test binaries\n", pass, fail, ign, bins }' \
	  "$(dir $(TEST_SUMMARY))test-rust.log" | tee -a "$(TEST_SUMMARY)"

TEST_TARGETS += fmt-check clippy clippy-wasm build-core-wasm test-rust
