// Data survives a restart of `wrangler dev` with the same --persist-to directory (local KV
// on disk): live sessions keep working with their newest refresh token, revoked ones stay
// revoked, the feed keeps its entries, the keys are the same.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir, generateKeys, startIssuer, client } from './harness.mjs';

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
});
