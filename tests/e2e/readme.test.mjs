// The README is part of the product: every command and code block in it is run by a test.
//   - every js/sh block carries a `<!-- test: name -->` marker, and some test in tests/e2e runs
//     the block with that name (this file or dev.test.mjs, which runs the tour and the quick
//     starts against a real `make dev`);
//   - every `make` target it names exists and is run by `make test` (a test target, one of
//     their prerequisites, or a target the e2e tests start themselves);
//   - the edge-worker quick start is the gateway's real code; the password-hash command and the
//     import lines run; the deployment commands run with a stand-in for Cloudflare's API
//     (`wrangler deploy --dry-run` for real, the rest checked against wrangler's own --help);
//   - its tables agree with the code: error codes with the package's types, endpoints with the
//     issuer's route table; its links point to files that exist;
//   - docs/architecture.md's map of where each rule lives names files that exist and
//     functions that are in them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import { ROOT, readmeBlock, tempDir } from '../lib/index.mjs';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The e2e suites and the shared helpers they start `make` targets through. */
const TESTS = [new URL('.', import.meta.url), new URL('../lib/', import.meta.url)]
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(new URL(f, dir), 'utf8')))
  .join('\n');

/** Fenced blocks: { lang, body, marker }. */
function blocks() {
  const found = [];
  const re = /(?:<!-- test: ([\w-]+) -->\n)?```(\w*)\n([\s\S]*?)```/g;
  for (const m of README.matchAll(re)) found.push({ marker: m[1], lang: m[2], body: m[3] });
  return found;
}

test('every js and shell block is marked, and every marked block is run by a test', () => {
  const runnable = blocks().filter((b) => ['js', 'sh', 'bash', 'shell', 'console', 'ts', 'mjs'].includes(b.lang));
  assert.ok(runnable.length >= 8, `${runnable.length} runnable blocks`);
  for (const block of runnable) {
    assert.ok(block.marker, `unmarked ${block.lang} block in README.md:\n${block.body.slice(0, 200)}`);
    assert.ok(TESTS.includes(`readmeBlock('${block.marker}')`), `no test runs the README block "${block.marker}"`);
  }
  for (const block of blocks().filter((b) => !b.lang)) assert.fail(`a block without a language:\n${block.body.slice(0, 200)}`);
});

