// Bad input over HTTP against the built worker: every mistake gets a 4xx with an RFC 6749
// section 5.2 style JSON body ({error, error_description}), never a 5xx.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issuerForFile } from './harness.mjs';

const PORT = 18720;
let issuer;
let api;
let auth;

before(async () => {
  issuer = await issuerForFile('bad-input', PORT);
  api = issuer.api;
  auth = { authorization: `Bearer ${issuer.keys.serviceKey}` };
});

after(async () => {
  await issuer?.stop();
});

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_CT = { 'content-type': 'application/json' };

function expectError(res, status, error, what) {
  assert.equal(res.status, status, `${what}: status ${res.status} body ${res.text}`);
  assert.ok(res.json && typeof res.json === 'object', `${what}: JSON body expected, got ${res.text}`);
  assert.equal(res.json.error, error, `${what}: ${res.text}`);
  assert.equal(typeof res.json.error_description, 'string', what);
  assert.equal(res.headers.get('content-type'), 'application/json', what);
}

test('unknown paths are 404 not_found', async () => {
  for (const path of ['/', '/nope', '/oauth/token/', '/v1/sessions/a/b', '/v1/users/a', '/v1/users/a/b/sessions', '/OAUTH/TOKEN', '/.well-known/jwks.json/x']) {
    expectError(await api.call('GET', path), 404, 'not_found', path);
  }
});

test('wrong methods are 405 with Allow', async () => {
  const cases = [
    ['POST', '/.well-known/jwks.json', 'GET'],
    ['DELETE', '/.well-known/oauth-authorization-server', 'GET'],
    ['GET', '/oauth/token', 'POST'],
    ['PUT', '/oauth/revoke', 'POST'],
    ['GET', '/v1/sessions', 'POST'],
    ['POST', '/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA', 'DELETE'],
    ['DELETE', '/v1/users/alice/sessions', 'GET'],
    ['GET', '/v1/users/alice/revoke', 'POST'],
    ['POST', '/v1/revocations', 'GET'],
    ['PATCH', '/v1/revocations', 'GET'],
    ['OPTIONS', '/oauth/token', 'POST'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await api.call(method, path, { headers: auth });
    expectError(res, 405, 'method_not_allowed', `${method} ${path}`);
    assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
  }
  // HEAD: same status, no body by definition.
  const head = await fetch(`${issuer.url}/oauth/token`, { method: 'HEAD' });
  assert.equal(head.status, 405);
  assert.equal(head.headers.get('allow'), 'POST');
});

test('service endpoints: wrong and missing keys get the same 401', async () => {
  const calls = [
    ['POST', '/v1/sessions', JSON.stringify({ sub: 'a' }), JSON_CT],
    ['DELETE', '/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA'],
    ['GET', '/v1/users/alice/sessions'],
    ['POST', '/v1/users/alice/revoke'],
    ['GET', '/v1/revocations'],
  ];
  const variants = [
    {},
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer wrong' },
    { authorization: `Bearer ${issuer.keys.serviceKey}x` },
    { authorization: `Bearer ${issuer.keys.serviceKey.slice(0, -1)}` },
    { authorization: `Basic ${issuer.keys.serviceKey}` },
    { authorization: issuer.keys.serviceKey },
  ];
  for (const [method, path, body, ct] of calls) {
    const answers = new Set();
    for (const h of variants) {
      const res = await api.call(method, path, { headers: { ...h, ...(ct ?? {}) }, body });
      expectError(res, 401, 'invalid_client', `${method} ${path} ${JSON.stringify(h).slice(0, 40)}`);
      assert.ok(res.headers.get('www-authenticate')?.startsWith('Bearer '), 'WWW-Authenticate');
      answers.add(`${res.status} ${res.text} ${res.headers.get('www-authenticate')}`);
    }
    assert.equal(answers.size, 1, `${method} ${path}: every variant answered identically`);
  }
});

test('wrong content types are 415', async () => {
  const body = 'grant_type=refresh_token&refresh_token=x';
  for (const [path, ct] of [
    ['/oauth/token', undefined],
    ['/oauth/token', 'application/json'],
    ['/oauth/token', 'text/plain'],
    ['/oauth/token', 'multipart/form-data; boundary=x'],
    ['/oauth/token', 'application/x-www-form-urlencoded; charset=iso-8859-1'],
    ['/oauth/revoke', 'application/json'],
  ]) {
    const headers = ct ? { 'content-type': ct } : {};
    expectError(await api.call('POST', path, { headers, body: ct === undefined ? new Blob([body]) : body }), 415, 'invalid_request', `${path} ${ct}`);
  }
  for (const ct of [undefined, 'application/x-www-form-urlencoded', 'text/json', 'application/jsonx']) {
    const headers = { ...auth, ...(ct ? { 'content-type': ct } : {}) };
    const res = await api.call('POST', '/v1/sessions', { headers, body: ct === undefined ? new Blob(['{"sub":"a"}']) : '{"sub":"a"}' });
    expectError(res, 415, 'invalid_request', `sessions ${ct}`);
  }
  // Charset utf-8 is fine.
  const ok = await api.call('POST', '/v1/sessions', { headers: { ...auth, 'content-type': 'application/json; charset=UTF-8' }, body: '{"sub":"ct"}' });
  assert.equal(ok.status, 201, ok.text);
});

test('bodies over 16384 bytes are 413, with or without Content-Length', async () => {
  const big = `grant_type=refresh_token&refresh_token=${'a'.repeat(17000)}`;
  expectError(await api.call('POST', '/oauth/token', { headers: FORM, body: big }), 413, 'invalid_request', 'token');
  expectError(await api.call('POST', '/oauth/revoke', { headers: FORM, body: `token=${'a'.repeat(20000)}` }), 413, 'invalid_request', 'revoke');
  expectError(
    await api.call('POST', '/v1/sessions', { headers: { ...auth, ...JSON_CT }, body: JSON.stringify({ sub: 'a', claims: { x: 'y'.repeat(20000) } }) }),
    413, 'invalid_request', 'sessions');
  // Streamed (chunked, no Content-Length).
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode('a'.repeat(1000)));
      controller.close();
    },
  });
  const res = await fetch(`${issuer.url}/oauth/token`, { method: 'POST', headers: FORM, body: stream, duplex: 'half' });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error, 'invalid_request');
  // Exactly at the limit is not 413 (it fails later, as a grant).
  const prefix = 'grant_type=refresh_token&refresh_token=';
  const atLimit = prefix + 'a'.repeat(16384 - prefix.length);
  assert.equal(atLimit.length, 16384);
  expectError(await api.call('POST', '/oauth/token', { headers: FORM, body: atLimit }), 400, 'invalid_grant', 'at limit');
});

