// The edge-gateway example (js/examples/edge-gateway) in real workerd, started with
// `make gateway` exactly as the README says, in front of a tiny local HTTP origin that records
// what reaches it, with the real issuer (the built worker under wrangler dev) for keys, tokens
// and the revocation feed (500 ms interval):
//   - the gateway finds the JWKS and the feed through the real issuer's RFC 8414 metadata
//     (discovery), reading the feed with the key `make gateway` gives it;
//   - a valid token is forwarded (method, path, query, body, verified identity headers; the
//     client's own x-auth-* headers are dropped);
//   - no request path can send it anywhere but the origin: `//host`, `/\host`, `/%2F%2Fhost`,
//     absolute-form targets and a Host header naming a second loopback server (the "attacker",
//     which must receive nothing);
//   - `sub` arrives exactly: percent-encoded, with spaces and non-ASCII letters;
//   - no token, a malformed header, a tampered, foreign or garbage token: 401/400, never forwarded;
//   - revoked by session, by access-token jti (RFC 7009) and by logout everywhere: 401
//     ERR_JWT_REVOKED within the feed interval, measured;
//   - many concurrent requests when a feed poll is due: all answered (the poll is shared
//     across requests in workerd), one feed request.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateKeys, groupAlive, http, median, portFree, runMake, sleep, startIssuer, client, tempDir, timeUntil } from '../lib/index.mjs';

const ISSUER_PORT = 18620; // the issuer harness puts its inspector at +50 (18670)
const GATEWAY_PORT = 18621;
const GATEWAY_INSPECTOR_PORT = 18622;
const INTERVAL_MS = 500;
const LIMIT_MS = 2000;
const GATEWAY = `http://127.0.0.1:${GATEWAY_PORT}`;

let issuer;
let api;
let origin;
let gateway;
let attacker;
const seen = [];
const stolen = [];

before(async () => {
  for (const port of [ISSUER_PORT, GATEWAY_PORT, GATEWAY_INSPECTOR_PORT]) assert.ok(await portFree(port), `port ${port} is busy`);
  const dir = tempDir('e2e-gateway');
  const keys = generateKeys(dir);
  issuer = await startIssuer({ port: ISSUER_PORT, persistDir: join(dir, 'state'), envFile: keys.envFile });
  api = client(issuer.url, keys.serviceKey);

  // The origin: answers with what it received.
  origin = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const record = { method: req.method, url: req.url, headers: req.headers, body };
      seen.push(record);
      res.writeHead(200, { 'content-type': 'application/json', 'x-origin': 'yes' }).end(JSON.stringify(record));
    });
  });
  await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
  // Another host (port) on the same machine: whatever reaches it left the origin.
  attacker = createServer((req, res) => {
    stolen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"attacker":true}');
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));

  gateway = await runMake('gateway', {
    env: {
      GATEWAY_PORT: String(GATEWAY_PORT),
      GATEWAY_INSPECTOR_PORT: String(GATEWAY_INSPECTOR_PORT),
      GATEWAY_ISSUER_URL: issuer.url,
      GATEWAY_ORIGIN_URL: `http://127.0.0.1:${origin.address().port}`,
      GATEWAY_DEV_VARS: keys.envFile,
      REVOCATION_INTERVAL_MS: String(INTERVAL_MS),
      SKIP_BUILD: '1',
    },
    ready: (out) => out.includes(`Ready on ${GATEWAY}`),
    timeoutMs: 180_000,
  });
  console.log(`# make gateway: ready after ${gateway.startupMs} ms`);
});

after(async () => {
  if (gateway) {
    await gateway.stop('SIGINT');
    for (let i = 0; i < 30 && groupAlive(gateway.pgid); i += 1) await sleep(100);
    assert.equal(groupAlive(gateway.pgid), false, 'make gateway stopped with Ctrl-C leaves nothing behind');
  }
  await issuer?.stop();
  for (const server of [origin, attacker]) {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  }
});

async function session(sub = 'gw-user', scope = 'read') {
  const res = await api.createSession({ sub, scope });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

const through = (token, path = '/things?x=1', init = {}) =>
  http(GATEWAY + path, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers } });

