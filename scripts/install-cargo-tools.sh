#!/usr/bin/env bash
# Cargo-installed CLIs, into .tools/bin, each at exactly the version its library needs:
#   wasm-bindgen-cli (wasm-bindgen, wasm-bindgen-test-runner) = the wasm-bindgen crate in
#     Cargo.lock: the CLI refuses a module built by any other version;
#   worker-build = the worker crate (worker 0.8.x wants worker-build 0.8.x).
# Installed versions are read back from the binaries, so a ready .tools costs nothing.
source "$(dirname "$0")/lib.sh"
take_install_lock # before checking, so a concurrent install is seen finished, not redone
cd "$ROOT"

# Used only until a crate depends on `worker` and Cargo.toml has no pin for it.
WORKER_BUILD_DEFAULT=0.8.7

bindgen_version="$(crate_version wasm-bindgen)"
worker_version="$(crate_version worker "$WORKER_BUILD_DEFAULT")"

wanted=()
labels=()
if [[ "$(installed_version "$TOOLS_DIR/bin/wasm-bindgen")" != "$bindgen_version" ||
      "$(installed_version "$TOOLS_DIR/bin/wasm-bindgen-test-runner")" != "$bindgen_version" ]]; then
  wanted+=("wasm-bindgen-cli@$bindgen_version")
  labels+=("wasm-bindgen-cli $bindgen_version (about 2 min)")
fi
if [[ "$(installed_version "$TOOLS_DIR/bin/worker-build")" != "$worker_version" ]]; then
  wanted+=("worker-build@$worker_version")
  labels+=("worker-build $worker_version (about 3 min)")
fi
[[ ${#wanted[@]} -eq 0 ]] && exit 0

for label in "${labels[@]}"; do say "installing $label"; done

# One cargo invocation with one target dir: the two CLIs share some dependencies, which then
# compile once. The target dir is in .tools so that an interrupted install resumes where it
# stopped; it is removed once the install succeeded (about 900 MB, not needed to run the tools).
# No --locked: wasm-bindgen-cli's own lock names a crate version this registry lacks.
# --force: replace an installed binary of another version (the check above decided).
run_logged "cargo install ${wanted[*]}" "$TOOLS_DIR/logs/cargo-install.log" \
  cargo install --root "$TOOLS_DIR" --target-dir "$TOOLS_DIR/cargo-target" --force "${wanted[@]}"

# Check what was installed, so a wrong version fails here and not in a later build.
[[ "$(installed_version "$TOOLS_DIR/bin/wasm-bindgen")" == "$bindgen_version" ]] ||
  die "$TOOLS_DIR/bin/wasm-bindgen is not version $bindgen_version after install"
[[ "$(installed_version "$TOOLS_DIR/bin/worker-build")" == "$worker_version" ]] ||
  die "$TOOLS_DIR/bin/worker-build is not version $worker_version after install"
rm -rf "$TOOLS_DIR/cargo-target"
