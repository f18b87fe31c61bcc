// The verified-token cache (crates/wasm/src/cache.rs, src/verifier.js): on by default, a
// keyed hash of the whole token, bounded LRU, entries never outlive exp, time checks and the
// revocation snapshot applied on every hit, emptied when the key set changes, failures never
// cached, and every caller gets its own payload object. (The Rust unit tests in cache.rs pin
// the same properties without JS.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, claims, keyPair, serve, sign, skipAhead, waitFor } from './helpers.mjs';

const policy = { issuer: ISSUER, audience: AUDIENCE };
const T0 = 1_700_000_000;

async function setup(options = {}) {
  const key = await keyPair('EdDSA', 'k1');
  let nowMs = T0 * 1000;
  const verifier = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, clock: () => nowMs, ...options });
  const token = (overrides = {}) => sign(key, claims({ iat: T0 - 10, exp: T0 + 300, ...overrides }));
  return { key, verifier, token, setNow: (seconds) => (nowMs = seconds * 1000) };
}

const entries = (verifier) => verifier.status().cache.entries;

test('on by default (1000 entries); cache: false turns it off; { max } sizes it', async () => {
  const on = await setup();
  assert.deepEqual(on.verifier.status().cache, { entries: 0, max: 1000 });
  const t = await on.token();
  on.verifier.verify(t);
  on.verifier.verify(t);
  assert.equal(entries(on.verifier), 1);
  on.verifier.close();
  assert.equal(on.verifier.status().cache, null);

  const off = await setup({ cache: false });
  assert.equal(off.verifier.status().cache, null);
  assert.equal(off.verifier.verify(await off.token()).sub, 'user-1');
  off.verifier.close();

  const sized = await setup({ cache: { max: 7 } });
  assert.deepEqual(sized.verifier.status().cache, { entries: 0, max: 7 });
  sized.verifier.close();
});

test('a hit returns the same claims in a new object: one caller cannot change what another gets', async () => {
  const { verifier, token } = await setup();
  const t = await token({ roles: ['reader'], profile: { name: 'Ada' } });
  const first = verifier.verify(t);
  first.roles.push('admin');
  first.profile.name = 'Mallory';
  first.sub = 'someone-else';
  const second = verifier.verify(t);
  assert.notEqual(second, first);
  assert.deepEqual(second.roles, ['reader']);
  assert.equal(second.profile.name, 'Ada');
  assert.equal(second.sub, 'user-1');
  assert.equal(Object.isFrozen(second), false);
  assert.equal(entries(verifier), 1);
  verifier.close();
});

test('an entry never outlives exp (with the clock tolerance), and goes when it expires', async () => {
  for (const clockTolerance of [0, 30]) {
    const { verifier, token, setNow } = await setup({ clockTolerance });
    const t = await token({ exp: T0 + 60 });
    verifier.verify(t);
    setNow(T0 + 60 + clockTolerance - 1);
    assert.equal(verifier.verify(t).sub, 'user-1');
    assert.equal(entries(verifier), 1);
    setNow(T0 + 60 + clockTolerance);
    assert.throws(() => verifier.verify(t), { code: 'ERR_JWT_EXPIRED', claim: 'exp' });
    assert.equal(entries(verifier), 0);
    verifier.close();
  }
});

