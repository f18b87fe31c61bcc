// Fail-closed (maxRevocationStalenessMs): the feed goes down, tokens are accepted until the
// last successful poll is older than the limit, then refused with ERR_REVOCATION_STALE (bad
// tokens keep their own codes), and accepted again as soon as a poll succeeds; status()
// tells. Off by default: then an outage only marks the feed stale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, claims, nowSeconds, sign, sleep, waitFor } from './helpers.mjs';
import { serverPerTest } from './local-server.mjs';

const FEED_KEY = 'fail-closed-feed-key';
let down;

const local = serverPerTest(
  (req, res) => {
    if (down) return void res.writeHead(502).end();
    res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [], sid: [], sub: [] }));
  },
  () => {
    down = false;
  },
);

const polling = (options = {}) =>
  local.verifier({ jwks: local.key.publicJwk, revocationUri: local.server.url, feedKey: FEED_KEY, revocationIntervalMs: 100, onError: () => {}, ...options });

test('the feed goes down: accepted until the limit, refused after it, accepted after recovery', async () => {
  const verifier = await polling({ maxRevocationStalenessMs: 600 });
  const token = await sign(local.key);
  assert.equal(verifier.verify(token).sub, 'user-1');
  let status = verifier.status().revocations;
  assert.equal(status.maxStalenessMs, 600);
  assert.equal(status.refusing, false);

  down = true;
  const wentDown = Date.now();
  await waitFor(() => verifier.status().revocations.stale, 'a failed poll');
  // Within the limit: still accepted (the snapshot is a few polls old at most).
  if (Date.now() - wentDown < 400) assert.equal(verifier.verify(token).sub, 'user-1');
  await waitFor(() => verifier.status().revocations.refusing, 'the limit', 5000);
  const refusedAfter = Date.now() - verifier.status().revocations.updatedAt;
  assert.ok(refusedAfter > 600, `refusing ${refusedAfter} ms after the last good poll`);
  assert.throws(() => verifier.verify(token), (err) => {
    assert.equal(err.name, 'JwtError');
    assert.equal(err.code, 'ERR_REVOCATION_STALE');
    assert.match(err.message, /^revocation feed is stale: no successful poll for \d+ s \(limit 0\.6 s\)$/);
    return true;
  });
  await assert.rejects(verifier.verifyAsync(token), { code: 'ERR_REVOCATION_STALE' });
  // A bad token is refused for what it is.
  const expired = await sign(local.key, claims({ exp: nowSeconds() - 1 }));
  assert.throws(() => verifier.verify(expired), { code: 'ERR_JWT_EXPIRED' });
  status = verifier.status().revocations;
  assert.equal(status.stale, true);
  assert.ok(status.failures >= 2);

  down = false;
  await waitFor(() => !verifier.status().revocations.refusing, 'a successful poll', 5000);
  assert.equal(verifier.verify(token).sub, 'user-1');
  assert.equal(verifier.status().revocations.stale, false);
});

test('cached tokens are refused too while the feed is too old', async () => {
  const verifier = await polling({ maxRevocationStalenessMs: 300 });
  const token = await sign(local.key);
  verifier.verify(token);
  verifier.verify(token);
  assert.equal(verifier.status().cache.entries, 1);
  down = true;
  await waitFor(() => verifier.status().revocations.refusing, 'the limit', 5000);
  assert.throws(() => verifier.verify(token), { code: 'ERR_REVOCATION_STALE' });
});

test('the first successful poll ends the refusal: refreshRevocations() (workers) awaits it', async () => {
  const verifier = await polling({ maxRevocationStalenessMs: 300 });
  const token = await sign(local.key);
  down = true;
  await waitFor(() => verifier.status().revocations.refusing, 'the limit', 5000);
  down = false;
  // Polls at most once per interval and shares a running one: after it, the snapshot is fresh.
  await sleep(110);
  await verifier.refreshRevocations();
  assert.equal(verifier.verify(token).sub, 'user-1');
});

test('off by default: an outage marks the feed stale and tokens keep verifying', async () => {
  const verifier = await polling();
  const token = await sign(local.key);
  down = true;
  await waitFor(() => verifier.status().revocations.failures >= 3, 'three failed polls');
  assert.equal(verifier.verify(token).sub, 'user-1');
  assert.equal(verifier.status().revocations.maxStalenessMs, null);
  assert.equal(verifier.status().revocations.refusing, false);
});

test('option checks: needs a feed, and more than one interval', async () => {
  const base = { issuer: ISSUER, audience: AUDIENCE, jwks: local.key.publicJwk };
  await assert.rejects(createVerifier({ ...base, maxRevocationStalenessMs: 30_000 }), { name: 'TypeError', message: /maxRevocationStalenessMs needs the revocation feed/ });
  await assert.rejects(polling({ maxRevocationStalenessMs: 100 }), { name: 'TypeError', message: /larger than revocationIntervalMs/ });
  await assert.rejects(polling({ maxRevocationStalenessMs: 'soon' }), { name: 'TypeError' });
});
