// Concurrency against the built worker in local workerd, real Durable Objects with local
// persistence: one session object per user serializes rotation, reuse detection and
// revocation, and the reuse interval (REFRESH_REUSE_INTERVAL, 10 s by default) makes retries
// and parallel refreshes with one token safe.
//
// - 30 refreshes at once with one token, 20 trials: every answer is 200 with the same
//   successor refresh token, none is taken for reuse, and the session lives on;
// - a retry after a lost response gets the same successor;
// - the grandparent token, or the previous one after the interval, ends the session;
// - 20 refreshes right after a logout all fail;
// - 30 revocations of different access tokens of one session at once keep the cap of 8
//   `jti` entries per session (the ninth ends the session);
// - logout everywhere racing logins: every session it ended has its `sid` in the feed, and
//   every session it did not end keeps working.
// The observed figures are printed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issuerPerFile, payload, sleep } from '../lib/index.mjs';

const PORT = 18730;
const BURST = 30;
const TRIALS = 20;
const MAX_JTI = 8;
const local = issuerPerFile('concurrency', PORT);

const sub = (name) => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function session(name) {
  const s = await local.api.createSession({ sub: sub(name) });
  assert.equal(s.status, 201, s.text);
  return s.json;
}

function assertDead(r, what) {
  assert.equal(r.status, 400, `${what}: ${r.text}`);
  assert.equal(r.json.error, 'invalid_grant', what);
}

test(`${BURST} refreshes at once with one token, ${TRIALS} trials: one successor for all, no false reuse`, async (t) => {
  const started = Date.now();
  let answers = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const s = await session('burst');
    const warm = await local.api.refresh(s.refresh_token);
    assert.equal(warm.status, 200, warm.text);
    const token = warm.json.refresh_token;

    const results = await Promise.all(Array.from({ length: BURST }, () => local.api.refresh(token)));
    answers += results.length;
    assert.deepEqual(results.map((r) => r.status), Array(BURST).fill(200), results.map((r) => r.text).join('\n'));
    const successors = new Set(results.map((r) => r.json.refresh_token));
    assert.equal(successors.size, 1, `trial ${trial}: every answer carries the same successor`);
    const jtis = new Set(results.map((r) => payload(r.json.access_token).jti));
    assert.equal(jtis.size, BURST, 'each answer has its own access token');
    for (const r of results) assert.equal(payload(r.json.access_token).sid, s.session_id);

    // The session lives on with exactly one current token: the successor rotates.
    const next = await local.api.refresh([...successors][0]);
    assert.equal(next.status, 200, `trial ${trial}: the successor works: ${next.text}`);
    const listed = (await local.api.call('GET', `/v1/users/${encodeURIComponent(payload(next.json.access_token).sub)}/sessions`, {
      headers: { authorization: `Bearer ${local.issuer.keys.serviceKey}` },
    })).json.sessions;
    assert.equal(listed.length, 1);
  }
  const line = `${TRIALS} trials x ${BURST} concurrent refreshes: ${answers}/${answers} answered 200 with their trial's one successor, 0 taken for reuse (${Date.now() - started} ms)`;
  t.diagnostic(line);
  console.log(`# concurrency: ${line}`);
});

test('a retry after a lost response gets the same successor; the session keeps one current token', async () => {
  const s = await session('retry');
  const first = await local.api.refresh(s.refresh_token);
  assert.equal(first.status, 200, first.text);
  // The client never saw `first` and presents its token again.
  const retry = await local.api.refresh(s.refresh_token);
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.json.refresh_token, first.json.refresh_token);
  assert.notEqual(retry.json.access_token, first.json.access_token);
  const next = await local.api.refresh(retry.json.refresh_token);
  assert.equal(next.status, 200, next.text);
  // Now the first token is the grandparent.
  const replay = await local.api.refresh(s.refresh_token);
  assertDead(replay, 'grandparent');
  assert.match(replay.json.error_description, /already used/);
  assertDead(await local.api.refresh(next.json.refresh_token), 'the newest token dies with the session');
  const feed = (await local.api.feed()).json;
  assert.ok(feed.sid.some((e) => e.id === s.session_id), 'the session is in the feed');
});