/** The rules of the make database: target -> prerequisites. */
function makeRules() {
  const env = { ...process.env };
  for (const name of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[name];
  const db = spawnSync('make', ['-p', '-q', '-r', 'help'], { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }).stdout;
  const rules = new Map();
  let skip = false;
  for (const line of db.split('\n')) {
    if (line.startsWith('# Not a target')) {
      skip = true;
      continue;
    }
    const m = /^([A-Za-z0-9_.%/$()-][^:=\s]*):(?!=)\s*(.*)$/.exec(line);
    if (m && !line.startsWith('\t')) {
      if (!skip) rules.set(m[1], m[2].replace(/\|/g, ' ').split(/\s+/).filter(Boolean));
      skip = false;
    }
  }
  return rules;
}

test('every make target the README names exists and is run by make test', () => {
  const named = new Set();
  for (const m of README.matchAll(/`make ([a-z][\w-]*)[^`]*`/g)) named.add(m[1]);
  for (const block of blocks()) for (const m of block.body.matchAll(/^\s*make ([a-z][\w-]*)/gm)) named.add(m[1]);
  assert.ok(named.has('dev') && named.has('test'), [...named].join(', '));

  const rules = makeRules();
  // What `make test` runs: its prerequisites (every TEST_TARGET), transitively, plus the targets
  // the e2e tests start themselves (runMake), with theirs.
  const started = [...TESTS.matchAll(/runMake\('([\w-]+)'/g)].map((m) => m[1]);
  assert.ok(started.includes('dev') && started.includes('gateway'));
  const run = new Set();
  const visit = (target) => {
    if (run.has(target)) return;
    run.add(target);
    for (const prerequisite of rules.get(target) ?? []) visit(prerequisite.replace(`${ROOT}/`, ''));
  };
  for (const root of ['test', ...started]) visit(root);
  for (const target of named) {
    assert.ok(rules.has(target), `make ${target}: no such target`);
    assert.ok(run.has(target), `make ${target} is in the README but make test never runs it`);
  }
});

test('the edge-worker quick start is the gateway example\'s own code', () => {
  const source = readFileSync(join(ROOT, 'js/examples/edge-gateway/src/index.js'), 'utf8');
  const excerpt = /\/\/ readme:start edge-gateway\n([\s\S]*?)\/\/ readme:end edge-gateway/.exec(source)?.[1];
  assert.ok(excerpt, 'the gateway marks its README excerpt');
  assert.equal(readmeBlock('edge-quickstart'), excerpt);
});

test('the password-hash command prints a hash that verifies', async () => {
  const command = readmeBlock('hash-password').trim();
  const out = execFileSync('bash', ['-euo', 'pipefail', '-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }).trim();
  assert.match(out, /^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  const { verifyPassword } = await import(join(ROOT, 'js/examples/express/passwords.js'));
  assert.equal(await verifyPassword('a long passphrase', out), true);
  assert.equal(await verifyPassword('another passphrase', out), false);
  assert.equal(await verifyPassword('a long passphrase', undefined), false, 'an unknown user never matches');
});

test('the JavaScript API imports resolve (ESM, from an app depending on the package)', () => {
  const cwd = tempDir('e2e-api-imports');
  symlinkSync(join(ROOT, 'js/examples/express/node_modules'), join(cwd, 'node_modules'), 'dir');
  const code = `${readmeBlock('api-imports')}
for (const f of [createVerifier, JwtError, RemoteSourceError, decodeJwt, requireAuth, requireScope]) {
  if (typeof f !== 'function') throw new Error('not a function');
}
console.log('ok');
`;
  writeFileSync(join(cwd, 'imports.mjs'), code);
  assert.equal(execFileSync(process.execPath, ['imports.mjs'], { cwd, encoding: 'utf8' }).trim(), 'ok');
});

test('the error-code table lists exactly the token error codes of the package', () => {
  const table = new Set([...README.matchAll(/^\| (ERR_[A-Z_]+) \|/gm)].map((m) => m[1]));
  const types = readFileSync(join(ROOT, 'js/types/index.d.ts'), 'utf8');
  const union = /export type JwtErrorCode =([\s\S]*?);/.exec(types)[1];
  const codes = new Set([...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]));
  // Documented in the paragraph under the table: not token errors.
  codes.delete('ERR_INVALID_OPTIONS');
  codes.delete('ERR_REVOCATION_FEED_INVALID');
  assert.deepEqual([...table].sort(), [...codes].sort());
  assert.match(README, /ERR_INVALID_OPTIONS/);
  assert.match(README, /ERR_REVOCATION_FEED_INVALID/);
});

test('the issuer API table has every route of the issuer', () => {
  const routes = readFileSync(join(ROOT, 'crates/issuer/src/routes.rs'), 'utf8');
  const fixed = [...routes.matchAll(/^\s*"(\/[^"]*)" => Some\(\(Route::\w+, "(\w+)"\)\)/gm)].map((m) => `${m[2]} ${m[1]}`);
  assert.ok(fixed.length >= 6, fixed.join(', '));
  const expected = [...fixed, 'DELETE /v1/sessions/{session_id}', 'GET /v1/users/{sub}/sessions', 'POST /v1/users/{sub}/revoke'];
  for (const route of expected) assert.ok(README.includes(`| \`${route}\` |`), `README lacks a row for ${route}`);
});