test('token endpoint: malformed, missing, empty, repeated parameters and unsupported grants', async () => {
  const cases = [
    ['', 'invalid_request'],
    ['grant_type=', 'invalid_request'],
    ['refresh_token=abc', 'invalid_request'],
    ['grant_type=refresh_token', 'invalid_request'],
    ['grant_type=refresh_token&refresh_token=', 'invalid_request'],
    ['grant_type=refresh_token&refresh_token=a&refresh_token=b', 'invalid_request'],
    ['grant_type=refresh_token&grant_type=refresh_token&refresh_token=a', 'invalid_request'],
    ['grant_type=refresh_token&refresh_token=%zz', 'invalid_request'],
    ['grant_type=refresh_token&refresh_token=%', 'invalid_request'],
    ['grant_type=refresh_token&refresh_token=%C3%28', 'invalid_request'],
    ['grant_type=password&username=a&password=b', 'unsupported_grant_type'],
    ['grant_type=authorization_code&code=x', 'unsupported_grant_type'],
    ['grant_type=client_credentials', 'unsupported_grant_type'],
    ['grant_type=REFRESH_TOKEN&refresh_token=x', 'unsupported_grant_type'],
    ['grant_type=refresh_token&refresh_token=short', 'invalid_grant'],
    [`grant_type=refresh_token&refresh_token=${'A'.repeat(54)}`, 'invalid_grant'],
    [`grant_type=refresh_token&refresh_token=${'A'.repeat(42)}%00`, 'invalid_grant'],
    [`grant_type=refresh_token&refresh_token=${'A'.repeat(54)}&scope=bad%22scope`, 'invalid_scope'],
  ];
  for (const [body, error] of cases) {
    expectError(await api.call('POST', '/oauth/token', { headers: FORM, body }), 400, error, body.slice(0, 80));
  }
  // Invalid UTF-8 as raw bytes.
  const raw = Buffer.concat([Buffer.from('grant_type=refresh_token&refresh_token='), Buffer.from([0xff, 0xfe])]);
  expectError(await api.call('POST', '/oauth/token', { headers: FORM, body: raw }), 400, 'invalid_request', 'raw invalid utf-8');
});

