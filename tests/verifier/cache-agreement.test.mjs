// A randomized differential property of the npm package's verified-token cache: two verifiers
// on the same keys, policy, clock and feed, one with a small cache (so entries are evicted and
// refilled) and one without, verify the same random tokens (times around "now", some
// fractional, some missing, random jti/sid/sub) while the clock moves forward and sometimes
// back and the feed revokes and later forgets tokens. At every step both must give the same
// verdict (the same payload, or the same code and claim); and at or after `exp + tolerance`
// the cached verifier must refuse with ERR_JWT_EXPIRED: a cache never serves a token past its
// exp, before its nbf, or after its revocation reached the verifier.
//
// js/test/cache.test.mjs pins the cache's behaviour case by case; this explores the
// combinations. The seed is printed; HARDENING_SEED=<n> replays a run,
// HARDENING_CACHE_STEPS=<n> makes it longer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILT, ISSUER, AUDIENCE, loadPackage, signHs256 } from '../lib/index.mjs';

const skip = BUILT ? false : 'js/dist not built (run `make build-js`)';
const SEED = Number(process.env.HARDENING_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STEPS = Number(process.env.HARDENING_CACHE_STEPS ?? 3000);
const SECRET = 'hardening-cache-property-secret-0123456789';
const T0 = 1_800_000_000;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const tolerance of [0, 7]) {
  test(`cached and uncached verifiers agree at every step (tolerance ${tolerance} s, seed ${SEED})`, { skip }, async (t) => {
    const rnd = prng(SEED + tolerance);
    const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
    const pick = (list) => list[int(0, list.length - 1)];
    const { createVerifier } = await loadPackage();

    let nowMs = T0 * 1000;
    let feed = { generated_at: T0, jti: [], sid: [], sub: [] };
    const options = (cache) => ({
      issuer: ISSUER,
      audience: AUDIENCE,
      secret: SECRET,
      algorithms: ['HS256'],
      clockTolerance: tolerance,
      maxTokenAge: 500,
      cache,
      clock: () => nowMs,
      revocationUri: 'http://127.0.0.1:9/v1/revocations', // never contacted: `fetch` below
      serviceKey: 'unused',
      revocationIntervalMs: 50,
      fetch: async () => new Response(JSON.stringify(feed), { status: 200, headers: { 'content-type': 'application/json' } }),
    });
    const cached = await createVerifier(options({ max: 8 }));
    const fresh = await createVerifier(options(false));

    // Random tokens around the current time (fractions, a far-future exp, a missing exp, an
    // nbf), ids from small pools; the pool is renewed as the clock moves on.
    const mint = (i) => {
      const now = Math.floor(nowMs / 1000);
      const iat = now + int(-120, 30) + (rnd() < 0.2 ? 0.5 : 0);
      const claims = { iss: ISSUER, aud: AUDIENCE, sub: `user-${int(0, 4)}`, sid: `sid-${int(0, 5)}`, jti: `jti-${i}-${int(0, 1e9)}`, iat };
      const shape = rnd();
      if (shape < 0.85) claims.exp = Math.floor(iat) + int(-30, 600) + (rnd() < 0.2 ? 0.75 : 0);
      else if (shape < 0.9) claims.exp = 1e300;
      if (rnd() < 0.3) claims.nbf = now + int(-100, 100) + (rnd() < 0.3 ? 0.25 : 0);
      return { token: signHs256(SECRET, JSON.stringify(claims)), claims };
    };
    const tokens = Array.from({ length: 40 }, (_, i) => mint(i));

    const verdict = (verifier, token) => {
      try {
        return { ok: JSON.stringify(verifier.verify(token)) };
      } catch (err) {
        return { code: err.code, claim: err.claim };
      }
    };

    let compared = 0;
    let accepted = 0;
    let pastExp = 0;
    let feeds = 0;
    for (let step = 0; step < STEPS; step++) {
      const r = rnd();
      if (r < 0.1) {
        nowMs += int(0, 30_000);
      } else if (r < 0.12) {
        nowMs -= int(0, 15_000); // clocks go back too (NTP steps)
      } else if (r < 0.16) {
        const i = int(0, tokens.length - 1);
        tokens[i] = mint(i);
      } else if (r < 0.18) {
        // A new feed: revoke some tokens, sessions and subjects; sometimes forget earlier ones
        // (a stale cached feed, or entries pruned by the issuer).
        const now = Math.floor(nowMs / 1000);
        if (rnd() < 0.3) feed = { generated_at: now, jti: [], sid: [], sub: [] };
        feed = {
          generated_at: now,
          jti: [...feed.jti, { id: pick(tokens).claims.jti, exp: now + int(-30, 300) }],
          sid: rnd() < 0.5 ? [...feed.sid, { id: `sid-${int(0, 5)}`, exp: now + int(-30, 300) }] : feed.sid,
          sub: rnd() < 0.3 ? [...feed.sub, { id: `user-${int(0, 4)}`, not_before: now + int(-200, 50), exp: now + int(0, 300) }] : feed.sub,
        };
        // Both verifiers poll the same feed at the same clock; refreshRevocations() polls once
        // the interval (50 ms of real time) has passed since the last poll.
        await new Promise((res) => setTimeout(res, 55));
        await Promise.all([cached.refreshRevocations(), fresh.refreshRevocations()]);
        feeds += 1;
      } else {
        const { token, claims } = pick(tokens);
        const a = verdict(cached, token);
        const b = verdict(fresh, token);
        compared += 1;
        assert.deepEqual(a, b, `step ${step}, now ${nowMs / 1000}: cached ${JSON.stringify(a)} vs uncached ${JSON.stringify(b)} for ${JSON.stringify(claims)} (seed ${SEED})`);
        if (a.ok) accepted += 1;
        if (typeof claims.exp === 'number' && nowMs / 1000 >= Math.floor(claims.exp) + tolerance) {
          pastExp += 1;
          assert.equal(a.code, 'ERR_JWT_EXPIRED', `served at ${nowMs / 1000}, past exp ${claims.exp} + ${tolerance} (seed ${SEED})`);
        }
      }
    }
    const entries = cached.status().cache?.entries;
    cached.close();
    fresh.close();
    t.diagnostic(`seed ${SEED}: ${compared} comparisons (${accepted} accepted, ${pastExp} past exp), ${feeds} feeds, cache entries at the end ${entries}`);
    assert.ok(accepted > 50 && pastExp > 50, `the run exercised both sides (${accepted} accepted, ${pastExp} past exp)`);
  });
}
