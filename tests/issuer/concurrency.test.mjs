// Concurrent use of one refresh token, against the built worker in local workerd.
//
// What this can show: how the issuer's rules behave when requests with the same token
// interleave inside one workerd process over one local KV store (miniflare's, immediately
// consistent, no 1-write-per-second limit). What it cannot show: production KV across
// locations (about 60 s propagation, cached reads); docs/kv-schema.md explains that part.
//
// The invariants asserted hold however the requests interleave:
// - every answer is 200 or 400 invalid_grant (never 5xx);
// - at least one succeeds (the first to read the session finds the token current);
// - once any request was refused, the session is revoked: none of the refresh tokens handed
//   out by the burst works afterwards, and the sid is in the feed;
// - if all succeeded (all read before any wrote), only one of the returned tokens is the
//   session's current one; presenting any other is reuse and ends the session.
// The observed split per round is printed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issuerForFile } from './harness.mjs';

const PORT = 18730;
const N = 10;
const ROUNDS = 5;
let issuer;
let api;

before(async () => {
  issuer = await issuerForFile('concurrency', PORT);
  api = issuer.api;
});

after(async () => {
  await issuer?.stop();
});

test(`${N} refreshes at once with the same token, ${ROUNDS} rounds`, async (t) => {
  const observed = [];
  for (let round = 0; round < ROUNDS; round++) {
    const s = await api.createSession({ sub: `burst-${process.pid}-${round}` });
    assert.equal(s.status, 201, s.text);
    // One warm-up rotation so the burst uses a generation-1 token, like a real client.
    const warm = await api.refresh(s.json.refresh_token);
    assert.equal(warm.status, 200, warm.text);
    const token = warm.json.refresh_token;

    const results = await Promise.all(Array.from({ length: N }, () => api.refresh(token)));
    for (const r of results) {
      assert.ok(r.status === 200 || r.status === 400, `unexpected ${r.status} ${r.text}`);
      if (r.status === 400) assert.equal(r.json.error, 'invalid_grant', r.text);
    }
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 400);
    const reuse = refused.filter((r) => /already used/.test(r.json.error_description)).length;
    assert.ok(ok.length >= 1, 'at least one refresh succeeds');
    const newTokens = ok.map((r) => r.json.refresh_token);
    assert.equal(new Set(newTokens).size, newTokens.length, 'every success minted its own token');

    let outcome;
    if (refused.length > 0) {
      for (const rt of newTokens) {
        const r = await api.refresh(rt);
        assert.equal(r.status, 400, 'after a reuse inside the burst, every token of the session is dead');
        assert.equal(r.json.error, 'invalid_grant');
      }
      const feed = (await api.feed()).json;
      assert.ok(feed.sid.some((e) => e.id === s.json.session_id), 'revoked session in the feed');
      outcome = 'session revoked by the burst itself';
    } else {
      // Everyone rotated from the same state; the session kept the last write.
      const later = [];
      for (const rt of newTokens) later.push(await api.refresh(rt));
      const worked = later.filter((r) => r.status === 200).length;
      assert.ok(worked <= 1, `at most one of the raced tokens is current, ${worked} worked`);
      const dead = (await api.refresh(newTokens.at(-1))).status === 400;
      outcome = newTokens.length === 1
        ? 'session survived'
        : `all rotated from the same state; presenting the raced tokens one by one: ${worked} worked, then reuse ended the session${dead ? '' : ' (NOT ended?)'}`;
      if (newTokens.length > 1) assert.ok(dead, 'using more than one raced token ends the session');
    }
    observed.push({ succeeded: ok.length, refused: refused.length, reuse, outcome });
  }
  const line = observed.map((o) => `${o.succeeded}/${N} ok, ${o.refused} refused (${o.reuse} as reuse): ${o.outcome}`).join(' | ');
  t.diagnostic(`observed: ${line}`);
  console.log(`# concurrency (${N} at once, local workerd): ${line}`);
});

test('sequential refreshes (a well-behaved client) never trip reuse detection', async () => {
  const s = await api.createSession({ sub: `sequential-${process.pid}` });
  let token = s.json.refresh_token;
  for (let i = 0; i < 30; i++) {
    const r = await api.refresh(token);
    assert.equal(r.status, 200, `refresh ${i}: ${r.text}`);
    token = r.json.refresh_token;
  }
  const listed = (await api.sessions(`sequential-${process.pid}`)).json.sessions;
  assert.equal(listed.length, 1);
  assert.ok(listed[0].last_used >= listed[0].created);
});
