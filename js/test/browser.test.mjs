// The packed package bundled for the browser by esbuild (the "browser" export condition) and
// run in headless Chromium: local keys, a remote JWKS and the revocation feed fetched by the
// page, discovery through the page origin's metadata with a cookie set (the metadata, JWKS and
// feed requests carry no cookie and no referrer), results POSTed back to this test's server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { AUDIENCE, ISSUER, claims, keyPair, nowSeconds, serve, sign } from './helpers.mjs';
import { PACKAGE_DIR, ROOT, packedProject } from './pack.mjs';
import { CHROMIUM, CHROMIUM_HEADLESS_ARGS, assertChromium } from '../../tests/lib/chromium.mjs';

const FIXTURES = join(PACKAGE_DIR, 'test', 'fixtures', 'browser');
let project;
let server;
let browser;
let profile;

before(() => {
  assertChromium();
  project = packedProject();
  profile = mkdtempSync(join(tmpdir(), 'revocable-chromium-'));
});

after(async () => {
  if (browser && browser.exitCode === null) {
    try {
      process.kill(-browser.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server?.close();
  project?.cleanup();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('esbuild bundle of the installed package verifies tokens in headless Chromium', async (t) => {
  // Bundle as a user would: entry in their project, the package from node_modules.
  const www = join(project.dir, 'www');
  mkdirSync(www);
  copyFileSync(join(FIXTURES, 'main.js'), join(project.dir, 'main.js'));
  copyFileSync(join(FIXTURES, 'index.html'), join(www, 'index.html'));
  const esbuild = await import(pathToFileURL(join(ROOT, 'tools', 'node_modules', 'esbuild', 'lib', 'main.js')).href);
  await esbuild.build({
    entryPoints: [join(project.dir, 'main.js')],
    outfile: join(www, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
  });
  // esbuild does not emit the wasm asset: copy it next to the bundle, where the web build
  // looks for it (new URL('revocable_wasm_bg.wasm', import.meta.url)).
  copyFileSync(join(project.dir, 'node_modules', 'revocable', 'dist', 'wasm', 'revocable_wasm_bg.wasm'), join(www, 'revocable_wasm_bg.wasm'));
  const bundle = readFileSync(join(www, 'main.js'), 'utf8');
  assert.doesNotMatch(bundle, /node:fs|readFileSync/, 'the browser bundle took the web entry');
  t.diagnostic(`bundle: ${statSync(join(www, 'main.js')).size} bytes JS (${gzipSync(bundle).length} gzip) + wasm`);

  const key = await keyPair('EdDSA', 'k1');
  const fixture = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    token: await sign(key),
    expired: await sign(key, claims({ exp: nowSeconds() - 1 })),
    revoked: await sign(key, claims({ sid: 'sid-gone' })),
  };
  const feed = { generated_at: nowSeconds(), jti: [], sid: [{ id: 'sid-gone', exp: nowSeconds() + 300 }], sub: [] };
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  let report;
  const reported = new Promise((resolve) => (report = resolve));
  server = await serve((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (req.method === 'POST' && path === '/result') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        res.end('ok');
        report(JSON.parse(body));
      });
      return;
    }
    if (path === '/fixture.json') return void res.end(JSON.stringify(fixture));
    if (path === '/cookie-check') return void res.end('ok');
    if (path === '/discovery-token') return void sign(key, claims({ iss: server.url })).then((token) => res.end(token));
    if (path === '/.well-known/oauth-authorization-server') {
      return void res.end(JSON.stringify({ issuer: server.url, jwks_uri: `${server.url}/jwks.json`, revocation_feed_uri: `${server.url}/v1/revocations` }));
    }
    if (path === '/jwks.json') return void res.end(JSON.stringify({ keys: [key.publicJwk] }));
    if (path === '/v1/revocations') {
      if (req.headers.authorization !== 'Bearer svc') return void res.writeHead(401).end();
      return void res.end(JSON.stringify(feed));
    }
    const file = join(www, path === '/' ? 'index.html' : path.slice(1));
    if (!file.startsWith(www) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });

  browser = spawn(CHROMIUM, [...CHROMIUM_HEADLESS_ARGS, `--user-data-dir=${profile}`, `${server.url}/`], { detached: true, stdio: 'ignore' });
  let timer;
  const results = await Promise.race([
    reported,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('no result from the page within 60 s')), 60_000);
    }),
  ]).finally(() => clearTimeout(timer));

  assert.equal(results.error, undefined, results.error);
  assert.deepEqual(results, {
    sub: 'user-1',
    expired: 'ERR_JWT_EXPIRED',
    decoded: 'user-1',
    remote: 'user-1',
    revoked: 'ERR_JWT_REVOKED:sid',
    entries: 1,
    discovered: 'user-1',
    discoveredEntries: 1,
    ok: true,
  });
  // Control: the page's own request carried its cookie (and a referrer) ...
  const control = server.requests.find((r) => r.url === '/cookie-check');
  assert.match(control.headers.cookie ?? '', /session=page-secret/);
  assert.ok(control.headers.referer, 'an ordinary request of the page has a referrer');
  // ... the package's requests carried neither.
  const remote = server.requests.filter((r) => ['/.well-known/oauth-authorization-server', '/jwks.json', '/v1/revocations'].includes(r.url));
  assert.ok(remote.filter((r) => r.url === '/.well-known/oauth-authorization-server').length === 1, 'discovery ran in the page');
  assert.ok(remote.length >= 5, `${remote.length} requests of the package`);
  for (const r of remote) {
    assert.equal(r.headers.cookie, undefined, `${r.url} carried a cookie`);
    assert.equal(r.headers.referer, undefined, `${r.url} carried a referrer`);
  }
  assert.ok(server.requests.some((r) => r.url === '/revocable_wasm_bg.wasm'), 'the page loaded the wasm');
});
