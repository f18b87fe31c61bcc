// The issuer's flows over HTTP against the built worker in workerd: sessions, rotation,
// reuse detection, logouts, RFC 7009 revocation, the JWKS (verified with jose) and the
// revocation feed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, createLocalJWKSet, createRemoteJWKSet, importJWK, jwtVerify } from 'jose';
import { issuerPerFile, payload, header, nowSeconds as now } from '../lib/index.mjs';

const PORT = 18710;
const local = issuerPerFile('flow', PORT);

const publicOf = ({ d, ...pub }) => pub;
let subCounter = 0;
const freshSub = (tag) => `${tag}-${process.pid}-${++subCounter}@example.com`;

async function newSession(body) {
  const res = await local.api.createSession(body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

test('metadata (RFC 8414) points at this issuer', async () => {
  const res = await local.api.call('GET', '/.well-known/oauth-authorization-server');
  assert.equal(res.status, 200);
  const m = res.json;
  assert.equal(m.issuer, local.issuer.url);
  assert.equal(m.token_endpoint, `${local.issuer.url}/oauth/token`);
  assert.equal(m.revocation_endpoint, `${local.issuer.url}/oauth/revoke`);
  assert.equal(m.jwks_uri, `${local.issuer.url}/.well-known/jwks.json`);
  assert.equal(m.revocation_feed_uri, `${local.issuer.url}/v1/revocations`);
  assert.deepEqual(m.grant_types_supported, ['refresh_token']);
  assert.deepEqual(m.token_endpoint_auth_methods_supported, ['none']);
  assert.match(res.headers.get('cache-control'), /max-age=\d+/);
});

test('JWKS publishes the public key only, with max-age', async () => {
  const res = await local.api.call('GET', '/.well-known/jwks.json');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('cache-control'), /max-age=\d+/);
  assert.equal(res.json.keys.length, 1);
  const [key] = res.json.keys;
  assert.equal(key.kty, 'OKP');
  assert.equal(key.crv, 'Ed25519');
  assert.equal(key.kid, local.issuer.keys.signingKeys.keys[0].kid);
  assert.equal(key.d, undefined, 'no private part');
  assert.ok(!res.text.includes(local.issuer.keys.signingKeys.keys[0].d), 'private key never served');
});

test('full flow: session -> refresh -> refresh -> revoke; tokens verify with jose', async () => {
  const sub = freshSub('flow');
  const started = now();
  const s = await newSession({ sub, scope: 'read write', claims: { role: 'admin', org: { id: 7 } } });
  assert.equal(s.token_type, 'Bearer');
  assert.equal(s.expires_in, 300);
  assert.equal(s.refresh_token_expires_in, 14 * 86400);
  assert.equal(s.scope, 'read write');
  assert.match(s.refresh_token, /^[A-Za-z0-9_-]{54}$/);
  assert.match(s.session_id, /^[A-Za-z0-9_-]{33}$/);

  const jwks = createRemoteJWKSet(new URL(`${local.issuer.url}/.well-known/jwks.json`));
  const verify = (token) => jwtVerify(token, jwks, {
    issuer: local.issuer.url,
    audience: 'api',
    typ: 'at+jwt',
    algorithms: ['EdDSA'],
    requiredClaims: ['exp', 'iat', 'jti', 'sid', 'sub'],
  });

  const h = header(s.access_token);
  assert.equal(h.alg, 'EdDSA');
  assert.equal(h.typ, 'at+jwt');
  assert.equal(h.kid, local.issuer.keys.signingKeys.keys[0].kid);
  const first = (await verify(s.access_token)).payload;
  assert.equal(first.sub, sub);
  assert.equal(first.sid, s.session_id);
  assert.equal(first.scope, 'read write');
  assert.equal(first.role, 'admin');
  assert.deepEqual(first.org, { id: 7 });
  assert.ok(first.iat >= started && first.iat <= now());
  assert.equal(first.exp - first.iat, 300);
  assert.match(first.jti, /^[A-Za-z0-9_-]{22}$/);

  const r1 = await local.api.refresh(s.refresh_token);
  assert.equal(r1.status, 200, r1.text);
  assert.equal(r1.headers.get('cache-control'), 'no-store');
  assert.equal(r1.json.token_type, 'Bearer');
  assert.notEqual(r1.json.refresh_token, s.refresh_token, 'rotated');
  const second = (await verify(r1.json.access_token)).payload;
  assert.equal(second.sid, s.session_id, 'same session');
  assert.notEqual(second.jti, first.jti);
  assert.equal(second.role, 'admin', 'extra claims carried over');

  // Narrowing the scope on refresh (RFC 6749 section 6).
  const r2 = await local.api.refresh(r1.json.refresh_token, { scope: 'read', client_id: 'spa' });
  assert.equal(r2.status, 200, r2.text);
  assert.equal(r2.json.scope, 'read');
  assert.equal((await verify(r2.json.access_token)).payload.scope, 'read');

  // Widening is refused and changes nothing: the same token still works afterwards.
  const wide = await local.api.refresh(r2.json.refresh_token, { scope: 'read admin' });
  assert.equal(wide.status, 400);
  assert.equal(wide.json.error, 'invalid_scope');

  const rev = await local.api.revoke(r2.json.refresh_token, 'refresh_token');
  assert.equal(rev.status, 200);
  const after = await local.api.refresh(r2.json.refresh_token);
  assert.equal(after.status, 400);
  assert.equal(after.json.error, 'invalid_grant');

  // The session's access tokens are revoked through the feed (sid).
  const feed = (await local.api.feed()).json;
  const entry = feed.sid.find((e) => e.id === s.session_id);
  assert.ok(entry, 'revoked session in the feed');
  const lastExp = payload(r2.json.access_token).exp;
  assert.ok(entry.exp >= lastExp, `the sid entry outlives the session's last access token (${entry.exp} < ${lastExp})`);
  assert.ok(entry.exp >= now() + 298, `sid entry lives one access-token lifetime from the revocation (exp ${entry.exp})`);
});

test('access tokens verify against a JWKS fetched once (createLocalJWKSet)', async () => {
  const jwks = createLocalJWKSet((await local.api.call('GET', '/.well-known/jwks.json')).json);
  const s = await newSession({ sub: freshSub('local') });
  const { payload: p, protectedHeader } = await jwtVerify(s.access_token, jwks, { issuer: local.issuer.url, audience: 'api' });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(p.scope, undefined, 'no scope claim when none was granted');
  // A tampered token fails.
  const [h, b, sig] = s.access_token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...payload(s.access_token), sub: 'mallory' })).toString('base64url');
  await assert.rejects(jwtVerify(`${h}.${forged}.${sig}`, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
});

