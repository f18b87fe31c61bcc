// The npm package's verifier under fault, against real local HTTP servers: for each way a
// JWKS or revocation-feed endpoint can fail after the verifier started (FAULTS in
// tests/lib/verifier.mjs: 5xx and 429, garbage, invalid UTF-8, HTML, empty, 100000-deep JSON, a body cut
// off mid-way, a reset connection, a redirect loop, a 50 MB declared body, an endless body, no
// answer, a slow-loris body), the verifier:
// - keeps verifying with its last good keys / snapshot (a revoked token stays refused);
// - gives up within fetchTimeoutMs (plus slack) and never blocks verify() meanwhile;
// - reports it (onError gets a RemoteSourceError with the fault's code, status() shows stale
//   and the last error), and never lets polls pile up on a hanging feed;
// - recovers when the endpoint does.
// Plus: a later feed that no longer lists a revocation (a stale cached copy) does not undo it,
// and an onError hook that throws does not stop polling.
//
// js/test/remote-jwks.test.mjs and revocations.test.mjs cover a 503/502, connection refused,
// '{"keys":"nope"}' / '{"jti":5}', a hang and size caps at creation time; this file covers the
// refetch / poll of a running verifier for every fault above.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIENCE, BUILT, FAULTS, ISSUER, claims, edKey, loadPackage, nowSeconds, serve, signEd, sleep } from '../lib/index.mjs';

// One JWKS port per fault (18502-18515): a client's pooled connection to the previous test's
// server (killed mid-response by the last fault) must not decide the next test's first fetch.
const JWKS_PORTS = Object.fromEntries(Object.keys(FAULTS).map((fault, i) => [fault, 18502 + i]));
const FEED_PORT = 18501;
const TIMEOUT_MS = 400;
// The fetch timeout of each case: short for the faults that are timeouts (no answer, a
// slow-loris body), so the suite stays quick; long for the others, whose own error must come
// first even when a loaded machine stalls (a cut-off body took up to 90 ms at load 3, and a
// 400 ms timeout there would turn the expected code into ERR_REMOTE_TIMEOUT).
const timeoutFor = (code) => (code === 'ERR_REMOTE_TIMEOUT' ? TIMEOUT_MS : 3000);
const SERVICE_KEY = 'hardening-service-key';
const realNow = Date.now;
const skip = BUILT ? false : 'js/dist not built (run `make build-js`)';

let revocable;
before(async () => {
  if (BUILT) revocable = await loadPackage();
});

/** A JWKS server whose behaviour is switched by `state.fault` (undefined: the good keys). */
async function jwksServer(state, port) {
  return serve((req, res, socket) => {
    if (state.fault) return FAULTS[state.fault].serve(req, res, socket);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((k) => k.publicJwk) }));
  }, { port });
}

/** A feed server: `state.feed` (a feed object) unless `state.fault`. */
/** createVerifier() options: the local key `key`, `server`'s feed polled every 50 ms, and `more`. */
function feedOptions(key, server, more = {}) {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    revocationUri: `${server.url}/v1/revocations`,
    serviceKey: SERVICE_KEY,
    revocationIntervalMs: 50,
    ...more,
  };
}

async function feedServer(state) {
  return serve((req, res, socket) => {
    if (req.headers.authorization !== `Bearer ${SERVICE_KEY}`) return res.writeHead(401).end();
    if (state.fault) return FAULTS[state.fault].serve(req, res, socket);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.feed));
  }, { port: FEED_PORT });
}

