// revocable/express in a real Express 5 app over HTTP: statuses, the exact
// WWW-Authenticate text (RFC 6750), req.auth, and Express's own default error handler.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createVerifier } from 'revocable';
import { InvalidTokenError, UnauthorizedError, requireAuth, requireScope } from 'revocable/express';
import { AUDIENCE, ISSUER, claims, keyPair, nowSeconds, serve, sign, skipAhead } from './helpers.mjs';

let key;
let verifier;
let feedServer;
let jwksServer;
let app;
let base;
let listener;
let published;

before(async () => {
  key = await keyPair('EdDSA', 'k1');
  published = { keys: [key.publicJwk] };
  feedServer = await serve((req, res) =>
    res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [{ id: 'revoked-jti', exp: nowSeconds() + 300 }], sid: [], sub: [] })),
  );
  jwksServer = await serve((req, res) => res.end(JSON.stringify(published)));
  verifier = await createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: jwksServer.url,
    jwksCooldownMs: 1000,
    revocationUri: feedServer.url,
    serviceKey: 'svc',
    revocationIntervalMs: 60_000,
  });

  app = express();
  // "test": Express's default handler answers without logging each 401 to stderr (the body
  // still holds err.stack, as in development, which is how the no-stack-frames check bites).
  app.set('env', 'test');
  app.get('/me', requireAuth({ verifier }), (req, res) => res.json({ auth: req.auth }));
  app.get('/read', requireAuth({ verifier }), requireScope('read'), (req, res) => res.json({ ok: true }));
  app.get('/admin', requireAuth({ verifier }), requireScope('admin', 'write'), (req, res) => res.json({ ok: true }));
  app.get('/quoted', requireAuth({ verifier, realm: 'my "quoted" \\realm' }), requireScope('admin'), (req, res) => res.json({ ok: true }));
  // A custom error handler sees the JwtError as err.cause.
  const custom = express.Router();
  custom.get('/custom', requireAuth({ verifier }), (req, res) => res.json({ ok: true }));
  custom.use((err, req, res, next) => {
    if (!(err instanceof UnauthorizedError)) return next(err);
    res.status(err.status).set(err.headers).json({ error: err.code ?? null, jwt: err.cause?.code ?? null, claim: err.cause?.claim ?? null });
  });
  app.use(custom);

  listener = app.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  base = `http://127.0.0.1:${listener.address().port}`;
});

after(async () => {
  verifier.close();
  listener.closeAllConnections();
  listener.close();
  await feedServer.close();
  await jwksServer.close();
});

async function get(path, authorization) {
  const headers = authorization === undefined ? {} : { authorization };
  const res = await fetch(base + path, { headers });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
}

/** A request with raw header lines (fetch cannot send a header twice). */
function rawGet(path, headerLines) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { method: 'GET' });
    for (const [name, value] of headerLines) req.setHeader(name, value);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertNoLeak(body, token) {
  for (const part of (token ?? '').split('.').filter((p) => p.length > 8)) assert.ok(!body.includes(part), 'body leaks the token');
  assert.doesNotMatch(body, /\n\s+at /, 'no stack frames in the response');
}

