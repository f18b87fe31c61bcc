// Load and a crash against the built issuer in real workerd (`wrangler dev`, loopback only):
//
// 1. Bounded load (HARDENING_LOAD_SECONDS, default 30): concurrent clients start sessions,
//    refresh them (one refresh at a time per session, as clients must), end them (DELETE, RFC
//    7009 with the refresh token), revoke access tokens, log users out everywhere, read the
//    feed and session lists. Every answer must be the expected 2xx (zero 5xx, zero errors).
// 2. Still under load, the issuer is killed: SIGKILL to its whole process group (wrangler and
//    workerd), no chance to flush anything.
// 3. It is restarted on the same --persist-to directory, and every client checks what it was
//    told: each session whose last answer it received before the crash works with the newest
//    refresh token it received; each session whose revocation was confirmed stays revoked,
//    with its sid (and each revoked jti, each logged-out subject) still in the feed. Requests
//    in flight at the crash have no known outcome: their sessions are counted apart, and they
//    must still get a clean 200 or 400, never a 5xx.
//
// Figures (requests, rate, latencies, statuses, crash and restart) are printed as `# load:`
// lines, which `make test-issuer` copies into the test summary.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { client, generateKeys, payload, percentile, portFree, processGroupListeningOn, sleep, startIssuer, tempDir } from '../lib/index.mjs';

const PORT = 18541;
const LOAD_SECONDS = Number(process.env.HARDENING_LOAD_SECONDS ?? 30);
const CLIENTS = Number(process.env.HARDENING_LOAD_CLIENTS ?? 12);
// How long the load keeps running after the first phase, before the kill lands.
const KILL_AFTER_MS = 3000;
const REQUEST_TIMEOUT_MS = 10_000;

let running;
after(async () => {
  await running?.stop();
});

/** Per endpoint: count, statuses, latencies. */
class Stats {
  constructor() {
    this.by = new Map();
  }

  record(endpoint, status, ms) {
    let s = this.by.get(endpoint);
    if (!s) this.by.set(endpoint, (s = { count: 0, statuses: {}, ms: [] }));
    s.count += 1;
    s.statuses[status] = (s.statuses[status] ?? 0) + 1;
    s.ms.push(ms);
  }

  get total() {
    return [...this.by.values()].reduce((n, s) => n + s.count, 0);
  }

  count(predicate) {
    let n = 0;
    for (const s of this.by.values()) for (const [status, c] of Object.entries(s.statuses)) if (predicate(status)) n += c;
    return n;
  }

  all() {
    return [...this.by.values()].flatMap((s) => s.ms);
  }
}

