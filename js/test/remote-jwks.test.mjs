// Remote JWKS against a real local HTTP server: fetch at creation, rotation picked up on an
// unknown kid, the refetch cooldown, stale keys served (and reported) while the issuer is
// down, timeouts, size caps and invalid bodies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteSourceError, createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, keyPair, serve, sign, skipAhead, sleep, waitFor } from './helpers.mjs';
import { serverPerTest } from './local-server.mjs';

const policy = { issuer: ISSUER, audience: AUDIENCE };
let k1;
let k2;
// Same algorithm as k1, not published until a test says so.
let kNew;
let jwks;
let mode;

const local = serverPerTest(issuer, async () => {
  k1 ??= await keyPair('EdDSA', 'k1');
  k2 ??= await keyPair('ES256', 'k2');
  kNew ??= await keyPair('EdDSA', 'k-new');
  jwks = { keys: [k1.publicJwk] };
  mode = 'ok';
});

function issuer(req, res) {
  if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
  if (mode === 'down') return void res.writeHead(503).end('maintenance');
  if (mode === 'hang') return; // never answers
  if (mode === 'redirect') return void res.writeHead(301, { location: '/keys-moved.json' }).end();
  if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"nope"}');
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
}

const remote = (options = {}) => local.verifier({ jwksUri: `${local.server.url}/.well-known/jwks.json`, ...options });

const jwksRequests = () => local.server.requests.filter((r) => r.url === '/.well-known/jwks.json').length;

test('fetched at creation, then served from memory', async () => {
  const verifier = await remote();
  assert.equal(jwksRequests(), 1);
  const token = await sign(k1);
  for (let i = 0; i < 50; i++) assert.equal(verifier.verify(token).sub, 'user-1');
  assert.equal(jwksRequests(), 1);
  const { keys } = verifier.status();
  assert.equal(keys.source, 'jwksUri');
  assert.deepEqual(keys.kids, ['k1']);
  assert.equal(keys.stale, false);
  assert.equal(keys.failures, 0);
  assert.equal(keys.lastError, null);
});