test('reuse detection: a rotated-away token replayed kills the session; the newest token fails too', async () => {
  const s = await newSession({ sub: freshSub('reuse') });
  const r0 = await local.api.refresh(s.refresh_token);
  assert.equal(r0.status, 200, r0.text);
  const r1 = await local.api.refresh(r0.json.refresh_token);
  assert.equal(r1.status, 200, r1.text);

  // The first token is now two rotations old: outside the reuse interval's one-token window.
  const replay = await local.api.refresh(s.refresh_token);
  assert.equal(replay.status, 400);
  assert.equal(replay.json.error, 'invalid_grant');
  assert.match(replay.json.error_description, /already used/);

  const newest = await local.api.refresh(r1.json.refresh_token);
  assert.equal(newest.status, 400);
  assert.equal(newest.json.error, 'invalid_grant');

  const feed = (await local.api.feed()).json;
  assert.ok(feed.sid.some((e) => e.id === s.session_id), 'reused session revoked in the feed');
});

test('an access token (or any JWT) is never accepted as a refresh token', async () => {
  const s = await newSession({ sub: freshSub('jwt-as-rt') });
  // The same access token, expired: re-signed by the issuer's own key with exp in the past.
  const [jwk] = local.issuer.keys.signingKeys.keys;
  const expired = await new SignJWT({ ...payload(s.access_token), iat: now() - 1200, exp: now() - 600 })
    .setProtectedHeader(header(s.access_token))
    .sign(await importJWK(jwk, jwk.alg ?? 'EdDSA'));
  await assert.rejects(jwtVerify(expired, createLocalJWKSet({ keys: [publicOf(jwk)] })), { code: 'ERR_JWT_EXPIRED' });
  for (const token of [s.access_token, expired, `${s.access_token}x`, s.session_id]) {
    const res = await local.api.refresh(token);
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_grant');
  }
  // The session is untouched by those attempts.
  assert.equal((await local.api.refresh(s.refresh_token)).status, 200);
});

