// Shared test helpers: keys and tokens made by jose (an independent implementation), small
// HTTP servers, and waiting.
import { once } from 'node:events';
import { createServer } from 'node:http';
import * as jose from 'jose';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'api';

export const ASYMMETRIC = ['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
export const HMAC = { HS256: 32, HS384: 48, HS512: 64 };
export const ALL_ALGORITHMS = [...ASYMMETRIC, ...Object.keys(HMAC)];

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A key pair for `alg` made by jose, with the public JWK carrying alg, kid and use. */
export async function keyPair(alg, kid = `${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`) {
  if (alg in HMAC) {
    const secret = new Uint8Array(HMAC[alg]).map((_, i) => (i * 7 + alg.length) & 0xff);
    return { alg, kid, secret, privateKey: secret, publicJwk: { kty: 'oct', k: jose.base64url.encode(secret), alg, kid } };
  }
  const options = { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) };
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, options);
  const publicJwk = { ...(await jose.exportJWK(publicKey)), alg, kid, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

/** Standard access-token claims, valid now, with overrides (undefined removes a claim). */
export function claims(overrides = {}) {
  const now = nowSeconds();
  const base = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    iat: now - 5,
    exp: now + 300,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    sid: 'sid-1',
    scope: 'read write',
  };
  const merged = { ...base, ...overrides };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
}

/** Signs `payload` with jose. `header` overrides the protected header (alg, kid, typ...). */
export async function sign(key, payload = claims(), header = {}) {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** Base64url of a JSON value (for hand-made malformed tokens). */
export const b64json = (value) => jose.base64url.encode(JSON.stringify(value));

/**
 * A node:http server on 127.0.0.1, by default on an ephemeral port (never clashes with other
 * engineers' servers). `handler(req, res)`; returns { url, requests, close }.
 */
export async function serve(handler, { port = 0 } = {}) {
  const requests = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers }, at: Date.now() });
    Promise.resolve(handler(req, res)).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = server.address().port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    server,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns truthy or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const realNow = Date.now;
let clockOffset = 0;

/**
 * Moves Date.now `ms` further ahead until test `t` ends, so that a JWKS cooldown (at least
 * 1 s) or a max age passes without sleeping. Token times are minutes wide: unaffected.
 */
export function skipAhead(t, ms) {
  if (clockOffset === 0) {
    Date.now = () => realNow() + clockOffset;
    t.after(() => {
      clockOffset = 0;
      Date.now = realNow;
    });
  }
  clockOffset += ms;
}
