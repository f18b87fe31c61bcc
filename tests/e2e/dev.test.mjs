// The whole system for real, started the way a developer starts it: `make dev` (scripts/dev.sh:
// the issuer under wrangler dev, the example Express app), with this suite's ports, a temporary
// state directory and a 500 ms revocation-feed interval. Then, over HTTP:
//   - logout: the SAME access token is refused within 2 s, the old refresh token is refused;
//   - logout everywhere from one of two "devices": both access tokens and both refresh tokens
//     are refused;
//   - the revocation latency, measured over several logouts, printed;
//   - rotation, the reuse interval (a retry with the previous cookie gets the same new one),
//     reuse detection (the grandparent cookie ends the session), a burst of refreshes with one
//     cookie through two app processes, every bad input;
//   - the README's 60-second tour, run with bash exactly as printed by make dev, and its quick
//     starts: the Express snippet as an app of its own, the browser snippet under Node's
//     `browser` export condition, `make gateway` and its curl commands;
//   - no token or password in any log;
//   - Ctrl-C stops everything: no process of either group survives, the ports are free.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ROOT,
  client,
  groupAlive,
  http,
  median,
  portFree,
  readVar,
  readmeBlock,
  runMake,
  startDev,
  sleep,
  tempDir,
  timeUntil,
} from '../lib/index.mjs';

const ISSUER_PORT = 18610;
const INSPECTOR_PORT = 18611;
const APP_PORT = 18612;
// The README's Express quick start, and `make gateway` (+ its inspector) in front of the app.
const QUICK_PORT = 18613;
const GATEWAY_PORT = 18614;
const GATEWAY_INSPECTOR_PORT = 18615;
// A second process of the example app, next to make dev's, for the refresh burst.
const SECOND_APP_PORT = 18616;
const INTERVAL_MS = 500;
// The issue's bound: a revoked access token is refused within 2 s (4 feed intervals).
const LIMIT_MS = 2000;
const ISSUER = `http://127.0.0.1:${ISSUER_PORT}`;
const APP = `http://127.0.0.1:${APP_PORT}`;
const PASSWORDS = { alice: 'alice-demo-password', bob: 'bob-demo-password' };

let dev;
let dir;
let issuer;
// The second app process's output, checked for secrets with the other logs.
let secondAppLog = '';
const secrets = new Set(Object.values(PASSWORDS));
const latencies = [];

before(async () => {
  for (const port of [ISSUER_PORT, INSPECTOR_PORT, APP_PORT, QUICK_PORT, GATEWAY_PORT, GATEWAY_INSPECTOR_PORT, SECOND_APP_PORT]) {
    assert.ok(await portFree(port), `port ${port} is busy: a leftover test server? (ports 18600-18699 belong to tests/e2e)`);
  }
  dir = tempDir('e2e-dev');
  dev = await startDev({ issuerPort: ISSUER_PORT, inspectorPort: INSPECTOR_PORT, appPort: APP_PORT, dir, intervalMs: INTERVAL_MS });
  issuer = client(ISSUER, readVar(join(ROOT, '.dev.vars'), 'ISSUER_SERVICE_KEY'));
});

after(async () => {
  // Normally the last test has stopped it with Ctrl-C already.
  if (dev) await dev.stop('SIGKILL');
});

function sessionCookie(res) {
  const header = res.headers.getSetCookie().find((c) => c.startsWith('revocable_session='));
  return header;
}

async function login(username = 'alice', headers = {}) {
  const res = await http(`${APP}/api/login`, { method: 'POST', headers, json: { username, password: PASSWORDS[username] } });
  assert.equal(res.status, 200, res.text);
  const setCookie = sessionCookie(res);
  assert.ok(setCookie, 'login sets the session cookie');
  const cookie = setCookie.split(';')[0];
  const refreshToken = cookie.split('=')[1].split('.')[1];
  secrets.add(res.json.access_token);
  secrets.add(refreshToken);
  return { token: res.json.access_token, cookie, refreshToken, setCookie, body: res.json };
}