test('the previous token after the reuse interval ends the session', async () => {
  const s = await session('late');
  const first = await local.api.refresh(s.refresh_token);
  assert.equal(first.status, 200, first.text);
  await sleep(10_500);
  const late = await local.api.refresh(s.refresh_token);
  assertDead(late, 'previous token after 10 s');
  assert.match(late.json.error_description, /already used/);
  assertDead(await local.api.refresh(first.json.refresh_token), 'successor after reuse');
});

test('20 refreshes right after a logout all fail', async () => {
  for (const how of ['end session', 'revoke refresh token', 'logout everywhere']) {
    const name = sub('after-logout');
    const s = await local.api.createSession({ sub: name });
    const token = (await local.api.refresh(s.json.refresh_token)).json.refresh_token;
    let r;
    if (how === 'end session') r = await local.api.endSession(s.json.session_id);
    else if (how === 'revoke refresh token') r = await local.api.revoke(token);
    else r = await local.api.logoutEverywhere(name);
    assert.ok(r.status === 200 || r.status === 204, `${how}: ${r.text}`);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => local.api.refresh(i % 2 ? token : s.json.refresh_token)));
    for (const x of results) assertDead(x, how);
    assert.ok((await local.api.feed()).json.sid.some((e) => e.id === s.json.session_id), `${how}: sid in the feed`);
  }
});

test(`30 access-token revocations of one session at once keep the cap of ${MAX_JTI} jti entries`, async () => {
  const s = await session('cap');
  const tokens = [s.access_token];
  let rt = s.refresh_token;
  for (let i = 0; i < 29; i++) {
    const r = await local.api.refresh(rt);
    assert.equal(r.status, 200, r.text);
    tokens.push(r.json.access_token);
    rt = r.json.refresh_token;
  }
  const results = await Promise.all(tokens.map((tok) => local.api.revoke(tok)));
  assert.deepEqual(results.map((r) => r.status), Array(30).fill(200));
  const feed = (await local.api.feed()).json;
  const mine = new Set(tokens.map((tok) => payload(tok).jti));
  const listed = feed.jti.filter((e) => mine.has(e.id));
  assert.equal(listed.length, MAX_JTI, `exactly ${MAX_JTI} jti entries of this session, then the session ended`);
  assert.ok(feed.sid.some((e) => e.id === s.session_id), 'the session ended: its sid covers the rest');
  assertDead(await local.api.refresh(rt), 'refresh after the cap ended the session');
});

test('logout everywhere racing logins: every session it ended is in the feed, every other one works', async (t) => {
  const TRIALS_RACE = 25;
  let ended = 0;
  let survived = 0;
  for (let trial = 0; trial < TRIALS_RACE; trial++) {
    const name = sub('race');
    const logins = Array.from({ length: 3 }, () => local.api.createSession({ sub: name }));
    const logout = sleep(trial % 3).then(() => local.api.logoutEverywhere(name));
    const more = Array.from({ length: 2 }, () => sleep(trial % 2).then(() => local.api.createSession({ sub: name })));
    const sessions = await Promise.all([...logins, ...more]);
    const out = await logout;
    assert.equal(out.status, 200, out.text);
    const feed = (await local.api.feed()).json;
    const sidListed = new Set(feed.sid.map((e) => e.id));
    const subEntry = feed.sub.find((e) => e.id === name);
    assert.ok(subEntry, 'a sub entry for the logout');
    for (const s of sessions) {
      assert.equal(s.status, 201, s.text);
      const r = await local.api.refresh(s.json.refresh_token);
      if (r.status === 200) {
        survived++;
        assert.ok(!sidListed.has(s.json.session_id), 'a session that works is not in the feed');
        assert.ok(payload(s.json.access_token).iat >= subEntry.not_before, 'and its tokens are not covered by the sub entry');
      } else {
        ended++;
        assertDead(r, 'ended by the logout');
        assert.ok(sidListed.has(s.json.session_id), `trial ${trial}: a session the logout ended has its sid in the feed`);
      }
    }
  }
  const line = `logout everywhere racing logins, ${TRIALS_RACE} trials: ${ended} sessions ended (every sid in the feed), ${survived} started after it and work`;
  t.diagnostic(line);
  console.log(`# concurrency: ${line}`);
});

test('sequential refreshes (a well-behaved client) never trip reuse detection', async () => {
  const s = await session('sequential');
  let token = s.refresh_token;
  for (let i = 0; i < 30; i++) {
    const r = await local.api.refresh(token);
    assert.equal(r.status, 200, `refresh ${i}: ${r.text}`);
    token = r.json.refresh_token;
  }
});
