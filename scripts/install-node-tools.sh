#!/usr/bin/env bash
# npm build tools (wrangler, esbuild, binaryen's wasm-opt) into tools/node_modules, exactly as
# tools/package-lock.json pins them (`npm ci`). A stamp holding the lock file's hash makes a
# second run a no-op; a changed lock file reinstalls.
source "$(dirname "$0")/lib.sh"
take_install_lock # before checking, so a concurrent install is seen finished, not redone
cd "$ROOT/tools"

command -v node >/dev/null 2>&1 || die "node not found: install Node.js >= 20.3 with npm"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm alongside Node.js"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 3) ? 0 : 1)' ||
  die "Node.js $(node --version) is too old: wrangler 4.86 needs >= 20.3"

stamp=node_modules/.revocable-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
bins=(wrangler esbuild wasm-opt)
ready=1
[[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] || ready=0
for bin in "${bins[@]}"; do [[ -x "node_modules/.bin/$bin" ]] || ready=0; done
[[ "$ready" == 1 ]] && exit 0

say "installing npm build tools: $(node -p 'Object.entries(require("./package.json").devDependencies).map(([n, v]) => n + " " + v).join(", ")') (about 30 s)"
# npm 11 does not run install scripts (esbuild, workerd) by default; both ship their binary in a
# platform package (@esbuild/linux-x64, @cloudflare/workerd-linux-64), which needs none.
run_logged "npm ci (tools/)" "$ROOT/.tools/logs/npm-ci.log" \
  npm ci --no-audit --no-fund --loglevel=warn

for bin in "${bins[@]}"; do
  [[ -x "node_modules/.bin/$bin" ]] || die "tools/node_modules/.bin/$bin missing after npm ci"
done
# Each tool must start, not just exist (a missing platform package fails here).
node_modules/.bin/esbuild --version >/dev/null
node_modules/.bin/wasm-opt --version >/dev/null
node_modules/.bin/workerd --version >/dev/null
printf '%s\n' "$want" >"$stamp"