const me = async (token, app = APP) => (await http(`${app}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status;
const refresh = (cookie, app = APP) => http(`${app}/api/refresh`, { method: 'POST', headers: { cookie } });
/** The `name=value` of the session cookie an answer sets. */
const newCookie = (res) => sessionCookie(res)?.split(';')[0];

function remember(res) {
  if (res.json?.access_token) secrets.add(res.json.access_token);
  const set = sessionCookie(res);
  if (set) secrets.add(set.split(';')[0].split('=')[1].split('.')[1] ?? '');
}

test('login -> /api/me -> logout: the same access token is refused within 2 s, the old refresh token too', async () => {
  const device = await login('alice');
  const mine = await http(`${APP}/api/me`, { headers: { authorization: `Bearer ${device.token}` } });
  assert.equal(mine.status, 200);
  assert.equal(mine.json.sub, 'user_alice');
  assert.equal(mine.json.name, 'Alice');

  const out = await http(`${APP}/api/logout`, { method: 'POST', headers: { cookie: device.cookie, authorization: `Bearer ${device.token}` } });
  const loggedOutAt = Date.now();
  assert.equal(out.status, 200, out.text);
  assert.deepEqual(out.json, { logged_out: true });
  assert.match(sessionCookie(out), /^revocable_session=;.*Expires=Thu, 01 Jan 1970/, 'the cookie is cleared');

  const ms = await timeUntil(401, () => me(device.token), { since: loggedOutAt, limitMs: LIMIT_MS });
  latencies.push(ms);
  console.log(`# revocation latency (logout -> same access token refused by the app, feed every ${INTERVAL_MS} ms): ${ms} ms`);
  const refused = await http(`${APP}/api/me`, { headers: { authorization: `Bearer ${device.token}` } });
  assert.equal(refused.json.code, 'ERR_JWT_REVOKED');
  assert.equal(refused.headers.get('www-authenticate'), `Bearer realm="api", error="invalid_token", error_description="token revoked (by 'sid')"`);

  const again = await refresh(device.cookie);
  assert.equal(again.status, 401);
  assert.equal(again.json.error, 'invalid_grant');
  const direct = await issuer.refresh(device.refreshToken);
  assert.equal(direct.status, 400);
  assert.equal(direct.json.error, 'invalid_grant');
});

test('two devices -> logout everywhere: both access tokens refused within 2 s, both refresh tokens refused', async () => {
  const phone = await login('bob');
  const laptop = await login('bob');
  assert.notEqual(phone.body.access_token, laptop.body.access_token);
  assert.equal(await me(phone.token), 200);
  assert.equal(await me(laptop.token), 200);

  const all = await http(`${APP}/api/logout-all`, { method: 'POST', headers: { cookie: laptop.cookie, authorization: `Bearer ${laptop.token}` } });
  const at = Date.now();
  assert.equal(all.status, 200, all.text);
  assert.equal(all.json.logged_out_everywhere, true);
  assert.ok(all.json.revoked_sessions >= 2, `revoked_sessions ${all.json.revoked_sessions}`);
  assert.equal(typeof all.json.not_before, 'number');

  const [phoneMs, laptopMs] = await Promise.all([
    timeUntil(401, () => me(phone.token), { since: at, limitMs: LIMIT_MS }),
    timeUntil(401, () => me(laptop.token), { since: at, limitMs: LIMIT_MS }),
  ]);
  latencies.push(phoneMs, laptopMs);
  console.log(`# revocation latency (logout everywhere -> both devices' access tokens refused): ${phoneMs} ms and ${laptopMs} ms`);
  for (const device of [phone, laptop]) {
    const res = await refresh(device.cookie);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.error, 'invalid_grant');
    assert.equal((await issuer.refresh(device.refreshToken)).status, 400);
  }
});

test('revocation latency over repeated logouts stays within 2 s', async () => {
  const runs = [];
  for (let i = 0; i < 6; i += 1) {
    const device = await login(i % 2 ? 'bob' : 'alice');
    assert.equal(await me(device.token), 200);
    const out = await http(`${APP}/api/logout`, { method: 'POST', headers: { cookie: device.cookie, authorization: `Bearer ${device.token}` } });
    const at = Date.now();
    assert.equal(out.status, 200);
    runs.push(await timeUntil(401, () => me(device.token), { since: at, limitMs: LIMIT_MS }));
  }
  latencies.push(...runs);
  console.log(
    `# revocation latency over ${latencies.length} revocations (feed every ${INTERVAL_MS} ms): ` +
      `min ${Math.min(...latencies)} ms, median ${median(latencies)} ms, max ${Math.max(...latencies)} ms (runs: ${latencies.join(', ')})`,
  );
  assert.ok(Math.max(...latencies) <= LIMIT_MS);
});

