// Data survives a restart of `wrangler dev` with the same --persist-to directory (local KV
// on disk): live sessions keep working with their newest refresh token, revoked ones stay
// revoked, the feed keeps its entries, the keys are the same.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ROOT, tempDir, generateKeys, startIssuer, client, header } from '../lib/index.mjs';

const PORT = 18740;
let running;

after(async () => {
  await running?.stop();
});

test('sessions, revocations and the feed survive a restart', async () => {
  const dir = tempDir('persistence');
  const keys = generateKeys(dir);
  const persistDir = join(dir, 'state');
  const sub = `persist-${process.pid}`;

  running = await startIssuer({ port: PORT, persistDir, envFile: keys.envFile });
  let api = client(running.url, keys.serviceKey);
  const live = (await api.createSession({ sub })).json;
  const rotated = (await api.refresh(live.refresh_token)).json;
  assert.ok(rotated.refresh_token, 'rotated before restart');
  const dead = (await api.createSession({ sub })).json;
  assert.equal((await api.endSession(dead.session_id)).status, 204);
  const other = `persist-all-${process.pid}`;
  const gone = (await api.createSession({ sub: other })).json;
  assert.equal((await api.logoutEverywhere(other)).status, 200);
  const feedBefore = (await api.feed()).json;
  const jwksBefore = (await api.call('GET', '/.well-known/jwks.json')).json;
  await running.stop();
  running = undefined;

  running = await startIssuer({ port: PORT, persistDir, envFile: keys.envFile });
  api = client(running.url, keys.serviceKey);

  assert.deepEqual((await api.call('GET', '/.well-known/jwks.json')).json, jwksBefore);
  const listed = (await api.sessions(sub)).json.sessions.map((s) => s.id);
  assert.deepEqual(listed, [live.session_id]);

  const feedAfter = (await api.feed()).json;
  assert.deepEqual(feedAfter.sid, feedBefore.sid);
  assert.deepEqual(feedAfter.sub, feedBefore.sub);
  assert.ok(feedAfter.sid.some((e) => e.id === dead.session_id));
  assert.ok(feedAfter.sub.some((e) => e.id === other));

  assert.equal((await api.refresh(dead.refresh_token)).json.error, 'invalid_grant', 'revoked stays revoked');
  assert.equal((await api.refresh(gone.refresh_token)).json.error, 'invalid_grant', 'logged out stays logged out');
  const again = await api.refresh(rotated.refresh_token);
  assert.equal(again.status, 200, `newest token works after restart: ${again.text}`);
  // The token rotated away before the restart is still recognised as reuse.
  const replay = await api.refresh(live.refresh_token);
  assert.equal(replay.status, 400);
  assert.match(replay.json.error_description, /already used/);
  await running.stop();
  running = undefined;
});

test('signing-key rotation (revocable-keygen --rotate) across a restart: new key signs, old tokens still verify', async () => {
  const dir = tempDir('rotation');
  const keys = generateKeys(dir);
  const persistDir = join(dir, 'state');
  running = await startIssuer({ port: PORT, persistDir, envFile: keys.envFile });
  let api = client(running.url, keys.serviceKey);
  const before = (await api.createSession({ sub: `rotate-${process.pid}` })).json;
  const oldKid = header(before.access_token).kid;
  await running.stop();
  running = undefined;

  const bin = process.env.REVOCABLE_KEYGEN ?? join(ROOT, 'target/debug/revocable-keygen');
  execFileSync(bin, ['--rotate', '--out', keys.envFile], { stdio: 'pipe' });

  running = await startIssuer({ port: PORT, persistDir, envFile: keys.envFile });
  api = client(running.url, keys.serviceKey);
  const jwks = (await api.call('GET', '/.well-known/jwks.json')).json;
  assert.equal(jwks.keys.length, 2);
  assert.equal(jwks.keys[1].kid, oldKid, 'the previous key stays published');
  const refreshed = await api.refresh(before.refresh_token);
  assert.equal(refreshed.status, 200, refreshed.text);
  const newKid = header(refreshed.json.access_token).kid;
  assert.equal(newKid, jwks.keys[0].kid, 'the new key signs');
  assert.notEqual(newKid, oldKid);
  const set = createLocalJWKSet(jwks);
  for (const token of [before.access_token, refreshed.json.access_token]) {
    await jwtVerify(token, set, { issuer: running.url, audience: 'api', typ: 'at+jwt' });
  }
  await running.stop();
  running = undefined;
});