test('nbf, iat and maxTokenAge are checked on every hit too', async () => {
  const { verifier, token, setNow } = await setup({ maxTokenAge: 100 });
  const t = await token({ nbf: T0 - 5 });
  verifier.verify(t);
  setNow(T0 - 6);
  assert.throws(() => verifier.verify(t), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nbf' });
  setNow(T0);
  verifier.verify(t);
  setNow(T0 + 91); // iat = T0 - 10: older than 100 s
  assert.throws(() => verifier.verify(t), { code: 'ERR_JWT_EXPIRED', claim: 'iat' });
  verifier.close();
});

test('the revocation snapshot applies to cached tokens on the next verify after a poll', async (t) => {
  let feed = { generated_at: T0, jti: [], sid: [], sub: [] };
  const server = await serve((req, res) => res.end(JSON.stringify(feed)));
  t.after(() => server.close());
  const { verifier, token } = await setup({ revocationUri: `${server.url}/v1/revocations`, serviceKey: 'k', revocationIntervalMs: 50 });
  t.after(() => verifier.close());
  const cases = [
    [{ jti: [{ id: 'j-1', exp: T0 + 300 }] }, { jti: 'j-1' }, 'jti'],
    [{ sid: [{ id: 's-2', exp: T0 + 300 }] }, { sid: 's-2' }, 'sid'],
    [{ sub: [{ id: 'u-3', not_before: T0, exp: T0 + 300 }] }, { sub: 'u-3' }, 'sub'],
  ];
  for (const [index, [revoked, overrides, claim]] of cases.entries()) {
    const t = await token(overrides);
    verifier.verify(t);
    verifier.verify(t);
    // Cached; the tokens of the earlier rounds were dropped when they failed their re-check.
    assert.equal(entries(verifier), 1);
    feed = { generated_at: T0, jti: [], sid: [], sub: [], ...revoked };
    // Wait for a poll that saw the new feed (the snapshot keeps earlier entries until exp).
    await waitFor(() => verifier.status().revocations.entries === index + 1, 'the feed poll');
    assert.throws(() => verifier.verify(t), { code: 'ERR_JWT_REVOKED', claim }, claim);
    // Revoked stays revoked (the entry was dropped; the full check finds the same).
    assert.throws(() => verifier.verify(t), { code: 'ERR_JWT_REVOKED', claim }, claim);
    assert.equal(entries(verifier), 0);
  }
});

test('bounded: at most max entries, least recently used evicted first', async () => {
  const { verifier, token } = await setup({ cache: { max: 3 } });
  const tokens = [];
  for (let i = 0; i < 6; i++) tokens.push(await token({ jti: `j-${i}` }));
  for (const t of tokens) verifier.verify(t);
  assert.equal(entries(verifier), 3);
  for (const t of tokens) assert.equal(verifier.verify(t).sub, 'user-1');
  assert.equal(entries(verifier), 3);
  verifier.close();
});

test('failures are never cached', async () => {
  const { verifier, token } = await setup();
  const t = await token();
  // Change the signature's first character: every character there carries 6 bits, whereas
  // the last one has padding bits whose change makes the base64url non-strict (another error).
  const dot = t.lastIndexOf('.') + 1;
  const forged = `${t.slice(0, dot)}${t[dot] === 'A' ? 'B' : 'A'}${t.slice(dot + 1)}`;
  for (let i = 0; i < 3; i++) assert.throws(() => verifier.verify(forged), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  assert.equal(entries(verifier), 0);
  assert.equal(verifier.verify(t).sub, 'user-1');
  assert.equal(entries(verifier), 1);
  verifier.close();
});

test('emptied when the key set changes: a token of a removed key fails even after it was cached', async (t) => {
  const a = await keyPair('EdDSA', 'a');
  const b = await keyPair('EdDSA', 'b');
  let jwks = { keys: [a.publicJwk] };
  const server = await serve((req, res) => res.end(JSON.stringify(jwks)));
  t.after(() => server.close());
  const verifier = await createVerifier({ ...policy, jwksUri: `${server.url}/jwks`, jwksCooldownMs: 1000 });
  t.after(() => verifier.close());
  skipAhead(t, 1100);
  const tokenA = await sign(a, claims());
  verifier.verify(tokenA);
  verifier.verify(tokenA);
  assert.equal(entries(verifier), 1);
  // Rotation: a is withdrawn, b published; a token with kid b triggers the refetch.
  jwks = { keys: [b.publicJwk] };
  assert.equal((await verifier.verifyAsync(await sign(b, claims()))).sub, 'user-1');
  assert.deepEqual(verifier.status().keys.kids, ['b']);
  assert.equal(entries(verifier), 1, 'only the token verified after the change');
  assert.throws(() => verifier.verify(tokenA), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
});

test('tokens reach wasm through each verifier\'s input buffer, also after the wasm memory grew', async () => {
  const cached = await setup();
  const uncached = await setup({ cache: false });
  const long = await cached.token({ pad: 'x'.repeat(2000) });
  const short = await cached.token();
  const shortOther = await uncached.token();
  assert.equal(cached.verifier.verify(long).pad.length, 2000);
  assert.equal(uncached.verifier.verify(shortOther).sub, 'user-1');
  // Many verifiers, each with its own 16 KiB buffer, grow the wasm memory: the views of the
  // first two must be made again, not written into a detached buffer.
  const others = [];
  for (let i = 0; i < 300; i++) {
    const other = await setup({ cache: false });
    assert.equal(other.verifier.verify(await other.token()).sub, 'user-1');
    others.push(other.verifier);
  }
  // A shorter token after a longer one: only the bytes written count.
  assert.equal(cached.verifier.verify(short).pad, undefined);
  assert.equal(cached.verifier.verify(long).pad.length, 2000);
  assert.equal(uncached.verifier.verify(shortOther).sub, 'user-1');
  assert.throws(() => uncached.verifier.verify(`${shortOther}x`), { code: 'ERR_JWS_INVALID' });
  assert.throws(() => uncached.verifier.verify(`ü${shortOther}`), { code: 'ERR_JWS_INVALID' });
  assert.equal(uncached.verifier.verify(shortOther).sub, 'user-1');
  for (const other of others) other.close();
  cached.verifier.close();
  uncached.verifier.close();
});