test('refresh rotates; the previous cookie again gets the same new one; the grandparent ends the session (reuse detection)', async () => {
  const device = await login('alice');
  const first = await refresh(device.cookie);
  remember(first);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers.get('cache-control'), 'no-store');
  assert.notEqual(first.json.access_token, device.token);
  assert.equal(await me(first.json.access_token), 200);
  const rotated = newCookie(first);
  assert.notEqual(rotated, device.cookie, 'a new refresh token in the cookie');

  // The previous cookie right after a refresh (its answer lost, or a second tab): within the
  // issuer's reuse interval it gets the same new cookie, and a working access token.
  const retry = await refresh(device.cookie);
  remember(retry);
  assert.equal(retry.status, 200, retry.text);
  assert.equal(newCookie(retry), rotated, 'the retry gets the same new refresh token');
  assert.equal(await me(retry.json.access_token), 200);

  const second = await refresh(rotated);
  remember(second);
  assert.equal(second.status, 200, second.text);
  const newest = newCookie(second);
  assert.notEqual(newest, rotated);
  assert.notEqual(newest, device.cookie);

  // The first cookie is now two rotations old (the grandparent): reuse, the session ends.
  const replay = await refresh(device.cookie);
  const at = Date.now();
  assert.equal(replay.status, 401, replay.text);
  assert.equal(replay.json.error, 'invalid_grant');
  assert.match(replay.json.error_description, /already used/);
  const afterReplay = await refresh(newest);
  assert.equal(afterReplay.status, 401, 'the newest refresh token dies with the session');
  const previous = await refresh(rotated);
  assert.equal(previous.status, 401, 'so does the previous one');
  await timeUntil(401, () => me(second.json.access_token), { since: at, limitMs: LIMIT_MS });
});

/**
 * Starts another process of the example app (`node js/examples/express/server.js`) on `port`,
 * with make dev's issuer, keys and feed interval, in its own process group; resolves once its
 * /healthz answers. `stop()` sends SIGTERM to the group and resolves once it has exited.
 */
async function startSecondApp(port) {
  const child = spawn(process.execPath, ['server.js'], {
    cwd: join(ROOT, 'js/examples/express'),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER_URL: ISSUER,
      DEV_VARS: join(ROOT, '.dev.vars'),
      REVOCATION_INTERVAL_MS: String(INTERVAL_MS),
    },
  });
  child.stdout.on('data', (d) => (secondAppLog += d));
  child.stderr.on('data', (d) => (secondAppLog += d));
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 10_000);
      await exit;
      clearTimeout(timer);
    }
    for (let i = 0; i < 30 && groupAlive(child.pid); i += 1) await sleep(100);
    assert.equal(groupAlive(child.pid), false, 'the second app stopped');
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (up) return { url, stop };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      assert.fail(`the second app did not start:\n${secondAppLog}`);
    }
    await sleep(100);
  }
}