test(`load for ${LOAD_SECONDS} s with ${CLIENTS} clients, SIGKILL mid-load, restart: nothing lost, nothing revived`, async (t) => {
  const dir = tempDir('load');
  const keys = generateKeys(dir);
  const persistDir = join(dir, 'state');
  running = await startIssuer({ port: PORT, persistDir, envFile: keys.envFile });
  let api = client(running.url, keys.serviceKey);

  const stats = new Stats();
  const errors = [];
  const unexpected = [];
  let phase = 'load'; // 'load' -> 'crashing' (kill pending) -> 'dead'
  let killedAt = 0;

  // Everything each client was told. Session states: live | revoked | uncertain.
  const sessions = [];
  const revokedJtis = [];
  const loggedOutSubs = [];

  /** One request; records its status and latency; null when no answer came (crash). */
  async function call(endpoint, fn, expected) {
    const started = performance.now();
    try {
      const res = await Promise.race([
        fn(),
        sleep(REQUEST_TIMEOUT_MS).then(() => {
          throw new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`);
        }),
      ]);
      stats.record(endpoint, res.status, performance.now() - started);
      if (!expected.includes(res.status)) unexpected.push(`${endpoint}: ${res.status} ${res.text.slice(0, 160)}`);
      return res;
    } catch (err) {
      // Errors are expected only once the kill has been sent.
      if (phase === 'load') errors.push(`${endpoint}: ${err.message}`);
      return null;
    }
  }

  async function worker(id) {
    const mine = [];
    let n = 0;
    const rnd = () => Math.random();
    while (phase === 'load') {
      const live = mine.filter((s) => s.state === 'live');
      const r = rnd();
      if (live.length === 0 || r < 0.08) {
        const sub = `w${id}-u${n++ % 3}`;
        const s = { sub, state: 'uncertain', refresh: null, sid: null, access: null };
        sessions.push(s);
        mine.push(s);
        const res = await call('POST /v1/sessions', () => api.createSession({ sub, scope: 'read write' }), [201]);
        if (res?.status === 201) Object.assign(s, { state: 'live', refresh: res.json.refresh_token, sid: res.json.session_id, access: res.json.access_token });
        continue;
      }
      const s = live[Math.floor(rnd() * live.length)];
      // A request that changes the session leaves it uncertain until its answer arrives.
      if (r < 0.72) {
        s.state = 'uncertain';
        const res = await call('POST /oauth/token', () => api.refresh(s.refresh), [200]);
        if (res?.status === 200) Object.assign(s, { state: 'live', refresh: res.json.refresh_token, access: res.json.access_token });
      } else if (r < 0.76) {
        s.state = 'uncertain';
        const res = await call('DELETE /v1/sessions/{id}', () => api.endSession(s.sid), [204]);
        if (res?.status === 204) s.state = 'revoked';
      } else if (r < 0.79) {
        s.state = 'uncertain';
        const res = await call('POST /oauth/revoke (refresh)', () => api.revoke(s.refresh), [200]);
        if (res?.status === 200) s.state = 'revoked';
      } else if (r < 0.85) {
        const res = await call('POST /oauth/revoke (access)', () => api.revoke(s.access), [200]);
        if (res?.status === 200) revokedJtis.push(payload(s.access).jti);
      } else if (r < 0.865) {
        const affected = mine.filter((o) => o.sub === s.sub && o.state === 'live');
        for (const o of affected) o.state = 'uncertain';
        const res = await call('POST /v1/users/{sub}/revoke', () => api.logoutEverywhere(s.sub), [200]);
        if (res?.status === 200) {
          loggedOutSubs.push(s.sub);
          for (const o of affected) o.state = 'revoked';
        }
      } else if (r < 0.95) {
        await call('GET /v1/revocations', () => api.feed(), [200]);
      } else {
        await call('GET /v1/users/{sub}/sessions', () => api.sessions(s.sub), [200]);
      }
    }
  }

  const started = Date.now();
  const workers = Array.from({ length: CLIENTS }, (_, i) => worker(i));
  await sleep(LOAD_SECONDS * 1000);
  const loadStats = { total: stats.total, seconds: (Date.now() - started) / 1000, all: stats.all() };

  // The crash: SIGKILL to the process group of whatever serves the port (workerd, started by
  // wrangler in the harness's own group), while the clients keep going.
  await sleep(KILL_AFTER_MS);
  const group = processGroupListeningOn(PORT);
  assert.ok(group, `nothing listens on ${PORT}`);
  phase = 'crashing';
  killedAt = Date.now();
  process.kill(-group.pgid, 'SIGKILL');
  await Promise.all(workers);
  phase = 'dead';
  await running.stop();
  running = undefined;

  const requests = stats.total;
  const seconds = (killedAt - started) / 1000;
  const all = stats.all();
  const fivexx = stats.count((s) => Number(s) >= 500);
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  const lines = [
    `load: ${requests} requests in ${seconds.toFixed(1)} s (${(requests / seconds).toFixed(0)}/s) from ${CLIENTS} clients; latency p50 ${fmt(percentile(all, 50))}, p95 ${fmt(percentile(all, 95))}, p99 ${fmt(percentile(all, 99))}, max ${fmt(Math.max(...all))}; 5xx ${fivexx}, unexpected statuses ${unexpected.length}, errors before the kill ${errors.length}`,
  ];
  for (const [endpoint, s] of stats.by) {
    lines.push(`load:   ${endpoint}: ${s.count} (${JSON.stringify(s.statuses)}), p50 ${fmt(percentile(s.ms, 50))}, p99 ${fmt(percentile(s.ms, 99))}`);
  }
  assert.equal(fivexx, 0, `5xx answers under load:\n${unexpected.join('\n')}`);
  assert.deepEqual(unexpected, [], 'every answer under load is the expected 2xx');
  assert.deepEqual(errors, [], 'no request failed before the kill');
  assert.ok(loadStats.total > 100, `too little load to mean anything: ${loadStats.total} requests`);

  // Restart on the same persisted KV, once the killed processes' port is released (the kernel
  // closes it as it reaps them, which can come after wrangler's own exit).
  const restartStarted = Date.now();
  for (let i = 0; i < 100 && !(await portFree(PORT)); i++) await sleep(100);
  running = await startIssuer({ port: PORT, persistDir, envFile: keys.envFile });
  const restartMs = Date.now() - restartStarted;
  api = client(running.url, keys.serviceKey);

  const live = sessions.filter((s) => s.state === 'live');
  const revoked = sessions.filter((s) => s.state === 'revoked');
  const uncertain = sessions.filter((s) => s.state === 'uncertain' && s.refresh);
  const failures = [];
  for (const s of live) {
    const res = await api.refresh(s.refresh);
    if (res.status !== 200) failures.push(`live session ${s.sid}: ${res.status} ${res.text}`);
  }
  for (const s of revoked) {
    const res = await api.refresh(s.refresh);
    if (res.status !== 400 || res.json?.error !== 'invalid_grant') failures.push(`revoked session ${s.sid} came back: ${res.status} ${res.text}`);
  }
  const uncertainOutcomes = {};
  for (const s of uncertain) {
    const res = await api.refresh(s.refresh);
    const key = res.status === 400 ? `400 ${res.json?.error}` : String(res.status);
    uncertainOutcomes[key] = (uncertainOutcomes[key] ?? 0) + 1;
    if (res.status !== 200 && res.status !== 400) failures.push(`in-flight session ${s.sid}: ${res.status} ${res.text}`);
  }
  const feed = (await api.feed()).json;
  const listed = (kind) => new Set(feed[kind].map((e) => e.id));
  const sids = listed('sid');
  const jtis = listed('jti');
  const subs = listed('sub');
  for (const s of revoked) if (!sids.has(s.sid)) failures.push(`revoked session ${s.sid} missing from the feed`);
  for (const jti of revokedJtis) if (!jtis.has(jti)) failures.push(`revoked jti ${jti} missing from the feed`);
  for (const sub of loggedOutSubs) if (!subs.has(sub)) failures.push(`logged-out subject ${sub} missing from the feed`);

  lines.push(
    `load: SIGKILL of the issuer's process group after ${seconds.toFixed(1)} s under load; restarted on the same KV in ${(restartMs / 1000).toFixed(1)} s`,
    `load: after the restart: ${live.length} live sessions all refresh with their newest token, ${revoked.length} revoked sessions all stay revoked and listed, ${revokedJtis.length} revoked jti and ${loggedOutSubs.length} logged-out subjects listed; ${uncertain.length} sessions with a request in flight at the kill: ${JSON.stringify(uncertainOutcomes)}`,
  );
  for (const line of lines) {
    t.diagnostic(line);
    console.log(`# ${line}`);
  }
  assert.deepEqual(failures, [], 'after the crash and restart');
  assert.ok(live.length > 0 && revoked.length > 0, 'the load produced live and revoked sessions');
});