// k2 is ES256 while k1 is EdDSA: the rotation also changes the algorithm, which the default
// allow-list (the algorithms of the current keys) does not know yet.
test('rotation: a new kid is picked up by a refetch (verify fails fast, verifyAsync waits)', async (t) => {
  const verifier = await remote({ jwksCooldownMs: 1000 });
  jwks = { keys: [k2.publicJwk, k1.publicJwk] };
  const rotated = await sign(k2);
  skipAhead(t, 1100);
  // verifyAsync waits for the refetch it starts.
  assert.equal((await verifier.verifyAsync(rotated)).sub, 'user-1');
  assert.equal(jwksRequests(), 2);
  assert.deepEqual(verifier.status().keys.kids, ['k2', 'k1']);
  assert.equal(verifier.verify(await sign(k1)).sub, 'user-1');

  // Key removed upstream: the next refetch drops it.
  jwks = { keys: [k2.publicJwk] };
  const k3 = await keyPair('EdDSA', 'k3');
  skipAhead(t, 1100);
  // Synchronous verify: fails now and refetches in the background.
  const byK3 = await sign(k3);
  const byK1 = await sign(k1);
  assert.throws(() => verifier.verify(byK3), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  await waitFor(() => verifier.status().keys.kids.length === 1, 'the refetch');
  // k1 is gone, and with it EdDSA from the default allow-list.
  assert.throws(() => verifier.verify(byK1), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
});

test('unknown-kid refetches respect the cooldown', async () => {
  // A minute: no stall of a loaded machine reaches it; the test moves the clock past it instead.
  const verifier = await remote({ jwksCooldownMs: 60_000 });
  const unknown = await sign(await keyPair('EdDSA', 'nobody'));
  // Within the cooldown of the creation fetch: no request at all, however many tries.
  for (let i = 0; i < 20; i++) assert.throws(() => verifier.verify(unknown), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  await assert.rejects(verifier.verifyAsync(unknown), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  assert.equal(jwksRequests(), 1);

  // The cooldown has passed (the verifier reads Date.now).
  const realNow = Date.now;
  Date.now = () => realNow() + 60_050;
  try {
    const burst = [];
    for (let i = 0; i < 20; i++) burst.push(verifier.verifyAsync(unknown).catch((err) => err.code));
    assert.deepEqual(new Set(await Promise.all(burst)), new Set(['ERR_JWKS_NO_MATCHING_KEY']));
    assert.equal(jwksRequests(), 2, 'one refetch for the whole burst');
    for (let i = 0; i < 20; i++) assert.throws(() => verifier.verify(unknown), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await sleep(50);
    assert.equal(jwksRequests(), 2, 'still cooling down');
  } finally {
    Date.now = realNow;
  }
});

test('issuer down: stale keys keep verifying, the failure is reported in status() and onError', async (t) => {
  const errors = [];
  const verifier = await remote({ jwksCooldownMs: 1000, onError: (err) => errors.push(err) });
  const token = await sign(k1);
  const unknown = await sign(kNew);

  mode = 'down';
  skipAhead(t, 1100);
  await assert.rejects(verifier.verifyAsync(unknown), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof RemoteSourceError);
  assert.equal(errors[0].code, 'ERR_REMOTE_STATUS');
  assert.equal(errors[0].status, 503);
  assert.equal(errors[0].source, 'jwks');
  let { keys } = verifier.status();
  assert.equal(keys.stale, true);
  assert.equal(keys.failures, 1);
  assert.equal(keys.lastError.code, 'ERR_REMOTE_STATUS');
  assert.equal(verifier.verify(token).sub, 'user-1', 'stale keys still verify');

  // Fully unreachable: connection refused.
  await local.server.close();
  skipAhead(t, 1100);
  await assert.rejects(verifier.verifyAsync(unknown), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  assert.equal(errors.length, 2);
  assert.equal(errors[1].code, 'ERR_REMOTE_UNREACHABLE');
  keys = verifier.status().keys;
  assert.equal(keys.failures, 2);
  assert.equal(verifier.verify(token).sub, 'user-1', 'stale keys still verify');

  // Back up (same port), with the new key: recovered and no longer stale.
  mode = 'ok';
  jwks = { keys: [k1.publicJwk, kNew.publicJwk] };
  await local.restart();
  skipAhead(t, 1100);
  assert.equal((await verifier.verifyAsync(unknown)).sub, 'user-1');
  keys = verifier.status().keys;
  assert.equal(keys.stale, false);
  assert.equal(keys.failures, 0);
  assert.equal(keys.lastError.code, 'ERR_REMOTE_UNREACHABLE', 'the last error stays visible');
});

test('without onError the first failure of a streak is logged once', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const verifier = await remote({ jwksCooldownMs: 1000 });
  const unknown = await sign(kNew);
  mode = 'down';
  for (let i = 0; i < 3; i++) {
    skipAhead(t, 1100);
    await assert.rejects(verifier.verifyAsync(unknown));
  }
  assert.equal(verifier.status().keys.failures, 3);
  assert.equal(warn.mock.callCount(), 1);
  assert.match(warn.mock.calls[0].arguments[0], /jwks fetch failed: http status 503/);
});

test('an invalid JWKS body is rejected and the previous keys stay', async (t) => {
  const errors = [];
  const verifier = await remote({ jwksCooldownMs: 1000, onError: (err) => errors.push(err) });
  mode = 'garbage';
  skipAhead(t, 1100);
  await assert.rejects(verifier.verifyAsync(await sign(kNew)), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  assert.equal(errors[0].code, 'ERR_REMOTE_INVALID');
  assert.equal(errors[0].cause.code, 'ERR_JWK_INVALID');
  assert.equal(verifier.verify(await sign(k1)).sub, 'user-1');
});

test('keys older than jwksMaxAgeMs are refreshed in the background', async (t) => {
  const verifier = await remote({ jwksMaxAgeMs: 100, jwksCooldownMs: 1000 });
  const token = await sign(k1);
  verifier.verify(token);
  assert.equal(jwksRequests(), 1);
  skipAhead(t, 1100);
  verifier.verify(token);
  await waitFor(() => jwksRequests() === 2, 'the max-age refetch');
});

test('a redirect is not followed (the JWKS address is the configured one)', async () => {
  mode = 'redirect';
  await assert.rejects(remote(), { code: 'ERR_REMOTE_STATUS', status: 301, source: 'jwks' });
  assert.equal(local.server.requests.filter((r) => r.url === '/keys-moved.json').length, 0);
});

test('first fetch failures reject createVerifier with a RemoteSourceError', async () => {
  await assert.rejects(createVerifier({ ...policy, jwksUri: `${local.server.url}/missing` }), (err) => {
    assert.ok(err instanceof RemoteSourceError);
    assert.equal(err.code, 'ERR_REMOTE_STATUS');
    assert.equal(err.status, 404);
    return true;
  });
  mode = 'garbage';
  await assert.rejects(remote(), (err) => err.code === 'ERR_REMOTE_INVALID' && err.cause?.code === 'ERR_JWK_INVALID');
  mode = 'hang';
  const started = Date.now();
  await assert.rejects(remote({ fetchTimeoutMs: 200 }), { name: 'RemoteSourceError', code: 'ERR_REMOTE_TIMEOUT' });
  assert.ok(Date.now() - started < 2000);
  await assert.rejects(createVerifier({ ...policy, jwksUri: 'http://127.0.0.1:9/jwks' }), { code: 'ERR_REMOTE_UNREACHABLE' });
});

test('bodies over maxResponseBytes are refused (declared or streamed)', async () => {
  jwks = { keys: [k1.publicJwk], padding: 'x'.repeat(5000) };
  await assert.rejects(remote({ maxResponseBytes: 1000 }), { code: 'ERR_REMOTE_TOO_LARGE' });
  const chunked = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 10; i++) res.write(' '.repeat(500));
    res.end(JSON.stringify({ keys: [k1.publicJwk] }));
  });
  try {
    await assert.rejects(createVerifier({ ...policy, jwksUri: chunked.url, maxResponseBytes: 1000 }), { code: 'ERR_REMOTE_TOO_LARGE' });
    const ok = await createVerifier({ ...policy, jwksUri: chunked.url, maxResponseBytes: 10_000 });
    ok.close();
  } finally {
    await chunked.close();
  }
});

test('an algorithm outside the allow-list refetches only for an unknown kid and a key-derived allow-list', async (t) => {
  const known = await sign({ ...k2, kid: 'k1' }); // ES256 claiming k1's kid: never a new key
  const fresh = await sign(k2); // ES256, unknown kid: maybe a rotation
  const derived = await remote();
  skipAhead(t, 60_000);
  assert.throws(() => derived.verify(known), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  await sleep(30);
  assert.equal(jwksRequests(), 1);
  assert.throws(() => derived.verify(fresh), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  await waitFor(() => jwksRequests() === 2, 'a refetch for the unknown kid');

  const pinned = await remote({ algorithms: ['EdDSA'] });
  skipAhead(t, 60_000);
  assert.throws(() => pinned.verify(fresh), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  await sleep(30);
  assert.equal(jwksRequests(), 3, 'only the creation fetch of the pinned verifier');
});

test('a secret (oct) key in a fetched JWKS is never used: an HS256 token signed with it fails', async (t) => {
  // A secret published at a URL is known to everyone: it must not become an HMAC key, at
  // creation or at a refetch. The EdDSA key next to it keeps working.
  const published = await keyPair('HS256', 'leaked');
  jwks = { keys: [k1.publicJwk, published.publicJwk] };
  const verifier = await remote({ jwksCooldownMs: 1000 });
  assert.deepEqual(verifier.status().keys.kids, ['k1']);
  const forged = await sign(published);
  skipAhead(t, 1100);
  assert.throws(() => verifier.verify(forged), (err) => err.name === 'JwtError' && err.code !== undefined);
  await assert.rejects(verifier.verifyAsync(forged), { name: 'JwtError' });
  assert.deepEqual(verifier.status().keys.kids, ['k1']);
  assert.equal(verifier.verify(await sign(k1)).sub, 'user-1');
  // A JWKS holding only a secret key is unusable: creation fails.
  jwks = { keys: [published.publicJwk] };
  await assert.rejects(remote(), { source: 'jwks' });
});
