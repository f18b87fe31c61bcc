// The packed package inside a Cloudflare worker under `wrangler dev` (real workerd, local):
// a tiny worker verifies bearer tokens, tested over HTTP, directly and through revocable/hono.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AUDIENCE, ISSUER, claims, keyPair, nowSeconds, serve, sign, sleep } from './helpers.mjs';
import { PACKAGE_DIR, ROOT, packedProject } from './pack.mjs';

// Fixed ports from this part's range (18800-18899): two workers and their inspectors. The
// second runs with `nodejs_compat`, where the package checks signatures with workerd's
// node:crypto (host crypto); the first has no node:crypto, so the wasm code checks them.
const PORT = Number(process.env.REVOCABLE_WORKERD_PORT ?? 18810);
const COMPAT_PORT = PORT + 2;
const WRANGLER = join(ROOT, 'tools', 'node_modules', '.bin', 'wrangler');
const BASE = `http://127.0.0.1:${PORT}`;
const COMPAT_BASE = `http://127.0.0.1:${COMPAT_PORT}`;
// Every asymmetric algorithm the host may check, one key each.
const HOST_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'PS256'];
let project;
const workers = [];
let jwksServer;
let feedServer;
let key;
let algorithmKeys;

const output = () => workers.map((w) => w.output).join('\n');

