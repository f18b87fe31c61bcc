# Rust workspace checks: format, lints, native tests, wasm32 build of the core.
CARGO ?= cargo

.PHONY: fmt-check clippy test-rust build-core-wasm
fmt-check:
	@echo "== cargo fmt --check"
	$(CARGO) fmt --all -- --check

clippy:
	@echo "== cargo clippy -D warnings"
	$(CARGO) clippy --workspace --all-targets -- -D warnings

build-core-wasm:
	@echo "== cargo build -p revocable-core --target wasm32-unknown-unknown"
	$(CARGO) build -p revocable-core --target wasm32-unknown-unknown

test-rust:
	@echo "== cargo test (workspace, native)"
	$(CARGO) test --workspace

TEST_TARGETS += fmt-check clippy build-core-wasm test-rust