test('a burst of refreshes with one cookie through two app processes: all 200, one new cookie, still logged in', async () => {
  const second = await startSecondApp(SECOND_APP_PORT);
  try {
    const device = await login('bob');
    // Ten refreshes with the same cookie, alternating between the two processes. The issuer
    // serializes them: one rotates, the others present the previous token within the reuse
    // interval and get the same successor, whatever order they arrive in.
    const apps = [APP, second.url];
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => refresh(device.cookie, apps[i % 2])));
    for (const res of burst) remember(res);
    assert.deepEqual(burst.map((r) => r.status), Array(10).fill(200), burst.map((r) => r.text).join('\n'));
    const cookies = new Set(burst.map(newCookie));
    assert.equal(cookies.size, 1, `one new refresh token for all: ${cookies.size}`);
    const [rotated] = cookies;
    assert.notEqual(rotated, device.cookie);
    for (const [i, res] of burst.entries()) assert.equal(await me(res.json.access_token, apps[(i + 1) % 2]), 200, `access token ${i}`);

    // The user stays logged in: the new cookie refreshes (at either process), and /api/me works.
    const next = await refresh(rotated, second.url);
    remember(next);
    assert.equal(next.status, 200, `the session survived the burst: ${next.text}`);
    assert.notEqual(newCookie(next), rotated);
    assert.equal(await me(next.json.access_token), 200);
    assert.equal(await me(next.json.access_token, second.url), 200);
    const again = await refresh(newCookie(next));
    remember(again);
    assert.equal(again.status, 200, again.text);
  } finally {
    await second.stop();
  }
});

test('cookie attributes: httpOnly, Secure, SameSite=Strict, scoped to /api, expiring with the refresh token', async () => {
  const { setCookie, body } = await login('bob');
  const attributes = setCookie.split(';').slice(1).map((a) => a.trim());
  for (const expected of ['Path=/api', 'HttpOnly', 'Secure', 'SameSite=Strict']) {
    assert.ok(attributes.includes(expected), `${expected} in ${attributes.join('; ')}`);
  }
  const maxAge = Number(attributes.find((a) => a.startsWith('Max-Age='))?.slice(8));
  assert.ok(maxAge > 13 * 86_400 && maxAge <= 14 * 86_400, `Max-Age ${maxAge}`);
  assert.equal(body.refresh_token, undefined, 'the refresh token is never in the body');
  assert.deepEqual(Object.keys(body), ['access_token', 'token_type', 'expires_in', 'scope']);
});

test('clear JSON errors for every bad request; never a stack trace', async () => {
  const cases = [
    ['wrong password', { method: 'POST', json: { username: 'alice', password: 'nope' } }, '/api/login', 401, 'invalid_credentials'],
    ['unknown user', { method: 'POST', json: { username: 'mallory', password: 'nope' } }, '/api/login', 401, 'invalid_credentials'],
    ['malformed JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' }, '/api/login', 400, 'invalid_request'],
    ['no body', { method: 'POST' }, '/api/login', 400, 'invalid_request'],
    ['not strings', { method: 'POST', json: { username: 1, password: ['x'] } }, '/api/login', 400, 'invalid_request'],
    ['body too large', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'a', password: 'x'.repeat(8000) }) }, '/api/login', 413, 'invalid_request'],
    ['cross-site login', { method: 'POST', headers: { origin: 'https://evil.example' }, json: { username: 'alice', password: PASSWORDS.alice } }, '/api/login', 403, 'forbidden'],
    ['cross-site refresh', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }, '/api/refresh', 403, 'forbidden'],
    ['refresh without cookie', { method: 'POST' }, '/api/refresh', 401, 'invalid_grant'],
    ['garbage cookie', { method: 'POST', headers: { cookie: 'revocable_session=x.y' } }, '/api/refresh', 401, 'invalid_grant'],
    ['logout without credentials', { method: 'POST' }, '/api/logout', 401, 'unauthorized'],
    ['logout with a bad token only', { method: 'POST', headers: { authorization: 'Bearer abc.def.ghi' } }, '/api/logout', 401, 'invalid_token'],
    ['me without token', {}, '/api/me', 401, 'unauthorized'],
    ['me with a malformed header', { headers: { authorization: 'Bearer a b' } }, '/api/me', 400, 'invalid_request'],
    ['me with a tampered token', { headers: { authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.AAAA' } }, '/api/me', 401, 'invalid_token'],
    ['logout-all without token', { method: 'POST' }, '/api/logout-all', 401, 'unauthorized'],
    ['unknown path', {}, '/api/nope', 404, 'not_found'],
  ];
  for (const [what, init, path, status, error] of cases) {
    const res = await http(APP + path, init);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.json?.error, error, `${what}: ${res.text}`);
    assert.equal(typeof res.json.error_description, 'string', what);
    assert.doesNotMatch(res.text, /\bat .+\.js:\d+|Error:/, `${what}: no stack trace`);
  }
  const wrong = await http(`${APP}/api/login`, { method: 'POST', json: { username: 'alice', password: 'nope' } });
  const unknown = await http(`${APP}/api/login`, { method: 'POST', json: { username: 'mallory', password: 'nope' } });
  assert.equal(wrong.text, unknown.text, 'the answer does not tell whether a user exists');
  const missing = await http(`${APP}/api/me`);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');
});