for (const [fault, { code }] of Object.entries(FAULTS)) {
  test(`JWKS refetch: ${fault} -> ${code}; last good keys kept, verify never blocked, recovery`, { skip }, async () => {
    const k1 = edKey('k1');
    const k2 = edKey('k2');
    const state = { keys: [k1] };
    const server = await jwksServer(state, JWKS_PORTS[fault]);
    const errors = [];
    let verifier;
    try {
      verifier = await revocable.createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUri: `${server.url}/jwks`,
        // The smallest cooldown accepted; the clock is moved past it below instead of sleeping.
        jwksCooldownMs: 1000,
        fetchTimeoutMs: timeoutFor(code),
        maxResponseBytes: 1 << 20,
        onError: (err) => errors.push(err),
      });
      const good = signEd(k1, claims());
      const rotated = signEd(k2, claims());
      state.fault = fault;
      Date.now = () => realNow() + 1100;

      const started = Date.now();
      const refetch = verifier.verifyAsync(rotated).then(
        () => 'verified',
        (err) => err.code,
      );
      // While the refetch is failing (or hanging), verify() answers synchronously with the old
      // keys: a plain result, never a promise.
      for (let i = 0; i < 20; i++) {
        const result = verifier.verify(good);
        assert.equal(typeof result.then, 'undefined', 'verify() returns no promise');
        assert.equal(result.sub, 'user-1');
      }
      assert.equal(await refetch, 'ERR_JWKS_NO_MATCHING_KEY');
      const took = Date.now() - started;
      // A hanging server never answers: only the fetch timeout ends the refetch (slack for a loaded CI machine).
      assert.ok(took < timeoutFor(code) + 4000, `gave up after ${took} ms`);

      assert.equal(errors.length, 1, `one report: ${errors.map((e) => e.code)}`);
      assert.equal(errors[0].name, 'RemoteSourceError');
      assert.equal(errors[0].code, code, errors[0].message);
      assert.equal(errors[0].source, 'jwks');
      const { keys } = verifier.status();
      assert.equal(keys.stale, true);
      assert.equal(keys.failures, 1);
      assert.equal(keys.lastError.code, code);
      assert.deepEqual(keys.kids, ['k1'], 'the last good keys stay');
      assert.equal(verifier.verify(good).sub, 'user-1');

      // The endpoint recovers with the rotated key: picked up, no longer stale.
      state.fault = undefined;
      state.keys = [k1, k2];
      Date.now = () => realNow() + 2200 + timeoutFor(code) + 4000;
      assert.equal((await verifier.verifyAsync(rotated)).sub, 'user-1');
      assert.equal(verifier.status().keys.stale, false);
    } finally {
      Date.now = realNow;
      verifier?.close();
      await server.close();
    }
  });
}

for (const [fault, { code }] of Object.entries(FAULTS)) {
  test(`feed poll: ${fault} -> ${code}; last snapshot kept (revoked stays revoked), no pile-up, recovery`, { skip }, async () => {
    const key = edKey('k1');
    const state = { feed: { generated_at: nowSeconds(), jti: [{ id: 'jti-revoked', exp: nowSeconds() + 300 }], sid: [], sub: [] } };
    const server = await feedServer(state);
    const options = (onError) => feedOptions(key, server, { fetchTimeoutMs: timeoutFor(code), maxResponseBytes: 1 << 20, onError });
    const errors = [];
    let verifier;
    try {
      verifier = await revocable.createVerifier(options((err) => errors.push(err)));
      const revoked = signEd(key, claims({ jti: 'jti-revoked' }));
      const fine = signEd(key, claims());
      assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' });

      state.fault = fault;
      // A verifier created now fails loudly: its first snapshot must load.
      await assert.rejects(revocable.createVerifier(options(() => {})), (err) => err.name === 'RemoteSourceError' && err.code === code);

      const started = Date.now();
      for (let i = 0; i < 250 && errors.length === 0; i++) await sleep(20);
      assert.ok(errors.length >= 1, 'the failed poll is reported');
      assert.ok(Date.now() - started < timeoutFor(code) + 4000, 'within the fetch timeout (plus slack for a loaded machine)');
      assert.equal(errors[0].name, 'RemoteSourceError');
      assert.equal(errors[0].code, code, errors[0].message);
      assert.equal(errors[0].source, 'revocations');
      let { revocations } = verifier.status();
      assert.equal(revocations.stale, true);
      assert.equal(revocations.lastError.code, code);
      assert.equal(revocations.entries, 1, 'the last snapshot stays');
      // verify() never waits for a poll: it is synchronous and answers from the kept snapshot.
      for (let i = 0; i < 20; i++) {
        assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' }, 'still revoked');
        const result = verifier.verify(fine);
        assert.equal(typeof result.then, 'undefined', 'verify() returns no promise');
        assert.equal(result.sub, 'user-1');
      }
      // However long the fault lasts, polls do not pile up (a chain of timeouts, one at a time).
      await sleep(3 * TIMEOUT_MS);
      assert.ok(server.stats.maxOpen <= 2, `at most one poll open at a time per verifier (saw ${server.stats.maxOpen})`);

      state.fault = undefined;
      state.feed = { ...state.feed, generated_at: nowSeconds(), sid: [{ id: 'sid-new', exp: nowSeconds() + 300 }] };
      for (let i = 0; i < 100 && verifier.status().revocations.stale; i++) await sleep(20);
      revocations = verifier.status().revocations;
      assert.equal(revocations.stale, false, 'recovered');
      assert.equal(revocations.entries, 2);
      assert.throws(() => verifier.verify(signEd(key, claims({ sid: 'sid-new' }))), { code: 'ERR_JWT_REVOKED', claim: 'sid' });
      assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' });
    } finally {
      verifier?.close();
      await server.close();
    }
  });
}