test('revoke endpoint: missing or empty token is invalid_request', async () => {
  for (const body of ['', 'token=', 'token_type_hint=refresh_token', 'token=a&token=b', 'token=%']) {
    expectError(await api.call('POST', '/oauth/revoke', { headers: FORM, body }), 400, 'invalid_request', body);
  }
});

test('sessions endpoint: malformed JSON, wrong types, bad sub, bad scope, overriding claims', async () => {
  const longSub = 'x'.repeat(257);
  const cases = [
    ['', 'empty body'],
    ['{', 'truncated'],
    ['{"sub":"a"', 'truncated object'],
    ['null', 'null'],
    ['[]', 'array'],
    ['["alice"]', 'array of fields'],
    ['"alice"', 'string'],
    ['{}', 'no sub'],
    ['{"sub":null}', 'null sub'],
    ['{"sub":""}', 'empty sub'],
    [JSON.stringify({ sub: longSub }), 'sub too long'],
    ['{"sub":42}', 'number sub'],
    ['{"sub":["a"]}', 'array sub'],
    ['{"sub":{"id":"a"}}', 'object sub'],
    ['{"sub":true}', 'bool sub'],
    ['{"sub":"a\\r\\nSet-Cookie: x=1"}', 'CRLF in sub'],
    ['{"sub":"a\\u0000b"}', 'NUL in sub'],
    ['{"sub":"a","sub":"b"}', 'duplicate sub'],
    ['{"sub":"."}', 'sub a dot segment'],
    ['{"sub":".."}', 'sub a double-dot segment'],
    ['{"sub":"a","extra":1}', 'unknown field'],
    ['{"sub":"a","scope":7}', 'scope not a string'],
    ['{"sub":"a","scope":""}', 'empty scope'],
    ['{"sub":"a","scope":"read  write"}', 'double space in scope'],
    ['{"sub":"a","scope":"r\\"w"}', 'quote in scope'],
    ['{"sub":"a","claims":"x"}', 'claims a string'],
    ['{"sub":"a","claims":[1,2]}', 'claims an array'],
    ['{"sub":"a","claims":{"a":1,"a":2}}', 'duplicate claim'],
    ['{"sub":"a","claims":{"":1}}', 'empty claim name'],
    ['{"sub":"a","claims":{"x":1e999}}', 'number out of range'],
    [`{"sub":"a","claims":{"x":${'['.repeat(200)}${']'.repeat(200)}}}`, 'deep nesting'],
    [JSON.stringify({ sub: 'a', claims: { blob: 'x'.repeat(5000) } }), 'claims too large'],
    [Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xff]), Buffer.from('"}')]), 'invalid utf-8'],
  ];
  for (const reserved of ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sid', 'scope']) {
    cases.push([JSON.stringify({ sub: 'a', claims: { [reserved]: 'x' } }), `claims.${reserved}`]);
  }
  for (const [body, what] of cases) {
    expectError(await api.call('POST', '/v1/sessions', { headers: { ...auth, ...JSON_CT }, body }), 400, 'invalid_request', what);
  }
  // The longest valid sub is fine.
  const ok = await api.createSession({ sub: 'x'.repeat(256) });
  assert.equal(ok.status, 201, ok.text);
});

test('subject in the path: empty, too long, bad escapes, control characters', async () => {
  for (const sub of ['', 'x'.repeat(257), '%ff', '%zz', 'a%0Ab', 'a%00b']) {
    for (const [method, suffix] of [['GET', 'sessions'], ['POST', 'revoke']]) {
      expectError(await api.call(method, `/v1/users/${sub}/${suffix}`, { headers: auth }), 400, 'invalid_request', `${method} ${sub.slice(0, 20)}`);
    }
  }
  // A malformed session id is simply unknown.
  for (const id of ['x', 'A'.repeat(23), '%00'.repeat(8)]) {
    expectError(await api.call('DELETE', `/v1/sessions/${id}`, { headers: auth }), 404, 'not_found', id);
  }
});

test('no bad input above left the worker unhealthy', async () => {
  const res = await api.createSession({ sub: 'still-alive' });
  assert.equal(res.status, 201, res.text);
  assert.equal((await api.refresh(res.json.refresh_token)).status, 200);
});