describe('requireAuth', () => {
  test('200 with req.auth set to the verified payload', async () => {
    const payload = claims({ role: 'admin' });
    const res = await get('/me', `Bearer ${await sign(key, payload)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { auth: payload });
    assert.equal(res.challenge, null);
  });

  test('the scheme is case-insensitive', async () => {
    const token = await sign(key);
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) assert.equal((await get('/me', `${scheme} ${token}`)).status, 200);
  });

  test('401 with a bare challenge when the token is missing (or another scheme is used)', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Digest username="x"']) {
      const res = await get('/me', authorization);
      assert.equal(res.status, 401, String(authorization));
      assert.equal(res.challenge, 'Bearer realm="api"');
      assertNoLeak(res.body);
    }
  });

  test('401 invalid_token for a bad signature, an expired, a revoked and a foreign token', async () => {
    const good = await sign(key);
    const [h, p, s] = good.split('.');
    const cases = [
      [`${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`, 'signature verification failed'],
      [await sign(key, claims({ exp: nowSeconds() - 5 })), "'exp' claim timestamp check failed"],
      [await sign(key, claims({ jti: 'revoked-jti' })), "token revoked (by 'jti')"],
      [await sign(key, claims({ aud: 'billing' })), "'aud' claim check failed"],
      ['not-a-jwt', 'invalid jwt: a jwt has exactly three segments'],
    ];
    for (const [token, description] of cases) {
      const res = await get('/me', `Bearer ${token}`);
      assert.equal(res.status, 401);
      assert.equal(res.challenge, `Bearer realm="api", error="invalid_token", error_description="${description}"`);
      assertNoLeak(res.body, token);
    }
  });

  test('400 invalid_request for a malformed Authorization header', async () => {
    const token = await sign(key);
    const cases = [
      ['Bearer', 'empty bearer token'],
      [`Bearer ${token} extra`, 'malformed bearer token'],
      [`Bearer ${token}, Basic dXNlcjpwYXNz`, 'malformed bearer token'],
      [`Basic dXNlcjpwYXNz, Bearer ${token}`, 'multiple authorization schemes'],
      [`Bearer Bearer ${token}`, 'malformed bearer token'],
      ['Bearer a"b', 'malformed bearer token'],
    ];
    for (const [authorization, description] of cases) {
      const res = await get('/me', authorization);
      assert.equal(res.status, 400, authorization);
      assert.equal(res.challenge, `Bearer realm="api", error="invalid_request", error_description="${description}"`);
      assertNoLeak(res.body, token);
    }
    const twice = await rawGet('/me', [['Authorization', [`Bearer ${token}`, `Bearer ${token}`]]]);
    assert.equal(twice.status, 400);
    assert.equal(twice.challenge, 'Bearer realm="api", error="invalid_request", error_description="multiple authorization headers"');
  });

  test('a key rotated in at the issuer is picked up on the first request that uses it', async (t) => {
    skipAhead(t, 1100);
    const rotated = await keyPair('EdDSA', 'k2');
    published = { keys: [rotated.publicJwk, key.publicJwk] };
    const res = await get('/me', `Bearer ${await sign(rotated)}`);
    assert.equal(res.status, 200);
    published = { keys: [key.publicJwk] };
  });

  test('a custom error handler reads status, headers, code and the JwtError cause', async () => {
    const res = await get('/custom', `Bearer ${await sign(key, claims({ jti: 'revoked-jti' }))}`);
    assert.equal(res.status, 401);
    assert.equal(res.challenge, 'Bearer realm="api", error="invalid_token", error_description="token revoked (by \'jti\')"');
    assert.deepEqual(JSON.parse(res.body), { error: 'invalid_token', jwt: 'ERR_JWT_REVOKED', claim: 'jti' });
  });
});

describe('requireScope', () => {
  test('200 when every required scope is granted', async () => {
    assert.equal((await get('/read', `Bearer ${await sign(key)}`)).status, 200);
    assert.equal((await get('/admin', `Bearer ${await sign(key, claims({ scope: 'write read admin' }))}`)).status, 200);
  });

  test('403 insufficient_scope naming the required scopes', async () => {
    for (const scope of ['read write', undefined, 'admin', 'administrator write']) {
      const res = await get('/admin', `Bearer ${await sign(key, claims({ scope }))}`);
      assert.equal(res.status, 403, String(scope));
      assert.equal(
        res.challenge,
        'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="admin write"',
      );
    }
  });

  test('realm values are quote-escaped', async () => {
    const res = await get('/quoted', `Bearer ${await sign(key)}`);
    assert.equal(res.status, 403);
    assert.equal(
      res.challenge,
      'Bearer realm="my \\"quoted\\" \\\\realm", error="insufficient_scope", error_description="the token lacks a required scope", scope="admin"',
    );
    const missing = await get('/quoted');
    assert.equal(missing.challenge, 'Bearer realm="my \\"quoted\\" \\\\realm"');
  });
});

describe('setup mistakes fail at startup', () => {
  test('requireAuth and requireScope validate their arguments', () => {
    assert.throws(() => requireAuth({}), TypeError);
    assert.throws(() => requireAuth({ verifier, realm: 'bad\nrealm' }), TypeError);
    assert.throws(() => requireScope(), TypeError);
    assert.throws(() => requireScope('two words'), TypeError);
    assert.throws(() => requireScope('quo"te'), TypeError);
  });

  test('error objects carry status and headers for any error handler', () => {
    const err = new InvalidTokenError('signature verification failed');
    assert.equal(err.status, 401);
    assert.equal(err.statusCode, 401);
    assert.equal(err.expose, true);
    assert.equal(err.code, 'invalid_token');
    assert.deepEqual(err.headers, { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token", error_description="signature verification failed"' });
    assert.ok(err instanceof UnauthorizedError);
  });
});