test('scopes: requireScope answers 403 insufficient_scope', async () => {
  const bob = await login('bob');
  const alice = await login('alice');
  const denied = await http(`${APP}/api/admin`, { headers: { authorization: `Bearer ${bob.token}` } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error, 'insufficient_scope');
  assert.equal(
    denied.headers.get('www-authenticate'),
    'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="admin"',
  );
  const allowed = await http(`${APP}/api/admin`, { headers: { authorization: `Bearer ${alice.token}` } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.json.ok, true);
});

test("the README's 60-second tour, as printed by make dev, runs and ends with the revoked token refused", () => {
  const printed = /Try it \(in another terminal\):\n\n([\s\S]*?)\nPress Ctrl-C/.exec(dev.output())?.[1];
  assert.ok(printed, 'make dev prints the tour');
  const readme = readmeBlock('tour')
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${APP_PORT}`)
    .replaceAll('127.0.0.1:8787', `127.0.0.1:${ISSUER_PORT}`);
  assert.equal(printed.trim(), readme.trim(), 'README tour and make dev tour are the same commands');
  assert.ok(spawnSync('curl', ['--version']).status === 0, 'curl is needed for the tour');

  const cwd = tempDir('e2e-tour');
  const started = Date.now();
  const out = execFileSync('bash', ['-euo', 'pipefail', '-c', readme], { cwd, encoding: 'utf8', timeout: 60_000 });
  console.log(`# README tour: ran in ${Date.now() - started} ms`);
  const lines = out.trim().split('\n');
  const login = JSON.parse(lines[0]);
  secrets.add(login.access_token);
  assert.equal(login.token_type, 'Bearer');
  assert.equal(JSON.parse(lines[1]).sub, 'user_alice');
  const refreshed = JSON.parse(lines[2]);
  secrets.add(refreshed.access_token);
  assert.equal(JSON.parse(lines[3]).logged_out, true);
  assert.match(out, /^HTTP\/1\.1 401 Unauthorized/m);
  assert.match(out, /^WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token revoked \(by 'sid'\)"/m);
  assert.match(out, /"code":"ERR_JWT_REVOKED"/);
  for (const line of readFileSync(join(cwd, 'jar.txt'), 'utf8').split('\n')) {
    const value = line.split('\t')[6];
    if (value) secrets.add(value.split('.')[1] ?? value);
  }
});

/** A temporary directory whose node_modules is the Express example's (express, revocable). */
function snippetDir(name) {
  const cwd = tempDir(name);
  symlinkSync(join(ROOT, 'js/examples/express/node_modules'), join(cwd, 'node_modules'), 'dir');
  return cwd;
}

/**
 * A temporary directory whose node_modules holds revocable (js/) and fastify (js/'s
 * devDependency, from `make js-deps`), for the Fastify quick start.
 */
function fastifySnippetDir(name) {
  const cwd = tempDir(name);
  mkdirSync(join(cwd, 'node_modules'));
  symlinkSync(join(ROOT, 'js'), join(cwd, 'node_modules', 'revocable'), 'dir');
  symlinkSync(join(ROOT, 'js/node_modules/fastify'), join(cwd, 'node_modules', 'fastify'), 'dir');
  return cwd;
}

/** The feed credential for a verifier: FEED_KEY where the issuer has one, else the service key. */
/** The read-only feed key that make dev's keygen wrote (the first, if several). */
function feedKey() {
  return readVar(join(ROOT, '.dev.vars'), 'FEED_KEY').split(',')[0];
}

const QUICK_STARTS = {
  Express: { block: () => readmeBlock('express-quickstart'), listen: 'app.listen(4000);', dir: snippetDir, at: `app.listen(${QUICK_PORT}, '127.0.0.1');` },
  Fastify: {
    block: () => readmeBlock('fastify-quickstart'),
    listen: 'await app.listen({ port: 4000 });',
    dir: fastifySnippetDir,
    at: `await app.listen({ port: ${QUICK_PORT}, host: '127.0.0.1' });`,
  },
};

for (const [name, quick] of Object.entries(QUICK_STARTS)) test(`README quick start: ${name}, as its own app (discovery), refuses a logged-out token with the default 5 s feed`, { skip: name === 'Fastify' && !existsSync(join(ROOT, 'js/node_modules/fastify')) && 'js/node_modules is missing (make js-deps)' }, async () => {
  const code = quick.block().replaceAll('127.0.0.1:8787', `127.0.0.1:${ISSUER_PORT}`);
  assert.ok(code.includes(quick.listen));
  const cwd = quick.dir(`e2e-quick-${name.toLowerCase()}`);
  writeFileSync(join(cwd, 'quick.mjs'), code.replace(quick.listen, quick.at));
  const child = spawn(process.execPath, ['quick.mjs'], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FEED_KEY: feedKey() },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  try {
    const QUICK = `http://127.0.0.1:${QUICK_PORT}`;
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`${QUICK}/api/me`).then(() => true, () => false))) {
      assert.equal(child.exitCode, null, `the quick start exited: ${output}`);
      assert.ok(Date.now() < deadline, `the quick start did not listen: ${output}`);
      await sleep(100);
    }
    const alice = await login('alice');
    const bob = await login('bob');
    const mine = await http(`${QUICK}/api/me`, { headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(mine.status, 200);
    assert.equal(mine.json.sub, 'user_alice');
    assert.equal((await http(`${QUICK}/api/admin`, { headers: { authorization: `Bearer ${alice.token}` } })).status, 200);
    assert.equal((await http(`${QUICK}/api/admin`, { headers: { authorization: `Bearer ${bob.token}` } })).status, 403);
    const missing = await http(`${QUICK}/api/me`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');
    await http(`${APP}/api/logout`, { method: 'POST', headers: { cookie: alice.cookie } });
    const at = Date.now();
    const probe = async () => (await http(`${QUICK}/api/me`, { headers: { authorization: `Bearer ${alice.token}` } })).status;
    const ms = await timeUntil(401, probe, { since: at, limitMs: 5000 + LIMIT_MS, everyMs: 50 });
    console.log(`# README ${name} quick start (default 5 s feed): logged-out token refused after ${ms} ms`);
  } finally {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

test('README quick start: browser (the package\'s browser build, run by Node with the browser condition)', () => {
  const cwd = snippetDir('e2e-quick-browser');
  // What a page has and Node lacks: relative URLs resolve against the page's origin (the app),
  // and the wasm next to the module is fetched like any asset.
  writeFileSync(
    join(cwd, 'page.mjs'),
    `import { readFileSync } from 'node:fs';
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url.startsWith('file:')) return Promise.resolve(new Response(readFileSync(new URL(url)), { headers: { 'content-type': 'application/wasm' } }));
  return realFetch(url.startsWith('/') ? ${JSON.stringify(APP)} + url : input, init);
};
`,
  );
  const code = readmeBlock('browser-quickstart').replaceAll('127.0.0.1:8787', `127.0.0.1:${ISSUER_PORT}`);
  writeFileSync(join(cwd, 'snippet.mjs'), `import './page.mjs';\n${code}`);
  const out = execFileSync(process.execPath, ['--conditions=browser', 'snippet.mjs'], { cwd, encoding: 'utf8', timeout: 30_000 });
  assert.match(out, /^signed in as Bob; refresh before \d{4}-\d\d-\d\dT/m);
});

test('README quick start: make gateway in front of the app; its curl commands; revocation at the edge', async () => {
  const gateway = await runMake('gateway', {
    env: {
      GATEWAY_PORT: String(GATEWAY_PORT),
      GATEWAY_INSPECTOR_PORT: String(GATEWAY_INSPECTOR_PORT),
      ISSUER_PORT: String(ISSUER_PORT),
      APP_PORT: String(APP_PORT),
      REVOCATION_INTERVAL_MS: String(INTERVAL_MS),
      SKIP_BUILD: '1',
    },
    ready: (out) => out.includes(`Ready on http://127.0.0.1:${GATEWAY_PORT}`),
    timeoutMs: 180_000,
  });
  try {
    const device = await login('alice');
    const block = readmeBlock('gateway-curl').replaceAll('127.0.0.1:8789', `127.0.0.1:${GATEWAY_PORT}`);
    const out = execFileSync('bash', ['-euo', 'pipefail', '-c', block], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, TOKEN: device.token },
    });
    const [first] = out.split('\n');
    assert.equal(JSON.parse(first).sub, 'user_alice', out);
    assert.match(out, /^HTTP\/1\.1 401 Unauthorized/m);
    assert.match(out, /^www-authenticate: Bearer realm="api"\r?$/im);

    const edge = async () => (await http(`http://127.0.0.1:${GATEWAY_PORT}/api/me`, { headers: { authorization: `Bearer ${device.token}` } })).status;
    assert.equal(await edge(), 200);
    await http(`${APP}/api/logout`, { method: 'POST', headers: { cookie: device.cookie } });
    const ms = await timeUntil(401, edge, { since: Date.now(), limitMs: LIMIT_MS });
    console.log(`# gateway revocation latency (make gateway in front of make dev, feed every ${INTERVAL_MS} ms): ${ms} ms`);
  } finally {
    const exit = await gateway.stop('SIGINT');
    for (let i = 0; i < 30 && groupAlive(gateway.pgid); i += 1) await sleep(100);
    assert.equal(groupAlive(gateway.pgid), false, `make gateway left processes behind (${JSON.stringify(exit)})`);
  }
});

test('no token, refresh token or password appears in any log', () => {
  const logs = {
    'make dev output': dev.output(),
    'app.log': readFileSync(join(dir, 'logs', 'app.log'), 'utf8'),
    'issuer.log': readFileSync(join(dir, 'logs', 'issuer.log'), 'utf8'),
    'second app output': secondAppLog,
  };
  assert.match(logs['app.log'], /POST \/api\/login 200/, 'the app logs requests');
  assert.match(logs['second app output'], /POST \/api\/refresh 200/, 'the second app logged its requests');
  for (const [name, text] of Object.entries(logs)) {
    for (const secret of secrets) {
      if (secret.length < 8) continue;
      // The banner prints the demo passwords on purpose; the app never logs any password.
      if (name === 'make dev output' && Object.values(PASSWORDS).includes(secret)) continue;
      assert.ok(!text.includes(secret), `${name} contains a secret (${secret.slice(0, 6)}...)`);
    }
  }
  console.log(`# logs checked for ${secrets.size} secrets: none found`);
});

test('Ctrl-C stops the issuer and the app: no process left, ports free', async () => {
  const groups = [...dev.output().matchAll(/process group (\d+)/g)].map((m) => Number(m[1]));
  const [issuerGroup, appGroup] = [...new Set(groups)];
  assert.ok(issuerGroup && appGroup, 'make dev names both process groups');
  assert.ok(groupAlive(issuerGroup) && groupAlive(appGroup));
  const started = Date.now();
  const exit = await dev.stop('SIGINT');
  console.log(`# make dev: stopped ${Date.now() - started} ms after Ctrl-C (${JSON.stringify(exit)})`);
  assert.match(dev.output(), /stopping \(Ctrl-C\)/);
  assert.match(dev.output(), /== stopped the app/);
  assert.match(dev.output(), /== stopped the issuer/);
  assert.equal(groupAlive(issuerGroup), false, 'wrangler and workerd are gone');
  assert.equal(groupAlive(appGroup), false, 'the app is gone');
  // make has exited; its group (the script's log tails) must empty right after.
  for (let i = 0; i < 30 && groupAlive(dev.pgid); i += 1) await sleep(100);
  assert.equal(groupAlive(dev.pgid), false, 'make, the script and its log tails are gone');
  for (const port of [ISSUER_PORT, INSPECTOR_PORT, APP_PORT, GATEWAY_PORT, SECOND_APP_PORT]) assert.ok(await portFree(port), `port ${port} is free`);
  dev = null;
});
