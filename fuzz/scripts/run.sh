#!/usr/bin/env bash
# Runs the cargo-fuzz targets, one after the other, each for a bounded time; exits non-zero when
# any target crashes (a panic, a failed invariant, a timeout or an out-of-memory), leaving the
# input in fuzz/artifacts/<target>/.
#
# Usage: fuzz/scripts/run.sh SECONDS [TARGET...]      (default: every target)
# Environment:
#   FUZZ_SANITIZER   none (default) or address: the targets are safe Rust (the crates forbid
#                    `unsafe`), so the default buys executions; address needs a nightly rustc
#                    (or RUSTC_BOOTSTRAP=1, set below when no nightly is installed).
#   FUZZ_SUMMARY     a file to append one result line per target to (make test's summary).
#   FUZZ_NICE        niceness of the fuzzing processes (default 10: the machine is shared).
#
# Before fuzzing, every input in fuzz/regressions/<target>/ (the inputs of past findings) runs
# once: a fixed bug that comes back fails here first.
source "$(dirname "$0")/../../scripts/lib.sh"

seconds="${1:?usage: fuzz/scripts/run.sh SECONDS [TARGET...]}"
shift
ALL_TARGETS=(token jwk claims_policy revocation_feed issuer_request)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
FUZZ_DIR="$ROOT/fuzz"
sanitizer="${FUZZ_SANITIZER:-none}"
niceness="${FUZZ_NICE:-10}"

bash "$FUZZ_DIR/scripts/install-cargo-fuzz.sh"
export PATH="$TOOLS_DIR/bin:$PATH"

# libFuzzer's instrumentation flags are stable rustc flags; only the sanitizers need `-Z`. Use a
# nightly toolchain when rustup has one, else the default one with RUSTC_BOOTSTRAP=1, which
# lets a stable rustc accept `-Z` (checked with rustc 1.95: both build and run the targets).
toolchain=()
if command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
host="$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')"

node "$FUZZ_DIR/scripts/seed-corpora.mjs" >/dev/null

say "cargo fuzz build (${toolchain[*]:-default toolchain, RUSTC_BOOTSTRAP=1}, sanitizer $sanitizer)"
mkdir -p "$FUZZ_DIR/target"
build_log="$FUZZ_DIR/target/build.log"
one=()
[[ ${#targets[@]} -eq 1 ]] && one=("${targets[0]}")
if ! (cd "$FUZZ_DIR" && nice -n "$niceness" cargo "${toolchain[@]}" fuzz build --sanitizer "$sanitizer" "${one[@]}") >"$build_log" 2>&1; then
  tail -n 60 "$build_log" >&2
  die "cargo fuzz build failed (log $build_log)"
fi

failed=()
for target in "${targets[@]}"; do
  bin="$FUZZ_DIR/target/$host/release/$target"
  [[ -x "$bin" ]] || die "no fuzz binary $bin"
  corpus="$FUZZ_DIR/corpus/$target"
  artifacts="$FUZZ_DIR/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  args=(-artifact_prefix="$artifacts/" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  case "$target" in
    token) args+=(-max_len=17000) ;;
    issuer_request) args+=(-dict="$FUZZ_DIR/dict/http.dict") ;;
    *) args+=(-dict="$FUZZ_DIR/dict/jose.dict") ;;
  esac

  regressions=("$FUZZ_DIR/regressions/$target"/*)
  if [[ -e "${regressions[0]}" ]]; then
    if ! "$bin" "${args[@]}" "${regressions[@]}" >"$artifacts/regressions.log" 2>&1; then
      tail -n 40 "$artifacts/regressions.log" >&2
      failed+=("$target (regression input)")
      continue
    fi
  fi

  before="$(find "$corpus" -type f | wc -l)"
  log="$artifacts/last-run.log"
  start="$(date +%s)"
  rc=0
  nice -n "$niceness" "$bin" "${args[@]}" -max_total_time="$seconds" "$corpus" >"$log" 2>&1 || rc=$?
  took=$(($(date +%s) - start))
  after="$(find "$corpus" -type f | wc -l)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  if [[ "$rc" -ne 0 ]]; then
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" >&2 || tail -n 40 "$log" >&2
    line="fuzz $target: CRASH after ${took}s (exit $rc), ${execs:-?} executions; input in fuzz/artifacts/$target/, log $log"
    failed+=("$target")
  else
    line="fuzz $target: ${execs:-?} executions in ${took}s (${rate:-?}/s), corpus $before -> $after, no crash"
  fi
  echo "$line"
  [[ -n "${FUZZ_SUMMARY:-}" ]] && echo "$line" >>"$FUZZ_SUMMARY"
done

[[ ${#failed[@]} -eq 0 ]] || die "fuzzing found crashes in: ${failed[*]}"
