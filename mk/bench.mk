# make bench: the verify and issuer benchmarks (not part of `make test`: they print ratios,
# nothing is asserted on timings). In one Node process on the same tokens and keys: revocable,
# fast-jwt, jsonwebtoken, jose and Node's raw crypto (the floor) per algorithm, a realistic
# cached workload, the cold start in fresh processes, the wasm size of each build variant and of
# the issuer worker (make issuer-size, mk/issuer.mk), and the targets table; before that, the
# per-phase profile of one verify (bench-phases). Writes the results, with the machine, into
# docs/benchmarks.md (between its markers). Tune with BENCH_ROUNDS and BENCH_ROUND_MS
# (js/bench/measure.mjs).

BENCH_WASM_DIR := $(ROOT)/target/bench-wasm
# The variants build in their own cargo target dir, so the shipped build's artifact stays.
BENCH_CARGO_TARGET := $(ROOT)/target/bench-build
# The immediate-abort variants rebuild std with other flags: a target dir of their own, so the
# two kinds of build do not invalidate each other's artifacts.
BENCH_CARGO_TARGET_STD := $(ROOT)/target/bench-build-std

.PHONY: bench bench-variants bench-issuer bench-phases

# Size variants (never shipped): the EdDSA + HMAC build (revocable-wasm without its default
# ecdsa/rsa features), the same with the size profile (root Cargo.toml `release-small`: slower,
# its verify speed is measured next to fast-jwt's by bench/run.mjs), and both builds with
# panic=immediate-abort (std rebuilt with unstable flags: measured only; skipped with a note
# when the rust-src component is missing).
bench-variants: tools
	@echo "== wasm size variants into target/bench-wasm/"
	rm -rf "$(BENCH_WASM_DIR)"
	CARGO_TARGET_DIR="$(BENCH_CARGO_TARGET)" node "$(ROOT)/js/scripts/build.mjs" --out="$(BENCH_WASM_DIR)/eddsa-hmac" --no-default-features
	CARGO_TARGET_DIR="$(BENCH_CARGO_TARGET)" node "$(ROOT)/js/scripts/build.mjs" --out="$(BENCH_WASM_DIR)/eddsa-hmac-small" --no-default-features --profile=release-small
	@for variant in full eddsa-hmac; do \
	  flags=""; [[ "$$variant" == full ]] || flags="--no-default-features"; \
	  rc=0; CARGO_TARGET_DIR="$(BENCH_CARGO_TARGET_STD)" node "$(ROOT)/js/scripts/build.mjs" \
	    --out="$(BENCH_WASM_DIR)/$$variant-immediate-abort" --panic-immediate-abort $$flags || rc=$$?; \
	  if [[ "$$rc" -eq 3 ]]; then echo "== skipped the immediate-abort variants (rustup component add rust-src)"; break; fi; \
	  [[ "$$rc" -eq 0 ]] || exit "$$rc"; \
	done

## The per-phase profile of one verify (js/bench/phases.mjs): a build with the
## `measure-phases` feature (never shipped) verifies the same token stopped after each phase;
## writes the phases block of docs/benchmarks.md.
BENCH_PHASES_DIR := $(ROOT)/target/bench-wasm-phases
bench-phases: build-js js-deps
	@echo "== per-phase profile (js/bench/phases.mjs)"
	CARGO_TARGET_DIR="$(BENCH_CARGO_TARGET)" node "$(ROOT)/js/scripts/build.mjs" --out="$(BENCH_PHASES_DIR)" --features=measure-phases
	cd "$(ROOT)/js" && node bench/phases.mjs "$(BENCH_PHASES_DIR)" --write="$(ROOT)/docs/benchmarks.md"

## Run the benchmarks (verify, sizes, cold start, the per-phase profile, then the issuer load
## test) and regenerate docs/benchmarks.md. BENCH_ISSUER=0 skips the issuer part;
## BENCH_BEFORE=<dist dir> (a complete build of an earlier version, e.g. another checkout's
## js/dist) times that build next to this one in the same run ("before" columns).
BENCH_ISSUER ?= 1
BENCH_BEFORE ?=
bench: build-js js-deps bench-variants bench-phases issuer-size
	@echo "== benchmarks (js/bench/run.mjs)"
	cd "$(ROOT)/js" && node bench/run.mjs --write="$(ROOT)/docs/benchmarks.md" --variants="$(BENCH_WASM_DIR)" --before="$(BENCH_BEFORE)"
	@if [[ "$(BENCH_ISSUER)" != 0 ]]; then $(MAKE) --no-print-directory bench-issuer; fi

## Issuer load test alone: the built issuer in `wrangler dev` vs a baseline worker (a bare Durable Object)
## (ports 18810-18870); writes the issuer block of docs/benchmarks.md. Closed loops, not
## autocannon/wrk: a refresh token is single-use, so every request carries the token the
## previous answer returned (a replayed request would be reuse).
bench-issuer: tools js-deps
	@echo "== issuer load test (js/bench/issuer-load.mjs)"
	cd "$(ROOT)/js" && node bench/issuer-load.mjs --write="$(ROOT)/docs/benchmarks.md"
