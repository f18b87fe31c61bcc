#!/usr/bin/env bash
# `make tools`: install everything the build and the tests need, each piece only when missing.
# Usage: scripts/install-tools.sh [rust] [cargo] [node] [chromium]   (default: all, in this order)
#
# Safe to run concurrently (a flock in .tools serialises the installs) and cheap when everything
# is in place (each step only checks versions, under the lock: flock costs nothing uncontended).
source "$(dirname "$0")/lib.sh"
take_install_lock

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(rust cargo node chromium)
here="$(dirname "$0")"
for step in "${steps[@]}"; do
  case "$step" in
    rust)     bash "$here/install-rust.sh" ;;
    cargo)    bash "$here/install-cargo-tools.sh" ;;
    node)     bash "$here/install-node-tools.sh" ;;
    chromium) bash "$here/install-chromium.sh" ;;
    *) die "unknown step '$step' (rust, cargo, node, chromium)" ;;
  esac
done
