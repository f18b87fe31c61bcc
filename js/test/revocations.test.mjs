// Revocation feed polling against a real local HTTP server: the bearer service local.key,
// ETag / If-None-Match -> 304, revocation by jti, sid and sub, a failed poll keeping the last
// snapshot (and reporting it), close() stopping the polls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteSourceError, createVerifier } from 'revocable';
import { claims, nowSeconds, serve, sign, sleep, waitFor } from './helpers.mjs';
import { serverPerTest } from './local-server.mjs';

const SERVICE_KEY = 'svc-key-for-tests';
let feed;
let version;
let mode;
let redirectTo;

const local = serverPerTest(
  (req, res) => {
    if (mode === 'redirect' && req.url === '/v1/revocations') return void res.writeHead(307, { location: redirectTo }).end();
    if (req.url !== '/v1/revocations') return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${SERVICE_KEY}`) return void res.writeHead(401).end();
    if (mode === 'down') return void res.writeHead(502).end();
    if (mode === 'garbage') return void res.writeHead(200).end('{"jti": 5}');
    const etag = `"v${version}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(feed));
  },
  () => {
    feed = { generated_at: nowSeconds(), jti: [{ id: 'jti-revoked', exp: nowSeconds() + 300 }], sid: [], sub: [] };
    version = 1;
    mode = 'ok';
  },
);

const polling = (options = {}) =>
  local.verifier({ jwks: local.key.publicJwk, revocationUri: `${local.server.url}/v1/revocations`, serviceKey: SERVICE_KEY, revocationIntervalMs: 100, ...options });

const feedRequests = () => local.server.requests.filter((r) => r.url === '/v1/revocations');
const publish = (change) => {
  change(feed);
  feed.generated_at = nowSeconds();
  version += 1;
};

test('the first snapshot is loaded at creation with the service key; a revoked jti fails', async () => {
  const verifier = await polling({ revocationIntervalMs: 60_000 });
  const [first] = feedRequests();
  assert.equal(first.headers.authorization, `Bearer ${SERVICE_KEY}`);
  assert.equal(first.headers['if-none-match'], undefined);
  const revoked = await sign(local.key, claims({ jti: 'jti-revoked' }));
  assert.throws(() => verifier.verify(revoked), { name: 'JwtError', code: 'ERR_JWT_REVOKED', claim: 'jti' });
  assert.equal(verifier.verify(await sign(local.key)).sub, 'user-1');
  const { revocations } = verifier.status();
  assert.equal(revocations.entries, 1);
  assert.equal(revocations.intervalMs, 60_000);
  assert.equal(revocations.stale, false);
});

test('polls use If-None-Match; 304 keeps the snapshot; a new feed applies within an interval', async () => {
  const verifier = await polling();
  const revoked = await sign(local.key, claims({ jti: 'jti-revoked' }));
  await waitFor(() => feedRequests().length >= 4, 'three more polls');
  const later = feedRequests().slice(1);
  assert.ok(later.every((r) => r.headers['if-none-match'] === '"v1"'), 'ETag sent back');
  assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' });

  const session = await sign(local.key, claims({ sid: 'sid-logged-out' }));
  const oldLogin = await sign(local.key, claims({ sub: 'user-9', iat: nowSeconds() - 60 }));
  const newLogin = await sign(local.key, claims({ sub: 'user-9', iat: nowSeconds() }));
  assert.equal(verifier.verify(session).sid, 'sid-logged-out');
  assert.equal(verifier.verify(oldLogin).sub, 'user-9');

  publish((f) => {
    f.sid.push({ id: 'sid-logged-out', exp: nowSeconds() + 300 });
    f.sub.push({ id: 'user-9', not_before: nowSeconds() - 30, exp: nowSeconds() + 300 });
  });
  const started = Date.now();
  await waitFor(() => verifier.status().revocations.entries === 3, 'the new feed');
  assert.ok(Date.now() - started < 3000, 'applied within a few intervals');
  assert.throws(() => verifier.verify(session), { code: 'ERR_JWT_REVOKED', claim: 'sid' });
  assert.throws(() => verifier.verify(oldLogin), { code: 'ERR_JWT_REVOKED', claim: 'sub' });
  assert.equal(verifier.verify(newLogin).sub, 'user-9', 'tokens issued after the logout-everywhere pass');
});