test('a valid token is forwarded with the verified identity; client x-auth-* headers are replaced', async () => {
  const s = await session('gw-alice', 'read write');
  const before = seen.length;
  const res = await through(s.access_token, '/things/42?x=1&y=two', {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'x-auth-sub': 'spoofed-admin', 'x-auth-scope': 'admin' },
    body: 'hello origin',
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('x-origin'), 'yes');
  assert.equal(seen.length, before + 1);
  const got = res.json;
  assert.equal(got.method, 'POST');
  assert.equal(got.url, '/things/42?x=1&y=two');
  assert.equal(got.body, 'hello origin');
  assert.equal(got.headers['x-auth-sub'], 'gw-alice');
  assert.equal(got.headers['x-auth-sid'], s.session_id);
  assert.equal(got.headers['x-auth-scope'], 'read write');
  assert.equal(got.headers.authorization, `Bearer ${s.access_token}`, 'passed on for the origin to verify again');
  const health = await http(`${GATEWAY}/__gateway/health`);
  assert.equal(health.status, 200);
  assert.equal(seen.length, before + 1, 'the health check is not forwarded');
});

test('missing, malformed and invalid tokens are refused and never reach the origin', async () => {
  const s = await session();
  const [h, p, sig] = s.access_token.split('.');
  const flipped = sig.slice(0, -2) + (sig.at(-2) === 'A' ? 'B' : 'A') + sig.at(-1);
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'root' })).toString('base64url')}.${sig}`;
  const before = seen.length;
  const cases = [
    ['no token', undefined, 401, undefined, undefined],
    ['garbage', 'abc.def.ghi', 401, 'invalid_token', 'ERR_JWS_INVALID'],
    ['tampered signature', `${h}.${p}.${flipped}`, 401, 'invalid_token', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['forged claims', forged, 401, 'invalid_token', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['a refresh token', s.refresh_token, 401, 'invalid_token', 'ERR_JWT_INVALID'],
  ];
  for (const [what, token, status, error, code] of cases) {
    const res = await through(token);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.json.error, error ?? 'unauthorized', what);
    assert.equal(res.json.code, code, what);
    const challenge = res.headers.get('www-authenticate');
    if (error) assert.match(challenge, new RegExp(`^Bearer realm="api", error="${error}", error_description="[^"\\\\]+"$`), what);
    else assert.equal(challenge, 'Bearer realm="api"', what);
  }
  const malformed = await http(`${GATEWAY}/things`, { headers: { authorization: 'Bearer a b' } });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json.error, 'invalid_request');
  assert.equal(seen.length, before, 'nothing reached the origin');
});

test('revoked tokens get 401 within the feed interval: session end, RFC 7009 by jti, logout everywhere', async () => {
  const latencies = [];
  const refusedWithin = async (token, claim) => {
    const at = Date.now();
    const ms = await timeUntil(401, async () => (await through(token)).status, { since: at, limitMs: LIMIT_MS });
    const res = await through(token);
    assert.equal(res.json.code, 'ERR_JWT_REVOKED');
    assert.match(res.json.error_description, new RegExp(claim));
    latencies.push(ms);
    return ms;
  };
  for (let i = 0; i < 3; i += 1) {
    const s = await session(`gw-end-${i}`);
    assert.equal((await through(s.access_token)).status, 200);
    assert.equal((await api.endSession(s.session_id)).status, 204);
    await refusedWithin(s.access_token, 'sid');
  }
  const byJti = await session('gw-jti');
  assert.equal((await through(byJti.access_token)).status, 200);
  assert.equal((await api.revoke(byJti.access_token)).status, 200);
  await refusedWithin(byJti.access_token, 'jti');

  const a = await session('gw-everywhere');
  const b = await session('gw-everywhere');
  assert.equal((await through(a.access_token)).status, 200);
  assert.equal((await through(b.access_token)).status, 200);
  assert.equal((await api.logoutEverywhere('gw-everywhere')).status, 200);
  await Promise.all([refusedWithin(a.access_token, 'sub|sid'), refusedWithin(b.access_token, 'sub|sid')]);
  console.log(
    `# gateway revocation latency (workerd, feed polled on requests every ${INTERVAL_MS} ms): ` +
      `median ${median(latencies)} ms, max ${Math.max(...latencies)} ms (runs: ${latencies.join(', ')})`,
  );
});

