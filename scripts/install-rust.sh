#!/usr/bin/env bash
# Rust toolchain pieces: the wasm32 target and the rustfmt / clippy components, each added only
# when missing (rustup is quick, but `make tools` must be a no-op on a ready machine).
source "$(dirname "$0")/lib.sh"
take_install_lock # before checking, so a concurrent install is seen finished, not redone
cd "$ROOT" # rustup acts on the toolchain in effect here (a rust-toolchain.toml, if one appears)

command -v rustup >/dev/null 2>&1 || die "rustup not found: install Rust with rustup (https://rustup.rs)"

if ! rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
  say "installing rust target wasm32-unknown-unknown (a few seconds)"
  rustup target add wasm32-unknown-unknown
fi

installed="$(rustup component list --installed)"
for component in rustfmt clippy; do
  if ! grep -q "^$component" <<<"$installed"; then
    say "installing rust component $component"
    rustup component add "$component"
  fi
done
