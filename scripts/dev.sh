#!/usr/bin/env bash
# Runs the system locally: the issuer (the Rust worker under `wrangler dev`, local state persisted)
# and the example Express app (js/examples/express), waits until both answer, prints their URLs
# and a short tour, streams their logs, and stops both (whole process groups: wrangler, its two
# workerd processes, esbuild, node) on Ctrl-C, on SIGTERM, or when either of them dies.
#
# `make dev` builds everything and then runs this script; the end-to-end tests run this same
# script with their own ports, keys and state directory. It builds nothing itself: run it
# through `make dev` (or after `make tools build-js issuer-worker keys examples-deps`).
#
# Environment (defaults in brackets):
#   ISSUER_PORT [8787]  APP_PORT [3000]  INSPECTOR_PORT [ISSUER_PORT+1]: wrangler's devtools port
#   PERSIST_DIR [.wrangler/state]        the issuer's local state: its Durable Objects (kept between runs)
#   DEV_VARS [.dev.vars]                 SIGNING_KEYS, ISSUER_SERVICE_KEY and FEED_KEY (`make keys`);
#                                        the app reads its two keys from it too
#   REVOCATION_INTERVAL_MS [5000]        how often the app polls the revocation feed
#   DEV_LOG_DIR [target/dev-logs]        issuer.log and app.log
#   ISSUER_READY_TIMEOUT [420]           seconds; the first start may build the worker

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ISSUER_PORT="${ISSUER_PORT:-8787}"
APP_PORT="${APP_PORT:-3000}"
INSPECTOR_PORT="${INSPECTOR_PORT:-$((ISSUER_PORT + 1))}"
PERSIST_DIR="${PERSIST_DIR:-$ROOT/.wrangler/state}"
DEV_VARS="${DEV_VARS:-$ROOT/.dev.vars}"
REVOCATION_INTERVAL_MS="${REVOCATION_INTERVAL_MS:-5000}"
DEV_LOG_DIR="${DEV_LOG_DIR:-$ROOT/target/dev-logs}"
ISSUER_READY_TIMEOUT="${ISSUER_READY_TIMEOUT:-420}"
APP_READY_TIMEOUT=60
WRANGLER="$ROOT/tools/node_modules/.bin/wrangler"
APP_DIR="$ROOT/js/examples/express"
ISSUER_URL="http://127.0.0.1:$ISSUER_PORT"
APP_URL="http://127.0.0.1:$APP_PORT"

say() { printf '== %s\n' "$*"; }
die() { printf 'make dev: %s\n' "$*" >&2; exit 1; }

# What `make dev` builds first; a clear message instead of a confusing failure later.
[[ -x "$WRANGLER" ]] || die "wrangler is missing ($WRANGLER): run \`make dev\` (or \`make tools\`)"
[[ -f "$ROOT/crates/issuer/build/index.js" ]] || die "the issuer worker is not built: run \`make dev\` (or \`make issuer-worker\`)"
[[ -f "$ROOT/js/dist/wasm/revocable_wasm_bg.wasm" ]] || die "the npm package is not built: run \`make dev\` (or \`make build-js\`)"
[[ -f "$DEV_VARS" ]] || die "$DEV_VARS is missing: run \`make dev\` (or \`make keys\`)"
grep -q '^FEED_KEY=' "$DEV_VARS" || die "$DEV_VARS has no FEED_KEY: run \`make keys\` (or revocable-keygen --out $DEV_VARS), which adds one"
[[ -d "$APP_DIR/node_modules/express" ]] || die "the example app's dependencies are missing: run \`make dev\` (or \`make examples-deps\`)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$ISSUER_PORT" "$APP_PORT" "$INSPECTOR_PORT"; do
  if port_busy "$port"; then
    die "port $port is already in use (another \`make dev\`?); stop it or choose ports: ISSUER_PORT=... APP_PORT=... make dev"
  fi
done

mkdir -p "$DEV_LOG_DIR" "$PERSIST_DIR"
ISSUER_LOG="$DEV_LOG_DIR/issuer.log"
APP_LOG="$DEV_LOG_DIR/app.log"
: >"$ISSUER_LOG"
: >"$APP_LOG"

ISSUER_PID=""
APP_PID=""
TAILS_PID=""
SLEEP_PID=""

