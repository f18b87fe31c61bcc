// Requests per second of a route behind requireAuth (an EdDSA access token, the verified-token
// cache on, as in production) against the same route of the same app with no auth, per
// adapter, in one run:
//   - Express and Fastify over HTTP: the app in a child process, a keep-alive load of
//     CONCURRENCY requests in flight from this process;
//   - Hono through app.request() in this process (no HTTP server: Hono's own machinery, as in
//     a worker);
// and the added install size of each adapter (its ESM file, its CommonJS bundle, its types,
// plus the shared rules every adapter imports).
//
// Usage: node bench/adapters.mjs [seconds per run, default 3] (each figure: the best of 3
// runs, the two routes alternating)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { AUDIENCE, ISSUER, claims, keyPair, sign } from '../test/helpers.mjs';

const SECONDS = Number(process.argv[2] ?? 3);
const CONCURRENCY = 16;
const ROUNDS = 3;
const JS = fileURLToPath(new URL('..', import.meta.url));

async function setup() {
  const key = await keyPair('EdDSA', 'k1');
  const token = await sign(key, claims({ exp: Math.floor(Date.now() / 1000) + 3600 }), { typ: 'at+jwt' });
  return { jwks: { keys: [key.publicJwk] }, token };
}

/** The app of `framework` with GET /open (no auth) and GET /protected (requireAuth). */
async function buildApp(framework, jwks) {
  const { createVerifier } = await import('revocable');
  const verifier = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, typ: 'at+jwt' });
  if (framework === 'express') {
    const { default: express } = await import('express');
    const { requireAuth } = await import('revocable/express');
    const app = express();
    app.get('/open', (req, res) => res.json({ sub: 'anonymous' }));
    app.get('/protected', requireAuth({ verifier }), (req, res) => res.json({ sub: req.auth.sub }));
    return app;
  }
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const { requireAuth } = await import('revocable/fastify');
    const app = Fastify();
    app.get('/open', async () => ({ sub: 'anonymous' }));
    app.get('/protected', { preHandler: [requireAuth({ verifier })] }, async (request) => ({ sub: request.auth.sub }));
    return app;
  }
  const { Hono } = await import('hono');
  const { requireAuth } = await import('revocable/hono');
  const app = new Hono();
  app.get('/open', (c) => c.json({ sub: 'anonymous' }));
  app.get('/protected', requireAuth({ verifier }), (c) => c.json({ sub: c.get('auth').sub }));
  return app;
}

// Child: serve the app, report the port.
if (process.argv[2] === '--serve') {
  const { framework, jwks } = JSON.parse(process.argv[3]);
  const app = await buildApp(framework, jwks);
  let port;
  if (framework === 'express') {
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = server.address().port;
  } else {
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = app.server.address().port;
  }
  process.send({ port });
} else {
  await main();
}

/** Requests/s of `get()` over SECONDS, CONCURRENCY in flight. */
async function requestsPerSecond(get) {
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await get();
        count += 1;
      }
    }),
  );
  return count / SECONDS;
}

/** Requests/s over HTTP: CONCURRENCY keep-alive loops for SECONDS. */
async function overHttp(port, path, headers) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = () =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 200; i++) await get(); // warm-up
  const rate = await requestsPerSecond(get);
  agent.destroy();
  return rate;
}

/** Requests/s through Hono's app.request(), CONCURRENCY in flight. */
async function inProcess(app, path, headers) {
  const get = async () => {
    const res = await app.request(path, { headers });
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    await res.arrayBuffer();
  };
  for (let i = 0; i < 2000; i++) await get(); // warm-up
  return requestsPerSecond(get);
}

/**
 * The best of ROUNDS alternating runs of each: a shared machine's other load, and JIT
 * warm-up, hit whichever runs first; alternating and keeping the best compares like with like.
 */
async function alternate(a, b) {
  let bestA = 0;
  let bestB = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bestA = Math.max(bestA, await a());
    bestB = Math.max(bestB, await b());
  }
  return [bestA, bestB];
}

function sizes(name) {
  const files = [`src/${name}.js`, `dist/cjs/${name}.cjs`, `types/${name}.d.ts`, `dist/cjs/${name}.d.cts`];
  const bytes = files.reduce((sum, file) => sum + statSync(`${JS}/${file}`).size, 0);
  const gzip = files.reduce((sum, file) => sum + gzipSync(readFileSync(`${JS}/${file}`)).length, 0);
  return { files: files.join(' + '), bytes, gzip };
}

async function main() {
  const { jwks, token } = await setup();
  const auth = { authorization: `Bearer ${token}` };
  const rows = [];
  for (const framework of ['express', 'fastify']) {
    const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify({ framework, jwks })], { cwd: JS });
    const [{ port }] = await once(child, 'message');
    const [open, protectedRps] = await alternate(() => overHttp(port, '/open', {}), () => overHttp(port, '/protected', auth));
    child.kill();
    rows.push({ adapter: `${framework} (http)`, 'no auth req/s': Math.round(open), 'requireAuth req/s': Math.round(protectedRps), ratio: +(protectedRps / open).toFixed(3) });
  }
  const hono = await buildApp('hono', jwks);
  const [open, protectedRps] = await alternate(() => inProcess(hono, '/open', {}), () => inProcess(hono, '/protected', auth));
  rows.push({ adapter: 'hono (app.request)', 'no auth req/s': Math.round(open), 'requireAuth req/s': Math.round(protectedRps), ratio: +(protectedRps / open).toFixed(3) });
  console.log(`# best of ${ROUNDS} alternating runs of ${SECONDS} s, ${CONCURRENCY} requests in flight, EdDSA token, cache on, node ${process.version}`);
  console.table(rows);

  const shared = ['src/http-auth.js', 'src/auth-errors.js', 'types/http-auth.d.ts', 'dist/cjs/http-auth.d.cts'].reduce((sum, f) => sum + statSync(`${JS}/${f}`).size, 0);
  const table = ['express', 'hono', 'fastify'].map((name) => ({ adapter: name, ...sizes(name) }));
  console.log(`# added install size per adapter (shared rules: src/http-auth.js, src/auth-errors.js + their types, ${shared} bytes, counted once; the CJS bundles include them)`);
  console.table(table);
}
