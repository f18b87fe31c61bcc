#!/usr/bin/env bash
# Installs cargo-fuzz, pinned, into .tools/bin (git-ignored), the way scripts/install-cargo-tools.sh
# installs the other cargo CLIs: under the shared install lock, only when the installed version
# differs, with its own cargo target dir that is removed after a successful install.
#
# Used by `make fuzz` and `make test-hardening` (mk/hardening.mk). Not part of `make tools`:
# only the fuzzing targets need it, and its first install costs about a minute.
source "$(dirname "$0")/../../scripts/lib.sh"
take_install_lock
cd "$ROOT"

# Pinned: cargo-fuzz's command line (`run`, `build`, `-- -max_total_time`) is what mk/hardening.mk
# relies on. Bump here; the next `make fuzz` sees the version differ and reinstalls.
CARGO_FUZZ_VERSION=0.13.2

# libfuzzer-sys compiles libFuzzer (C++) with the `cc` crate: a C++ compiler must exist.
if ! command -v c++ >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1 && ! command -v clang++ >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "no C++ compiler (c++, g++ or clang++) for libFuzzer, and no apt-get to install g++"
  say "installing g++ with apt-get (libFuzzer is C++)"
  root_prefix
  apt=("${ROOT_PREFIX[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  run_logged "apt-get update" "$TOOLS_DIR/logs/apt-update.log" "${apt[@]}" update
  run_logged "apt-get install g++" "$TOOLS_DIR/logs/apt-install-gxx.log" "${apt[@]}" install -y --no-install-recommends g++
fi

if [[ "$(installed_version "$TOOLS_DIR/bin/cargo-fuzz")" == "$CARGO_FUZZ_VERSION" ]]; then
  exit 0
fi
say "installing cargo-fuzz $CARGO_FUZZ_VERSION into .tools (about 1 min)"
# --locked: cargo-fuzz ships a lock file whose versions this registry has; without it a new
# release of a dependency could break the install.
run_logged "cargo install cargo-fuzz@$CARGO_FUZZ_VERSION" "$TOOLS_DIR/logs/cargo-fuzz-install.log" \
  cargo install --root "$TOOLS_DIR" --target-dir "$TOOLS_DIR/cargo-fuzz-target" --force --locked \
  "cargo-fuzz@$CARGO_FUZZ_VERSION"
[[ "$(installed_version "$TOOLS_DIR/bin/cargo-fuzz")" == "$CARGO_FUZZ_VERSION" ]] ||
  die "$TOOLS_DIR/bin/cargo-fuzz is not version $CARGO_FUZZ_VERSION after install"
rm -rf "$TOOLS_DIR/cargo-fuzz-target"