test('a later feed that no longer lists a revocation (a stale cached copy) does not undo it', { skip }, async () => {
  const key = edKey('k1');
  const exp = nowSeconds() + 120;
  const state = { feed: { generated_at: nowSeconds(), jti: [], sid: [{ id: 'sid-gone', exp: exp + 60 }], sub: [{ id: 'user-9', not_before: nowSeconds(), exp }] } };
  const server = await feedServer(state);
  const verifier = await revocable.createVerifier(feedOptions(key, server));
  try {
    const bySid = signEd(key, claims({ sid: 'sid-gone', exp }));
    const bySub = signEd(key, claims({ sub: 'user-9', iat: nowSeconds() - 10, exp }));
    assert.throws(() => verifier.verify(bySid), { code: 'ERR_JWT_REVOKED', claim: 'sid' });
    assert.throws(() => verifier.verify(bySub), { code: 'ERR_JWT_REVOKED', claim: 'sub' });
    state.feed = { generated_at: nowSeconds(), jti: [], sid: [], sub: [] };
    const polls = server.stats.requests;
    for (let i = 0; i < 40 && server.stats.requests < polls + 2; i++) await sleep(50);
    assert.ok(server.stats.requests >= polls + 2, 'the empty feed was polled');
    assert.throws(() => verifier.verify(bySid), { code: 'ERR_JWT_REVOKED', claim: 'sid' });
    assert.throws(() => verifier.verify(bySub), { code: 'ERR_JWT_REVOKED', claim: 'sub' });
    assert.equal(verifier.status().revocations.entries, 2, 'carried over');
  } finally {
    verifier.close();
    await server.close();
  }
});

test('an onError hook that throws does not stop polling or recovery', { skip }, async () => {
  const key = edKey('k1');
  const state = { feed: { generated_at: nowSeconds(), jti: [], sid: [], sub: [] } };
  const server = await feedServer(state);
  let calls = 0;
  const onError = () => {
    calls += 1;
    throw new Error('a broken hook');
  };
  const verifier = await revocable.createVerifier(feedOptions(key, server, { onError }));
  try {
    state.fault = 'status 500 with an HTML body';
    for (let i = 0; i < 40 && calls < 3; i++) await sleep(50);
    assert.ok(calls >= 3, `the hook kept being called (${calls})`);
    state.fault = undefined;
    state.feed = { generated_at: nowSeconds(), jti: [{ id: 'late', exp: nowSeconds() + 60 }], sid: [], sub: [] };
    for (let i = 0; i < 40 && verifier.status().revocations.stale; i++) await sleep(50);
    assert.equal(verifier.status().revocations.stale, false);
    assert.throws(() => verifier.verify(signEd(key, claims({ jti: 'late' }))), { code: 'ERR_JWT_REVOKED' });
  } finally {
    verifier.close();
    await server.close();
  }
});