test('local links point to files that exist (SECURITY.md is linked)', () => {
  const links = [...README.matchAll(/\]\(((?!https?:)[^)#]+)\)/g)].map((m) => m[1]);
  assert.ok(links.some((l) => l.startsWith('docs/')) && links.includes('SECURITY.md') && links.includes('js/README.md'));
  for (const link of links) assert.ok(existsSync(join(ROOT, link)), `README links ${link}, which does not exist`);
});

test('the deployment commands run: keygen and wrangler for real, Cloudflare\'s API stood in for', () => {
  const work = tempDir('e2e-deploy');
  const home = join(work, 'home');
  const calls = join(work, 'calls.log');
  execFileSync('mkdir', ['-p', home]);
  // A shell function shadows the wrangler on PATH (even after the block's own `export PATH`).
  // Commands that need a Cloudflare account are checked against the real wrangler's --help
  // (the subcommand exists with these arguments) and recorded; `deploy` runs for real with
  // --dry-run, which builds and bundles the worker without uploading it.
  const stub = String.raw`
wrangler() {
  printf '%s\t%s\n' "$PWD" "$*" >> "$CALLS"
  case "$*" in
    "login") command wrangler login --help >/dev/null ;;
    "secret put "*) command wrangler secret put --help >/dev/null && cat > "$CALLS.$(basename "$PWD").$3" ;;
    "deploy") command wrangler deploy --dry-run --outdir "$CALLS.out.$(basename "$PWD")" ;;
    *) echo "unexpected wrangler command in the README: $*" >&2; return 1 ;;
  esac
}
`;
  const env = {
    ...process.env,
    HOME: home,
    // cargo and rustup are found through these, not through the stand-in HOME.
    CARGO_HOME: process.env.CARGO_HOME ?? join(homedir(), '.cargo'),
    RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(homedir(), '.rustup'),
    CALLS: calls,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    CI: '1',
  };
  for (const name of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[name];
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', stub + readmeBlock('deploy')], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);

  const recorded = readFileSync(calls, 'utf8').trim().split('\n').map((line) => line.split('\t'));
  const gatewayDir = join(ROOT, 'js/examples/edge-gateway');
  // The issuer gets its three secrets; the gateway only the read-only feed key.
  assert.deepEqual(recorded, [
    [ROOT, 'login'],
    [ROOT, 'secret put SIGNING_KEYS'],
    [ROOT, 'secret put ISSUER_SERVICE_KEY'],
    [ROOT, 'secret put FEED_KEY'],
    [ROOT, 'deploy'],
    [gatewayDir, 'secret put FEED_KEY'],
    [gatewayDir, 'deploy'],
  ]);
  const prodVars = join(home, 'revocable-prod.vars');
  assert.ok(existsSync(prodVars), 'the keys are kept outside the repository');
  assert.ok(!existsSync(join(ROOT, 'revocable-prod.vars')));
  const prod = readFileSync(prodVars, 'utf8');
  const inProd = (name) => {
    const value = new RegExp(`^${name}=(.*)$`, 'm').exec(prod)?.[1];
    assert.ok(value, `revocable-prod.vars has ${name}`);
    return value.replace(/^'(.*)'$/, '$1');
  };
  const secret = (dir, name) => readFileSync(`${calls}.${dir}.${name}`, 'utf8').trim();
  // The stand-in files are named after the directory wrangler ran in: the checkout's own name.
  const rootName = basename(ROOT);
  const put = [
    [rootName, 'SIGNING_KEYS'],
    [rootName, 'ISSUER_SERVICE_KEY'],
    [rootName, 'FEED_KEY'],
    ['edge-gateway', 'FEED_KEY'],
  ];
  for (const [dir, name] of put) assert.equal(secret(dir, name), inProd(name), `${dir}: ${name} is the one in revocable-prod.vars`);
  const jwks = JSON.parse(secret(rootName, 'SIGNING_KEYS'));
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].kty, 'OKP');
  assert.equal(jwks.keys[0].crv, 'Ed25519');
  assert.ok(jwks.keys[0].d, 'the private key: the worker signs with it');
  const serviceKey = secret(rootName, 'ISSUER_SERVICE_KEY');
  const feedKey = secret(rootName, 'FEED_KEY');
  assert.match(serviceKey, /^[\w-]{43}$/);
  assert.match(feedKey, /^[\w-]{43}$/);
  assert.notEqual(feedKey, serviceKey, 'the feed key is a credential of its own');
  for (const name of ['SIGNING_KEYS', 'ISSUER_SERVICE_KEY']) {
    assert.ok(!existsSync(`${calls}.edge-gateway.${name}`), `the gateway never gets ${name}`);
  }
  // The dry runs built and bundled both workers.
  assert.match(result.stdout + result.stderr, /--dry-run: exiting now/);
  for (const dir of [rootName, 'edge-gateway']) {
    const out = `${calls}.out.${dir}`;
    assert.ok(readdirSync(out).some((f) => f.endsWith('.js')), `${out} holds the bundle`);
  }
  assert.ok(readdirSync(`${calls}.out.edge-gateway`).some((f) => f.endsWith('.wasm')), 'the gateway bundle carries the verifier wasm');
});

test('docs/architecture.md: each rule\'s files exist and hold the functions named beside them', () => {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const table = /## Where each rule lives\n\n([\s\S]*?)\n\n/.exec(doc)?.[1];
  assert.ok(table, 'the "Where each rule lives" table');
  const rows = table.split('\n').slice(2).map((line) => line.split('|').slice(1, -1));
  assert.ok(rows.length >= 20, `${rows.length} rules`);
  const ticked = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  // A file column starts with a path from the root; the paths after it are relative to one of
  // that path's folders (`crates/issuer/src/rules/mod.rs`; `store/session.rs`).
  const resolve = (path, anchor) => {
    for (let dir = anchor; dir !== '.'; dir = dirname(dir)) {
      if (existsSync(join(ROOT, dir, path))) return join(dir, path);
    }
    return existsSync(join(ROOT, path)) ? path : undefined;
  };
  const sources = (path) => (statSync(join(ROOT, path)).isDirectory()
    ? readdirSync(join(ROOT, path)).map((f) => readFileSync(join(ROOT, path, f), 'utf8')).join('\n')
    : readFileSync(join(ROOT, path), 'utf8'));
  for (const [rule, files, functions] of rows) {
    const paths = ticked(files);
    const anchor = dirname(paths[0]);
    const text = paths
      .map((path) => {
        const found = resolve(path, anchor);
        assert.ok(found, `${rule.trim()}: no file ${path}`);
        return sources(found);
      })
      .join('\n');
    // `Type::method`, `seal`/`unseal`, `decide_refresh` (`Reuse`): each identifier is defined
    // or used in the row's files.
    const names = ticked(functions)
      .filter((name) => !name.includes('*') && !name.endsWith('.rs') && !name.includes('/'))
      .flatMap((name) => name.split(/::|\s*->\s*/));
    for (const name of names) {
      assert.match(text, new RegExp(`\\b${name.replace(/\W/g, '\\$&')}\\b`), `${rule.trim()}: ${name} is not in ${paths.join(', ')}`);
    }
  }
});