# stop_group PID NAME: SIGTERM to the process group PID leads, SIGKILL after 10 s.
stop_group() {
  local pid="$1" name="$2"
  [[ -n "$pid" ]] || return 0
  kill -0 -- "-$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 -- "-$pid" 2>/dev/null || { say "stopped the $name"; return 0; }
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  say "stopped the $name (killed after 10 s)"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_group "$APP_PID" app
  stop_group "$ISSUER_PID" issuer
  # The log tails (background jobs of a script ignore SIGINT, so Ctrl-C alone would leave them).
  [[ -z "$TAILS_PID" ]] || kill -TERM -- "-$TAILS_PID" 2>/dev/null || true
  [[ -z "$SLEEP_PID" ]] || kill "$SLEEP_PID" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; say "stopping (Ctrl-C)"; exit 130' INT
trap 'say "stopping (SIGTERM)"; exit 143' TERM
trap 'exit 129' HUP

# Each server gets its own process group (setsid, which does not fork here: a background job of
# a non-interactive shell is not a group leader), so one signal reaches all of its processes
# and Ctrl-C in the terminal reaches only this script, which then stops them in order.
say "starting the issuer: wrangler dev on $ISSUER_URL (local state in $PERSIST_DIR, log $ISSUER_LOG)"
(
  cd "$ROOT"
  exec setsid "$WRANGLER" dev --config "$ROOT/wrangler.toml" \
    --ip 127.0.0.1 --port "$ISSUER_PORT" --inspector-port "$INSPECTOR_PORT" \
    --persist-to "$PERSIST_DIR" --env-file "$DEV_VARS" \
    --var "ISSUER:$ISSUER_URL" \
    --show-interactive-dev-session=false
) >"$ISSUER_LOG" 2>&1 </dev/null &
ISSUER_PID=$!

# http_ok URL: whether URL answers 2xx within 2 s (node: always there; curl may not be).
http_ok() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

# wait_ready NAME PID URL TIMEOUT LOG: poll URL until it answers; progress every 10 s; fail
# with the log's tail when the process dies or the time is up.
wait_ready() {
  local name="$1" pid="$2" url="$3" timeout="$4" log="$5" start next
  start=$(date +%s)
  next=$((start + 10))
  until http_ok "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2
      die "the $name exited during startup (full log: $log)"
    fi
    if (( $(date +%s) - start >= timeout )); then
      tail -n 40 "$log" >&2
      die "the $name did not answer on $url within ${timeout}s (full log: $log)"
    fi
    if (( $(date +%s) >= next )); then
      say "... waiting for the $name ($(( $(date +%s) - start ))s; the first start builds the worker; log $log)"
      next=$((next + 10))
    fi
    sleep 0.5
  done
  say "$name ready after $(( $(date +%s) - start ))s (process group $pid)"
}

wait_ready issuer "$ISSUER_PID" "$ISSUER_URL/.well-known/jwks.json" "$ISSUER_READY_TIMEOUT" "$ISSUER_LOG"

say "starting the example app on $APP_URL (log $APP_LOG)"
(
  cd "$APP_DIR"
  PORT="$APP_PORT" HOST=127.0.0.1 ISSUER_URL="$ISSUER_URL" DEV_VARS="$DEV_VARS" \
    REVOCATION_INTERVAL_MS="$REVOCATION_INTERVAL_MS" exec setsid node server.js
) >"$APP_LOG" 2>&1 </dev/null &
APP_PID=$!
wait_ready app "$APP_PID" "$APP_URL/healthz" "$APP_READY_TIMEOUT" "$APP_LOG"

# The tour is the README's "60-second tour" (a test checks they are the same), with the ports
# of this run.
tour() {
  sed -e "s#127.0.0.1:3000#127.0.0.1:$APP_PORT#g" -e "s#127.0.0.1:8787#127.0.0.1:$ISSUER_PORT#g" <<'TOUR'
# 1. log in as alice; the app keeps the refresh token in an httpOnly cookie (curl: jar.txt)
LOGIN=$(curl -s -c jar.txt -H 'content-type: application/json' \
  -d '{"username":"alice","password":"alice-demo-password"}' http://127.0.0.1:3000/api/login)
echo "$LOGIN"
TOKEN=$(echo "$LOGIN" | grep -o '"access_token":"[^"]*"' | cut -d'"' -f4)

# 2. a protected endpoint, with the access token: 200 and who you are
curl -s http://127.0.0.1:3000/api/me -H "authorization: Bearer $TOKEN"; echo

# 3. rotate the refresh token: a new access token, a new cookie; the old refresh token is spent
curl -s -b jar.txt -c jar.txt -X POST http://127.0.0.1:3000/api/refresh; echo

# 4. log out, then wait one revocation-feed interval (5 s)
curl -s -b jar.txt -c jar.txt -X POST http://127.0.0.1:3000/api/logout -H "authorization: Bearer $TOKEN"; echo
sleep 6

# 5. the same access token has not expired, yet it is refused: 401, token revoked
curl -s -i http://127.0.0.1:3000/api/me -H "authorization: Bearer $TOKEN"; echo
TOUR
}

cat <<EOF

revocable is running:
  issuer       $ISSUER_URL      (metadata: $ISSUER_URL/.well-known/oauth-authorization-server)
  example app  $APP_URL      (demo users: alice / alice-demo-password, bob / bob-demo-password)
  logs         $ISSUER_LOG, $APP_LOG
  local state  $PERSIST_DIR

Open the example app's page in a browser: $APP_URL/
(sign in, open a second tab, log a device out, and watch its next API call get 401)

Try it (in another terminal):

$(tour)

Press Ctrl-C to stop both.

EOF
say "ready (issuer process group $ISSUER_PID, app process group $APP_PID)"

# Live logs, prefixed, from here on (the banner stays readable), without the feed polls that
# changed nothing (one per interval). In a process group of their own, stopped with the rest;
# `--pid`: tail ends with this script even if that stop is missed.
(
  exec setsid bash -c '
    tail -n 0 -F --pid="$1" "$2" 2>/dev/null | grep --line-buffered -v "GET /v1/revocations 304" | sed -u "s/^/[issuer] /" &
    tail -n 0 -F --pid="$1" "$3" 2>/dev/null | sed -u "s/^/[app] /" &
    wait' bash $$ "$ISSUER_LOG" "$APP_LOG"
) &
TAILS_PID=$!

# Until Ctrl-C, or until one of them dies. `sleep & wait` so a signal is handled at once.
while kill -0 "$ISSUER_PID" 2>/dev/null && kill -0 "$APP_PID" 2>/dev/null; do
  sleep 1 &
  SLEEP_PID=$!
  wait "$SLEEP_PID" || true
done
kill -0 "$ISSUER_PID" 2>/dev/null || { tail -n 20 "$ISSUER_LOG" >&2; die "the issuer exited (log $ISSUER_LOG)"; }
tail -n 20 "$APP_LOG" >&2
die "the example app exited (log $APP_LOG)"
