// verifier.refreshRevocations(): an on-demand feed poll for runtimes whose timers only run
// while a request is in flight (Cloudflare Workers). Against a real local HTTP feed server:
// it polls only once the interval has passed, shares a running poll (never two at once, also
// with the timer's poll), never rejects when the issuer is down, and is a no-op without a feed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, claims, nowSeconds, sign, sleep } from './helpers.mjs';
import { serverPerTest } from './local-server.mjs';

const SERVICE_KEY = 'svc-key-for-refresh-tests';
let feed;
let version;
let down;
let delayMs;
let inFlight;
let maxInFlight;

const local = serverPerTest(
  async (req, res) => {
    if (req.headers.authorization !== `Bearer ${SERVICE_KEY}`) return void res.writeHead(401).end();
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (delayMs) await sleep(delayMs);
      if (down) return void res.writeHead(503).end();
      const etag = `"v${version}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(feed));
    } finally {
      inFlight -= 1;
    }
  },
  () => {
    feed = { generated_at: nowSeconds(), jti: [], sid: [], sub: [] };
    version = 1;
    down = false;
    delayMs = 0;
    inFlight = 0;
    maxInFlight = 0;
  },
);

const verifierWith = (options = {}) =>
  local.verifier({ jwks: local.key.publicJwk, revocationUri: `${local.server.url}/v1/revocations`, serviceKey: SERVICE_KEY, onError: () => {}, ...options });

const polls = () => local.server.requests.length;

/**
 * Runs `fn` as if `ms` had passed (refreshRevocations compares Date.now() with the start of
 * the last poll), without waiting and without letting the verifier's own timer fire.
 */
async function later(ms, fn) {
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

test('polls only when the interval has passed since the last poll started', async () => {
  // A long interval: the timer never fires during the test, so every poll is ours.
  const verifier = await verifierWith({ revocationIntervalMs: 10_000 });
  assert.equal(polls(), 1, 'createVerifier polls once');
  await verifier.refreshRevocations();
  // Half the interval: a stalled machine has 5 s before this could turn into a due poll.
  await later(5_000, () => verifier.refreshRevocations());
  assert.equal(polls(), 1, 'a snapshot younger than the interval is not polled again');

  const token = await sign(local.key, claims({ sid: 'sid-late' }));
  assert.equal(verifier.verify(token).sid, 'sid-late');
  feed.sid.push({ id: 'sid-late', exp: nowSeconds() + 300 });
  version += 1;
  await later(10_001, () => verifier.refreshRevocations());
  assert.equal(polls(), 2, 'one poll once the interval passed');
  assert.throws(() => verifier.verify(token), (err) => err.code === 'ERR_JWT_REVOKED' && err.claim === 'sid');
  await later(10_001, () => verifier.refreshRevocations());
  assert.equal(polls(), 2, 'the interval counts from that poll');
});

test('concurrent calls share one poll, also with the timer poll', async () => {
  const verifier = await verifierWith({ revocationIntervalMs: 100 });
  delayMs = 150;
  await sleep(110);
  const start = polls();
  await Promise.all([verifier.refreshRevocations(), verifier.refreshRevocations(), verifier.refreshRevocations()]);
  assert.ok(polls() - start <= 2, `at most the timer's poll and one more, saw ${polls() - start}`);
  assert.equal(maxInFlight, 1, 'never two feed requests at once');
  // Let the timer run a few rounds while we keep calling: still never two at once.
  for (let i = 0; i < 5; i += 1) {
    await sleep(60);
    await verifier.refreshRevocations();
  }
  assert.equal(maxInFlight, 1, 'never two feed requests at once');
});

test('never rejects when the issuer is down; the failure shows in status()', async () => {
  const errors = [];
  const verifier = await verifierWith({ revocationIntervalMs: 10_000, onError: (err) => errors.push(err) });
  down = true;
  await later(10_001, () => assert.doesNotReject(verifier.refreshRevocations()));
  assert.equal(polls(), 2);
  const status = verifier.status().revocations;
  assert.equal(status.stale, true);
  assert.equal(status.lastError.code, 'ERR_REMOTE_STATUS');
  assert.ok(errors.some((err) => err.source === 'revocations' && err.status === 503));
});

test('a no-op without a feed and after close()', async () => {
  const noFeed = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: local.key.publicJwk });
  assert.equal(await noFeed.refreshRevocations(), undefined);
  noFeed.close();
  const verifier = await verifierWith({ revocationIntervalMs: 100 });
  verifier.close();
  const before = polls();
  await sleep(120);
  await verifier.refreshRevocations();
  assert.equal(polls(), before);
});