test('concurrent requests when a poll is due are all answered, with one feed request', async () => {
  const s = await session('gw-burst');
  assert.equal((await through(s.access_token)).status, 200);
  await sleep(INTERVAL_MS + 100);
  const log = issuer.output().length;
  const started = Date.now();
  const statuses = await Promise.all(Array.from({ length: 20 }, () => through(s.access_token).then((r) => r.status)));
  const took = Date.now() - started;
  assert.deepEqual(statuses, Array(20).fill(200));
  // wrangler logs every request the issuer serves (a moment after answering it): the burst
  // made one feed poll, shared by the 20 requests; a burst that a loaded machine stretched
  // past the interval may rightly make one more per interval it lasted.
  const polls = () => issuer.output().slice(log).match(/GET \/v1\/revocations/g) ?? [];
  for (let i = 0; i < 100 && polls().length === 0; i += 1) await sleep(50);
  const allowed = 1 + Math.floor(took / INTERVAL_MS);
  assert.ok(polls().length >= 1 && polls().length <= allowed, `${polls().length} feed requests for one burst of ${took} ms`);
});

/** One raw HTTP/1.1 request (the request line and headers exactly as given); resolves the status line and body. */
function rawRequest(port, lines) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]), text: data }));
    socket.on('error', reject);
  });
}

test('no request path reaches another host: //host, /\\host, /%2F%2Fhost, absolute form, Host header', async () => {
  const s = await session('gw-paths');
  const target = `127.0.0.1:${attacker.address().port}`;
  const auth = `Authorization: Bearer ${s.access_token}`;
  const gatewayHost = `Host: 127.0.0.1:${GATEWAY_PORT}`;
  const cases = [
    ['protocol-relative path', [`GET //${target}/steal HTTP/1.1`, gatewayHost, auth, 'Connection: close']],
    ['backslash path', [`GET /\\${target}/steal HTTP/1.1`, gatewayHost, auth, 'Connection: close']],
    ['encoded slashes', [`GET /%2F%2F${target}/steal HTTP/1.1`, gatewayHost, auth, 'Connection: close']],
    ['encoded backslash', [`GET /%5C${target}/steal HTTP/1.1`, gatewayHost, auth, 'Connection: close']],
    ['absolute-form target', [`GET http://${target}/steal HTTP/1.1`, gatewayHost, auth, 'Connection: close']],
    ['absolute-form, attacker Host', [`GET http://${target}/steal HTTP/1.1`, `Host: ${target}`, auth, 'Connection: close']],
    ['Host header', ['GET /steal HTTP/1.1', `Host: ${target}`, auth, 'Connection: close']],
    ['protocol-relative, attacker Host', [`GET //${target}/steal HTTP/1.1`, `Host: ${target}`, auth, 'Connection: close']],
  ];
  const originBefore = seen.length;
  for (const [what, lines] of cases) {
    const before = seen.length;
    const res = await rawRequest(GATEWAY_PORT, lines);
    // Forwarded to the origin (200) or refused (4xx). workerd itself cannot parse an
    // absolute-form target ("invalid URL" before the worker runs) and wrangler dev answers a
    // plain 500 then: refused too, and the origin and the attacker see nothing.
    const refusedByRuntime = what.startsWith('absolute-form') && res.status === 500 && seen.length === before;
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500) || refusedByRuntime, `${what}: ${res.text.slice(0, 300)}`);
    if (res.status === 200) {
      assert.equal(seen.length, before + 1, `${what}: forwarded to the origin`);
      assert.match(seen.at(-1).url, /steal$/, what);
      assert.equal(seen.at(-1).headers.host, `127.0.0.1:${origin.address().port}`, `${what}: the origin's own Host`);
    }
    console.log(`# ${what}: ${res.status}${res.status === 200 ? ` -> origin ${seen.at(-1).url}` : ''}`);
  }
  assert.deepEqual(stolen, [], 'nothing reached the attacker');
  assert.ok(seen.length > originBefore, 'at least the plain cases were forwarded to the origin');
});

test('the origin gets exactly the token\'s sub: percent-encoded, spaces and non-ASCII letters kept', async () => {
  for (const sub of ['alice smith', 'alié 日本 Ωμέγα', 'a+b%20c/d?e#f', 'Łódź']) {
    const s = await session(sub);
    const res = await through(s.access_token, '/who');
    assert.equal(res.status, 200, res.text);
    const header = res.json.headers['x-auth-sub'];
    assert.equal(header, encodeURIComponent(sub));
    assert.equal(decodeURIComponent(header), sub);
    assert.equal(res.json.headers['x-auth-sid'], encodeURIComponent(s.session_id));
  }
});