test('a failed poll keeps the last snapshot and is reported; recovery clears stale', async () => {
  const errors = [];
  const verifier = await polling({ onError: (err) => errors.push(err) });
  const revoked = await sign(local.key, claims({ jti: 'jti-revoked' }));
  mode = 'down';
  await waitFor(() => errors.length >= 2, 'two failed polls');
  assert.ok(errors[0] instanceof RemoteSourceError);
  assert.equal(errors[0].source, 'revocations');
  assert.equal(errors[0].code, 'ERR_REMOTE_STATUS');
  assert.equal(errors[0].status, 502);
  let { revocations } = verifier.status();
  assert.equal(revocations.stale, true);
  assert.ok(revocations.failures >= 2);
  assert.equal(revocations.entries, 1);
  assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' }, 'last snapshot still applies');

  mode = 'garbage';
  const seen = errors.length;
  await waitFor(() => errors.length > seen && errors.at(-1).code === 'ERR_REMOTE_INVALID', 'an invalid feed');
  assert.equal(errors.at(-1).cause.code, 'ERR_REVOCATION_FEED_INVALID');
  assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' });

  mode = 'ok';
  await waitFor(() => !verifier.status().revocations.stale, 'recovery');
  revocations = verifier.status().revocations;
  assert.equal(revocations.failures, 0);
  assert.equal(revocations.lastError.code, 'ERR_REMOTE_INVALID');
});

test('the first poll must succeed: wrong service key or feed down rejects createVerifier', async () => {
  await assert.rejects(polling({ serviceKey: 'wrong' }), (err) => {
    assert.ok(err instanceof RemoteSourceError);
    assert.equal(err.code, 'ERR_REMOTE_STATUS');
    assert.equal(err.status, 401);
    assert.ok(!err.message.includes('wrong'), 'no credential in the message');
    return true;
  });
  mode = 'down';
  await assert.rejects(polling(), { code: 'ERR_REMOTE_STATUS', source: 'revocations' });
});

test('a redirect is not followed: the service key goes to the configured URL only', async (t) => {
  const elsewhere = await serve((req, res) => res.end(JSON.stringify(feed)));
  t.after(() => elsewhere.close());
  mode = 'redirect';
  for (const target of [`${local.server.url}/moved`, `${elsewhere.url}/v1/revocations`]) {
    redirectTo = target;
    await assert.rejects(polling(), (err) => {
      assert.ok(err instanceof RemoteSourceError);
      assert.equal(err.code, 'ERR_REMOTE_STATUS');
      assert.equal(err.status, 307);
      assert.match(err.message, /redirect not followed/);
      return true;
    });
  }
  assert.equal(local.server.requests.filter((r) => r.url === '/moved').length, 0, 'same-origin target never asked');
  assert.equal(elsewhere.requests.length, 0, 'cross-origin target never asked');
  // A verifier that polls fine keeps its snapshot when the feed starts redirecting.
  mode = 'ok';
  const verifier = await polling();
  mode = 'redirect';
  redirectTo = `${elsewhere.url}/v1/revocations`;
  await waitFor(() => verifier.status().revocations.stale, 'a refused redirect');
  assert.equal(verifier.status().revocations.lastError.code, 'ERR_REMOTE_STATUS');
  assert.equal(verifier.status().revocations.entries, 1);
  assert.equal(elsewhere.requests.length, 0);
});

test('entries already past their exp are dropped', async () => {
  feed.jti.push({ id: 'old', exp: nowSeconds() - 10 });
  const verifier = await polling({ revocationIntervalMs: 60_000 });
  assert.equal(verifier.status().revocations.entries, 1);
});

test('with clockTolerance, an entry is kept until exp + tolerance: a token still accepted after exp stays revoked', async () => {
  // The token expired 30 s ago but a 60 s tolerance still accepts it; its session was
  // revoked and the feed entry's exp (the token's exp) is already past.
  const exp = nowSeconds() - 30;
  feed.sid.push({ id: 'sid-late', exp });
  const verifier = await polling({ revocationIntervalMs: 60_000, clockTolerance: 60 });
  const late = await sign(local.key, claims({ sid: 'sid-late', iat: exp - 300, exp }));
  assert.throws(() => verifier.verify(late), { code: 'ERR_JWT_REVOKED', claim: 'sid' });
  // The same token from another session is accepted (within tolerance), so the check above
  // failed on the revocation, not on the expiry.
  assert.equal(verifier.verify(await sign(local.key, claims({ sid: 'sid-other', iat: exp - 300, exp }))).sid, 'sid-other');
});

test('close() stops polling', async () => {
  const verifier = await polling();
  await waitFor(() => feedRequests().length >= 2, 'a poll');
  verifier.close();
  const count = feedRequests().length;
  await sleep(350);
  assert.ok(feedRequests().length <= count + 1, 'no polls after close (one may have been in flight)');
  assert.equal(verifier.status().closed, true);
});
