#!/usr/bin/env bash
# Headless Chromium and its WebDriver for wasm-bindgen-test browser tests, from Debian's apt
# (the browser-download helpers fetch from Google and GitHub, unreachable here). Installed only
# when missing. Another driver can be used instead by setting CHROMEDRIVER to its path.
source "$(dirname "$0")/lib.sh"
take_install_lock # before checking, so a concurrent install is seen finished, not redone

if [[ -n "${CHROMEDRIVER:-}" && "${CHROMEDRIVER}" != /usr/bin/chromedriver ]]; then
  [[ -x "$CHROMEDRIVER" ]] || die "CHROMEDRIVER=$CHROMEDRIVER is not an executable"
  exit 0
fi
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] && exit 0

command -v apt-get >/dev/null 2>&1 ||
  die "apt-get not found: install Chromium and chromedriver yourself and set CHROMEDRIVER=/path/to/chromedriver"

say "installing chromium and chromium-driver with apt-get (about 1 min)"
start="$(date +%s)"
root_prefix
apt=("${ROOT_PREFIX[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
say "running: ${apt[*]} update"
run_logged "apt-get update" "$TOOLS_DIR/logs/apt-update.log" "${apt[@]}" update
# No recommends: fonts and desktop extras are not needed by a headless test browser.
say "running: ${apt[*]} install -y --no-install-recommends chromium chromium-driver"
run_logged "apt-get install" "$TOOLS_DIR/logs/apt-install.log" \
  "${apt[@]}" install -y --no-install-recommends chromium chromium-driver
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] ||
  die "apt-get finished but /usr/bin/chromium or /usr/bin/chromedriver is missing"
say "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1) in $(elapsed "$start")"
