// The packed package inside a Cloudflare worker under `wrangler dev` (real workerd, local):
// a tiny worker verifies bearer tokens, tested over HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AUDIENCE, ISSUER, claims, keyPair, nowSeconds, serve, sign, sleep } from './helpers.mjs';
import { PACKAGE_DIR, ROOT, packedProject } from './pack.mjs';

// Fixed ports from this part's range (18800-18899): the worker and its inspector.
const PORT = Number(process.env.REVOCABLE_WORKERD_PORT ?? 18810);
const INSPECTOR_PORT = PORT + 1;
const WRANGLER = join(ROOT, 'tools', 'node_modules', '.bin', 'wrangler');
const BASE = `http://127.0.0.1:${PORT}`;
let project;
let wrangler;
let output = '';
let jwksServer;
let feedServer;
let key;

before(async () => {
  assert.ok(existsSync(WRANGLER), `${WRANGLER} is missing (make tools runs npm ci in tools/)`);
  key = await keyPair('EdDSA', 'k1');
  jwksServer = await serve((req, res) => res.end(JSON.stringify({ keys: [key.publicJwk] })));
  feedServer = await serve((req, res) => {
    if (req.headers.authorization !== 'Bearer worker-svc') return void res.writeHead(401).end();
    res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [], sid: [{ id: 'sid-gone', exp: nowSeconds() + 600 }], sub: [] }));
  });
  project = packedProject();
  copyFileSync(join(PACKAGE_DIR, 'test', 'fixtures', 'worker', 'index.js'), join(project.dir, 'index.js'));
  const vars = {
    ISSUER,
    AUDIENCE,
    JWKS: JSON.stringify({ keys: [key.publicJwk] }),
    JWKS_URI: jwksServer.url,
    FEED_URI: feedServer.url,
    SERVICE_KEY: 'worker-svc',
  };
  writeFileSync(
    join(project.dir, 'wrangler.toml'),
    [
      'name = "revocable-package-test"',
      'main = "index.js"',
      'compatibility_date = "2025-01-01"',
      '',
      '[vars]',
      ...Object.entries(vars).map(([name, value]) => `${name} = ${JSON.stringify(value)}`),
      '',
    ].join('\n'),
  );
  wrangler = spawn(
    WRANGLER,
    ['dev', '--ip', '127.0.0.1', '--port', String(PORT), '--inspector-port', String(INSPECTOR_PORT), '--show-interactive-dev-session=false', '--log-level', 'warn'],
    {
      cwd: project.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    },
  );
  wrangler.stdout.on('data', (chunk) => (output += chunk));
  wrangler.stderr.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (wrangler.exitCode !== null) assert.fail(`wrangler dev exited (${wrangler.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${BASE}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail(`wrangler dev did not answer within 90 s:\n${output}`);
    await sleep(250);
  }
});

after(async () => {
  if (wrangler && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await sleep(500);
    try {
      process.kill(-wrangler.pid, 'SIGKILL');
    } catch {
      // exited on SIGTERM
    }
  }
  await jwksServer?.close();
  await feedServer?.close();
  project?.cleanup();
});

async function call(path, token) {
  const res = await fetch(BASE + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json() };
}

test('a worker importing the package verifies a token (local keys)', async () => {
  const payload = claims({ role: 'edge' });
  const res = await call('/', await sign(key, payload));
  assert.equal(res.status, 200, output);
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
