# Shared helpers for the install scripts (sourced, not run).
#
# Every tool revocable needs is installed from a registry this machine can reach (crates.io,
# npm, Debian apt), pinned to an exact version, into git-ignored project folders:
#   .tools/            cargo-installed CLIs (.tools/bin) and the install lock
#   tools/node_modules npm build tools from tools/package-lock.json
# Nothing is downloaded from GitHub: tools that would (worker-build) are pointed at local binaries.

set -euo pipefail

# Always derived from this file: a ROOT in the caller's environment must not redirect installs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/.tools"

# Progress lines go to stderr so they show up even when a caller captures stdout.
say() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# lock_versions NAME: every version of package NAME in Cargo.lock, one per line, sorted unique.
lock_versions() {
  [[ -f "$ROOT/Cargo.lock" ]] || return 0
  awk -v want="name = \"$1\"" '
    /^\[\[package\]\]$/ { in_pkg = 0 }
    $0 == want          { in_pkg = 1 }
    in_pkg && /^version = / { gsub(/"/, "", $3); print $3; in_pkg = 0 }
  ' "$ROOT/Cargo.lock" | sort -u
}

# manifest_pin NAME: the x.y.z version of NAME in the root Cargo.toml's [workspace.dependencies]
# (`name = "=x.y.z"`, `name = "x.y.z"` or `name = { version = "x.y.z", ... }`), or nothing.
manifest_pin() {
  awk -v name="$1" '
    /^\[/ { in_deps = ($0 == "[workspace.dependencies]") }
    in_deps && $1 == name && $2 == "=" {
      if (match($0, /"=?[0-9]+\.[0-9]+\.[0-9]+"/)) {
        v = substr($0, RSTART + 1, RLENGTH - 2); sub(/^=/, "", v); print v; exit
      }
    }
  ' "$ROOT/Cargo.toml"
}

# crate_version NAME [DEFAULT]: the version to match for crate NAME. Cargo.lock is the truth
# (what actually gets compiled); before any crate depends on NAME, the workspace pin in
# Cargo.toml; then DEFAULT. Fails if Cargo.lock holds two versions (no single CLI can match).
crate_version() {
  local name="$1" default="${2:-}" versions
  versions="$(lock_versions "$name")"
  if [[ -n "$versions" ]]; then
    if [[ "$(wc -l <<<"$versions")" -gt 1 ]]; then
      die "Cargo.lock holds several versions of $name ($(tr '\n' ' ' <<<"$versions")); unify them first"
    fi
    printf '%s\n' "$versions"
    return
  fi
  versions="$(manifest_pin "$name")"
  if [[ -n "$versions" ]]; then
    printf '%s\n' "$versions"
    return
  fi
  [[ -n "$default" ]] || die "no version of $name in Cargo.lock or Cargo.toml"
  printf '%s\n' "$default"
}

# installed_version BIN: the version `BIN --version` reports ("name 1.2.3" or "1.2.3"), or nothing.
installed_version() {
  [[ -x "$1" ]] || return 0
  "$1" --version 2>/dev/null | awk 'NR == 1 { print $NF }' || true
}

# ROOT_PREFIX: what to put before a command that needs root: nothing when root, else sudo.
root_prefix() {
  if [[ "$(id -u)" -eq 0 ]]; then
    ROOT_PREFIX=()
  elif command -v sudo >/dev/null 2>&1; then
    ROOT_PREFIX=(sudo)
  else
    die "need root to install system packages (not root and no sudo); run make tools as root once"
  fi
}

# elapsed START: whole seconds since START (from `date +%s`).
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# run_logged LABEL LOG CMD...: run a long command with its output in LOG, printing a heartbeat
# every 30 s so CI logs and terminals show it is alive; on failure, print the log's tail.
# TOOLS_VERBOSE=1 streams the output instead.
run_logged() {
  local label="$1" log="$2" start rc=0 pid
  shift 2
  mkdir -p "$(dirname "$log")"
  start="$(date +%s)"
  if [[ "${TOOLS_VERBOSE:-0}" == 1 ]]; then
    "$@" 2>&1 | tee "$log" || rc=$?
  else
    "$@" >"$log" 2>&1 &
    pid=$!
    # Same process group as make: Ctrl-C stops the child as well as this loop.
    local next=$((start + 30))
    while kill -0 "$pid" 2>/dev/null; do
      sleep 1
      if (( $(date +%s) >= next )); then
        local crates progress=""
        crates="$(grep -c 'Compiling' "$log" || true)"
        [[ "$crates" -gt 0 ]] && progress=", $crates crates compiled"
        say "... $label: $(elapsed "$start")$progress (log $log)"
        next=$((next + 30))
      fi
    done
    wait "$pid" || rc=$?
  fi
  if [[ "$rc" -ne 0 ]]; then
    tail -n 60 "$log" >&2
    die "$label failed (exit $rc) after $(elapsed "$start"); full log: $log"
  fi
  say "$label: done in $(elapsed "$start")"
}

# take_install_lock: serialise installs into .tools and tools/node_modules across concurrent
# `make tools` runs (two engineers, or make -j). Held until the calling script exits; nested
# scripts see TOOLS_LOCK_HELD and do not try to take it again (flock would deadlock).
take_install_lock() {
  [[ "${TOOLS_LOCK_HELD:-}" == 1 ]] && return 0
  command -v flock >/dev/null 2>&1 || die "flock not found (Debian package util-linux)"
  mkdir -p "$TOOLS_DIR"
  exec 9>"$TOOLS_DIR/.install.lock"
  if ! flock -n 9; then
    say "waiting for another tool install to finish (lock $TOOLS_DIR/.install.lock)"
    flock 9
  fi
  export TOOLS_LOCK_HELD=1
}