test('logout of one session leaves the other sessions alone', async () => {
  const sub = freshSub('one');
  const phone = await newSession({ sub });
  const laptop = await newSession({ sub });
  const listed = await local.api.sessions(sub);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.sessions.map((x) => x.id).sort(), [phone.session_id, laptop.session_id].sort());
  for (const x of listed.json.sessions) {
    assert.ok(x.created <= now() && x.last_used >= x.created && x.expires === x.created + 30 * 86400, JSON.stringify(x));
  }

  const del = await local.api.endSession(phone.session_id);
  assert.equal(del.status, 204);
  assert.equal((await local.api.refresh(phone.refresh_token)).json.error, 'invalid_grant');
  assert.equal((await local.api.refresh(laptop.refresh_token)).status, 200);
  const after = await local.api.sessions(sub);
  assert.deepEqual(after.json.sessions.map((x) => x.id), [laptop.session_id]);

  // Deleting again is idempotent; an unknown id is 404.
  assert.equal((await local.api.endSession(phone.session_id)).status, 204);
  const unknown = await local.api.endSession('A'.repeat(33));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error, 'not_found');
});

test('logout everywhere: every session ends, earlier access tokens are revoked by sub and sid', async () => {
  const sub = freshSub('everywhere');
  const other = freshSub('bystander');
  const a = await newSession({ sub });
  const b = await newSession({ sub });
  const c = await newSession({ sub: other });
  const res = await local.api.logoutEverywhere(sub);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.revoked_sessions, 2);
  const notBefore = res.json.not_before;
  assert.ok(Math.abs(notBefore - now()) <= 2);

  for (const s of [a, b]) assert.equal((await local.api.refresh(s.refresh_token)).json.error, 'invalid_grant');
  assert.equal((await local.api.refresh(c.refresh_token)).status, 200, 'other users unaffected');
  assert.deepEqual((await local.api.sessions(sub)).json.sessions, []);

  const feed = (await local.api.feed()).json;
  const subEntry = feed.sub.find((e) => e.id === sub);
  assert.ok(subEntry, 'sub entry');
  assert.equal(subEntry.not_before, notBefore);
  assert.equal(subEntry.exp, notBefore + 300);
  // Tokens minted in the same second as the logout have iat == not_before: the sid entries
  // catch them.
  for (const s of [a, b]) assert.ok(feed.sid.some((e) => e.id === s.session_id), 'sid entries too');
  assert.ok(!feed.sub.some((e) => e.id === other));

  // A new login after the logout works.
  const fresh = await newSession({ sub });
  assert.equal((await local.api.refresh(fresh.refresh_token)).status, 200);
  assert.equal((await local.api.sessions(sub)).json.sessions.length, 1);
});

test('subjects with slashes, spaces and unicode round-trip through the path', async () => {
  const sub = `tenant/${process.pid} ünïcødé+user`;
  const s = await newSession({ sub });
  const listed = await local.api.sessions(sub);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.json.sessions.map((x) => x.id), [s.session_id]);
  assert.equal((await local.api.logoutEverywhere(sub)).json.revoked_sessions, 1);
});

test('revoke (RFC 7009) answers 200 for unknown, malformed and foreign tokens', async () => {
  for (const token of [
    'A'.repeat(54), // refresh-token shaped, unknown
    'not-a-token',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', // alg none
    'a.b.c',
  ]) {
    const res = await local.api.revoke(token);
    assert.equal(res.status, 200, token);
    assert.equal(res.text, '');
  }
  const hinted = await local.api.revoke('A'.repeat(54), 'access_token');
  assert.equal(hinted.status, 200);
  const weird = await local.api.revoke('A'.repeat(54), 'some_other_hint');
  assert.equal(weird.status, 200);
});