/** `wrangler dev` on `port` in the packed project with `config` (wrangler.toml text). */
async function startWorker(port, name, config) {
  writeFileSync(join(project.dir, `${name}.toml`), config);
  const worker = { output: '' };
  worker.child = spawn(
    WRANGLER,
    ['dev', '--config', `${name}.toml`, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(port + 1), '--show-interactive-dev-session=false', '--log-level', 'warn'],
    {
      cwd: project.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    },
  );
  worker.child.stdout.on('data', (chunk) => (worker.output += chunk));
  worker.child.stderr.on('data', (chunk) => (worker.output += chunk));
  workers.push(worker);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (worker.child.exitCode !== null) assert.fail(`wrangler dev (${name}) exited (${worker.child.exitCode}):\n${worker.output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail(`wrangler dev (${name}) did not answer within 90 s:\n${worker.output}`);
    await sleep(250);
  }
}

before(async () => {
  assert.ok(existsSync(WRANGLER), `${WRANGLER} is missing (make tools runs npm ci in tools/)`);
  key = await keyPair('EdDSA', 'k1');
  algorithmKeys = await Promise.all(HOST_ALGORITHMS.map((alg) => keyPair(alg, `host-${alg}`)));
  jwksServer = await serve((req, res) => res.end(JSON.stringify({ keys: [key.publicJwk] })));
  feedServer = await serve((req, res) => {
    if (req.headers.authorization !== 'Bearer worker-svc') return void res.writeHead(401).end();
    res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [], sid: [{ id: 'sid-gone', exp: nowSeconds() + 600 }], sub: [] }));
  });
  project = packedProject({ devLinks: ['hono'] });
  copyFileSync(join(PACKAGE_DIR, 'test', 'fixtures', 'worker', 'index.js'), join(project.dir, 'index.js'));
  const vars = {
    ISSUER,
    AUDIENCE,
    JWKS: JSON.stringify({ keys: [key.publicJwk] }),
    ALGORITHM_JWKS: JSON.stringify({ keys: algorithmKeys.map((k) => k.publicJwk) }),
    JWKS_URI: jwksServer.url,
    FEED_URI: feedServer.url,
    SERVICE_KEY: 'worker-svc',
  };
  const config = (name, date, flags) =>
    [
      `name = "${name}"`,
      'main = "index.js"',
      `compatibility_date = "${date}"`,
      ...(flags.length ? [`compatibility_flags = ${JSON.stringify(flags)}`] : []),
      '',
      '[vars]',
      ...Object.entries(vars).map(([n, value]) => `${n} = ${JSON.stringify(value)}`),
      '',
    ].join('\n');
  await startWorker(PORT, 'wrangler', config('revocable-package-test', '2025-01-01', []));
  await startWorker(COMPAT_PORT, 'wrangler-compat', config('revocable-package-test-compat', '2025-01-01', ['nodejs_compat']));
});

after(async () => {
  for (const { child } of workers) {
    if (child.exitCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await sleep(500);
  for (const { child } of workers) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // exited on SIGTERM
    }
  }
  await jwksServer?.close();
  await feedServer?.close();
  project?.cleanup();
});

async function call(path, token, base = BASE) {
  const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json() };
}

test('a worker importing the package verifies a token (local keys)', async () => {
  const payload = claims({ role: 'edge' });
  const res = await call('/', await sign(key, payload));
  assert.equal(res.status, 200, output());
  assert.deepEqual(res.body, { ok: true, payload });
});

test('the worker rejects expired, foreign and missing tokens with stable codes', async () => {
  assert.deepEqual(await call('/', await sign(key, claims({ exp: nowSeconds() - 1 }))), { status: 401, body: { ok: false, code: 'ERR_JWT_EXPIRED' } });
  const stranger = await keyPair('EdDSA', 'k9');
  assert.deepEqual(await call('/', await sign(stranger)), { status: 401, body: { ok: false, code: 'ERR_JWKS_NO_MATCHING_KEY' } });
  assert.deepEqual(await call('/'), { status: 401, body: { ok: false, code: 'ERR_JWT_INVALID' } });
});

test('the worker fetches a remote JWKS and the revocation feed from workerd', async () => {
  const res = await call('/remote', await sign(key));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.payload.sub, 'user-1');
  assert.ok(jwksServer.requests.length >= 1);
  assert.equal(feedServer.requests[0]?.headers.authorization, 'Bearer worker-svc');
  assert.deepEqual(await call('/remote', await sign(key, claims({ sid: 'sid-gone' }))), { status: 401, body: { ok: false, code: 'ERR_JWT_REVOKED' } });
});

test('ES/RS/PS/EdDSA in workerd: the same verdicts from workerd\'s node:crypto (nodejs_compat) and from the wasm code', async () => {
  const cases = [];
  for (const k of algorithmKeys) {
    const good = await sign(k, claims({ alg: k.alg }));
    // The last signature character changed: still the right length, a wrong signature.
    const bad = good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1);
    cases.push([k.alg, good, 200, undefined], [k.alg, bad, 401, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED']);
  }
  for (const base of [BASE, COMPAT_BASE]) {
    for (const [alg, token, status, code] of cases) {
      const res = await call('/algorithms', token, base);
      assert.equal(res.status, status, `${alg} at ${base}: ${JSON.stringify(res.body)}`);
      if (code) assert.equal(res.body.code, code, `${alg} at ${base}`);
      else assert.equal(res.body.payload.alg, alg);
    }
  }
  const plain = (await call('/algorithms/status', undefined, BASE)).body;
  assert.deepEqual(plain, { hostCrypto: false, hostVerifies: 0 }, 'no node:crypto without nodejs_compat: the wasm code checked');
  const compat = (await call('/algorithms/status', undefined, COMPAT_BASE)).body;
  assert.equal(compat.hostCrypto, true, 'nodejs_compat: node:crypto found');
  // workerd's node:crypto takes EdDSA, ES* (as DER) and RS*; PS* goes to the wasm code after
  // one call (workerd does not check PSS: host-crypto.js).
  assert.ok(compat.hostVerifies >= cases.length - 1, `workerd's node:crypto checked the signatures (${compat.hostVerifies} calls)`);
  test.diagnostic?.(`workerd host crypto: ${compat.hostVerifies} node:crypto verify calls for ${cases.length} tokens`);
});


test('revocable/hono in workerd: 401 with the challenge, 200, revoked, 403 insufficient_scope', async () => {
  const get = async (path, token) => {
    const res = await fetch(BASE + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
  };
  const missing = await get('/hono/me');
  assert.equal(missing.status, 401, output());
  assert.equal(missing.challenge, 'Bearer realm="api"');
  assert.deepEqual(missing.body, { error: 'unauthorized', error_description: 'no bearer token' });
  const good = await get('/hono/me', await sign(key));
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.equal(good.body.payload.sub, 'user-1');
  const revoked = await get('/hono/me', await sign(key, claims({ sid: 'sid-gone' })));
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.code, 'ERR_JWT_REVOKED');
  assert.match(revoked.challenge, /error="invalid_token"/);
  const scoped = await get('/hono/admin', await sign(key, claims({ scope: 'read' })));
  assert.equal(scoped.status, 403);
  assert.match(scoped.challenge, /error="insufficient_scope", error_description="the token lacks a required scope", scope="admin"/);
  assert.equal((await get('/hono/admin', await sign(key, claims({ scope: 'admin' })))).status, 200);
});