test('revoking an access token puts its jti in the feed until its exp; the session lives on', async () => {
  const s = await newSession({ sub: freshSub('jti') });
  const p = payload(s.access_token);
  const res = await local.api.revoke(s.access_token, 'access_token');
  assert.equal(res.status, 200);
  const feed = (await local.api.feed()).json;
  const entry = feed.jti.find((e) => e.id === p.jti);
  assert.ok(entry, 'jti in the feed');
  assert.equal(entry.exp, p.exp, 'dropped exactly when the token expires, not before');
  assert.equal((await local.api.refresh(s.refresh_token)).status, 200, 'access-token revocation does not end the session');
});

test('revoking access tokens one by one: 8 per session, then the session ends (the feed stays bounded)', async () => {
  const sub = freshSub('jti-bound');
  const s = await newSession({ sub });
  let { refresh_token: refresh, access_token: access } = s;
  const jtis = [];
  for (let i = 0; i < 8; i++) {
    assert.equal((await local.api.revoke(access, 'access_token')).status, 200);
    jtis.push(payload(access).jti);
    const next = await local.api.refresh(refresh);
    assert.equal(next.status, 200, next.text);
    ({ refresh_token: refresh, access_token: access } = next.json);
  }
  const listed = (await local.api.feed()).json;
  assert.deepEqual(jtis.filter((id) => listed.jti.some((e) => e.id === id)), jtis, 'all 8 listed');
  assert.ok(!listed.sid.some((e) => e.id === s.session_id), 'the session still lives');
  // The ninth ends the session: its sid entry covers every token, no ninth jti entry.
  assert.equal((await local.api.revoke(access, 'access_token')).status, 200);
  const feed = (await local.api.feed()).json;
  assert.ok(feed.sid.some((e) => e.id === s.session_id), 'sid entry');
  assert.ok(!feed.jti.some((e) => e.id === payload(access).jti), 'no ninth jti entry');
  const refused = await local.api.refresh(refresh);
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error, 'invalid_grant');
  assert.deepEqual((await local.api.sessions(sub)).json.sessions, []);
});

test('the feed key reads the feed and nothing else', async () => {
  const feedKey = { authorization: `Bearer ${local.issuer.keys.feedKey}` };
  const feed = await local.api.call('GET', '/v1/revocations', { headers: feedKey });
  assert.equal(feed.status, 200, feed.text);
  assert.ok(Array.isArray(feed.json.sid));
  const json = { ...feedKey, 'content-type': 'application/json' };
  for (const [method, path, body] of [
    ['POST', '/v1/sessions', JSON.stringify({ sub: 'mallory' })],
    ['GET', '/v1/users/alice/sessions'],
    ['POST', '/v1/users/alice/revoke'],
    ['DELETE', '/v1/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ]) {
    const r = await local.api.call(method, path, { headers: json, body });
    assert.equal(r.status, 401, `${method} ${path} with the feed key: ${r.text}`);
    assert.equal(r.json.error, 'invalid_client');
  }
});

test('feed: service key, ETag and 304, entries kept until their exp', async () => {
  const first = await local.api.feed();
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag');
  assert.match(etag, /^W\/"[A-Za-z0-9_-]+"$/);
  assert.ok(Math.abs(first.json.generated_at - now()) <= 2);
  for (const e of [...first.json.jti, ...first.json.sid, ...first.json.sub]) {
    assert.ok(e.exp >= first.json.generated_at, `entry ${e.id} past exp served`);
  }

  const same = await local.api.feed({ 'if-none-match': etag });
  assert.equal(same.status, 304);
  assert.equal(same.headers.get('etag'), etag);
  assert.equal(same.text, '');

  const s = await newSession({ sub: freshSub('etag') });
  assert.equal((await local.api.endSession(s.session_id)).status, 204);
  const changed = await local.api.feed({ 'if-none-match': etag });
  assert.equal(changed.status, 200, 'a new revocation changes the ETag');
  assert.notEqual(changed.headers.get('etag'), etag);
  assert.ok(changed.json.sid.some((e) => e.id === s.session_id));

  // Every entry written in this file is still there: nothing dropped early.
  for (const e of first.json.sid) assert.ok(changed.json.sid.some((x) => x.id === e.id), `sid ${e.id} dropped`);
  for (const e of first.json.jti) assert.ok(changed.json.jti.some((x) => x.id === e.id), `jti ${e.id} dropped`);
  for (const e of first.json.sub) assert.ok(changed.json.sub.some((x) => x.id === e.id), `sub ${e.id} dropped`);
});
