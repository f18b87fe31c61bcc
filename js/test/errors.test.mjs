// Every error code through the public API, the JwtError shape, option validation, the
// injected clock, close(), and decodeJwt (which verifies nothing).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { JwtError, createVerifier, decodeJwt } from 'revocable';
import { AUDIENCE, ISSUER, b64json, claims, keyPair, nowSeconds, serve, sign } from './helpers.mjs';

const policy = { issuer: ISSUER, audience: AUDIENCE };
let ed;
let verifier;

before(async () => {
  ed = await keyPair('EdDSA', 'ed-1');
  verifier = await createVerifier({ ...policy, jwks: { keys: [ed.publicJwk] }, requiredClaims: ['sub'] });
});
after(() => verifier.close());

/** Asserts a JwtError with `code` (and claim/reason when given) whose message hides the token. */
function rejects(token, code, { claim, reason, v = verifier } = {}) {
  let caught;
  try {
    v.verify(token);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected ${code}`);
  assert.ok(caught instanceof JwtError, `a JwtError: ${caught}`);
  assert.ok(caught instanceof Error);
  assert.equal(caught.name, 'JwtError');
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.claim, claim);
  assert.equal(caught.reason, reason);
  assert.equal(typeof caught.message, 'string');
  assert.ok(caught.message.length > 0);
  assert.match(caught.message, /^[a-z"]/, 'messages are lowercase');
  if (typeof token === 'string' && token.length > 8) {
    for (const part of token.split('.').filter((p) => p.length > 8)) assert.ok(!caught.message.includes(part), 'message leaks the token');
  }
  return caught;
}

async function signRaw(key, payloadText, header = {}) {
  return new jose.CompactSign(new TextEncoder().encode(payloadText))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

describe('every error code', () => {
  test('ERR_JWT_INVALID: not a JWT, too large, claims not an object', async () => {
    rejects('', 'ERR_JWT_INVALID');
    rejects('abc', 'ERR_JWT_INVALID');
    rejects('a.b', 'ERR_JWT_INVALID');
    rejects('a.b.c.d', 'ERR_JWT_INVALID');
    rejects(await sign(ed, claims({ pad: 'x'.repeat(17 * 1024) })), 'ERR_JWT_INVALID');
    rejects('a'.repeat(16 * 1024) + '.b.c', 'ERR_JWT_INVALID');
    rejects(`${'ü'.repeat(9000)}.b.c`, 'ERR_JWT_INVALID'); // 9000 UTF-16 units, 18000 UTF-8 bytes
    rejects('x'.repeat(20 * 1024 * 1024), 'ERR_JWT_INVALID'); // never copied into wasm memory
    rejects(await signRaw(ed, '[1,2]'), 'ERR_JWT_INVALID');
    rejects(await signRaw(ed, '"text"'), 'ERR_JWT_INVALID');
    assert.throws(() => verifier.verify(42), { name: 'JwtError', code: 'ERR_JWT_INVALID' });
    assert.throws(() => verifier.verify(undefined), { name: 'JwtError', code: 'ERR_JWT_INVALID' });
  });

  test('ERR_JWS_INVALID: bad base64url, header not JSON, unknown crit', async () => {
    const good = await sign(ed);
    const [, payload, signature] = good.split('.');
    rejects(`${b64json({ alg: 'EdDSA', kid: 'ed-1' })}=.${payload}.${signature}`, 'ERR_JWS_INVALID');
    rejects(`e$J.${payload}.${signature}`, 'ERR_JWS_INVALID');
    rejects(`${jose.base64url.encode('not json')}.${payload}.${signature}`, 'ERR_JWS_INVALID');
    rejects(`${b64json([1])}.${payload}.${signature}`, 'ERR_JWS_INVALID');
    const crit = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed-1', crit: ['x-custom'], 'x-custom': 1 })
      .sign(ed.privateKey, { crit: { 'x-custom': true } });
    rejects(crit, 'ERR_JWS_INVALID');
  });

  test('ERR_JOSE_ALG_NOT_ALLOWED: none, alg outside the allow-list, alg not fitting the key', async () => {
    const payload = b64json(claims());
    rejects(`${b64json({ alg: 'none', kid: 'ed-1' })}.${payload}.`, 'ERR_JOSE_ALG_NOT_ALLOWED');
    const es = await keyPair('ES256', 'ed-1');
    rejects(await sign(es), 'ERR_JOSE_ALG_NOT_ALLOWED');
    const es2 = await keyPair('ES256', 'es-2');
    const restricted = await createVerifier({ ...policy, jwks: { keys: [ed.publicJwk, es2.publicJwk] }, algorithms: ['ES256'] });
    rejects(await sign(ed), 'ERR_JOSE_ALG_NOT_ALLOWED', { v: restricted });
    restricted.close();
  });

  test('ERR_JOSE_NOT_SUPPORTED: a key type this build does not support', async () => {
    const jwk = { kty: 'EC', crv: 'secp256k1', alg: 'ES256K', x: 'gBNmFDqfoW-ofG-sTb9OZw1Bgsm2f5ZzG8BGzPPdvBY', y: 'nFsnn-ihfHpOUyGZjpE9Vz_rM3pG0afTCqbCGUdxo2g' };
    await assert.rejects(createVerifier({ ...policy, jwks: jwk }), { name: 'JwtError', code: 'ERR_JOSE_NOT_SUPPORTED' });
  });

  test('ERR_JWKS_NO_MATCHING_KEY: unknown kid', async () => {
    const stranger = await keyPair('EdDSA', 'ed-2');
    rejects(await sign(stranger), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  test('ERR_JWK_INVALID: malformed or weak keys', async () => {
    await assert.rejects(createVerifier({ ...policy, jwks: { keys: [] } }), { code: 'ERR_JWK_INVALID' });
    await assert.rejects(createVerifier({ ...policy, jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '!!' }] } }), { code: 'ERR_JWK_INVALID' });
    await assert.rejects(createVerifier({ ...policy, jwks: { kty: 'oct', k: jose.base64url.encode(new Uint8Array(16)), alg: 'HS256' } }), { code: 'ERR_JWK_INVALID' });
    await assert.rejects(createVerifier({ ...policy, secret: new Uint8Array(31) }), { name: 'JwtError', code: 'ERR_JWK_INVALID' });
    await assert.rejects(createVerifier({ ...policy, secret: new Uint8Array(47).fill(1), algorithms: ['HS384'] }), { code: 'ERR_JWK_INVALID' });
    const { privateKey } = await jose.generateKeyPair('EdDSA', { extractable: true });
    const privateJwk = { ...(await jose.exportJWK(privateKey)), alg: 'EdDSA' };
    await assert.rejects(createVerifier({ ...policy, jwks: privateJwk }), { code: 'ERR_JWK_INVALID' });
  });

  test('ERR_JWS_SIGNATURE_VERIFICATION_FAILED: tampered payload or signature', async () => {
    const token = await sign(ed);
    const [header, , signature] = token.split('.');
    rejects(`${header}.${b64json(claims({ sub: 'admin' }))}.${signature}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('ERR_JWT_EXPIRED: exp passed; iat older than maxTokenAge', async () => {
    rejects(await sign(ed, claims({ exp: nowSeconds() - 1 })), 'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed' });
    const aged = await createVerifier({ ...policy, jwks: ed.publicJwk, maxTokenAge: 60 });
    rejects(await sign(ed, claims({ iat: nowSeconds() - 61 })), 'ERR_JWT_EXPIRED', { claim: 'iat', reason: 'check_failed', v: aged });
    aged.close();
  });

  test('ERR_JWT_CLAIM_VALIDATION_FAILED carries claim and reason', async () => {
    const cases = [
      [{ iss: 'https://evil.test' }, 'iss', 'check_failed'],
      [{ iss: undefined }, 'iss', 'missing'],
      [{ aud: 'other' }, 'aud', 'check_failed'],
      [{ aud: ['a', 'b'] }, 'aud', 'check_failed'],
      [{ nbf: nowSeconds() + 60 }, 'nbf', 'check_failed'],
      [{ iat: nowSeconds() + 60 }, 'iat', 'check_failed'],
      [{ exp: undefined }, 'exp', 'missing'],
      [{ exp: 'tomorrow' }, 'exp', 'invalid'],
      [{ sub: undefined }, 'sub', 'missing'],
    ];
    for (const [overrides, claim, reason] of cases) {
      rejects(await sign(ed, claims(overrides)), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim, reason });
    }
    // aud as an array containing the audience passes.
    assert.equal(verifier.verify(await sign(ed, claims({ aud: ['x', AUDIENCE] }))).sub, 'user-1');

    const typed = await createVerifier({ ...policy, jwks: ed.publicJwk, typ: 'at+jwt' });
    rejects(await sign(ed, claims(), { typ: 'JWT' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'typ', reason: 'check_failed', v: typed });
    assert.equal(typed.verify(await sign(ed, claims(), { typ: 'application/AT+JWT' })).sub, 'user-1');
    typed.close();
  });

  test('clockTolerance and issuer/audience lists', async () => {
    const tolerant = await createVerifier({
      issuer: ['https://other.test', ISSUER],
      audience: ['x', AUDIENCE],
      jwks: ed.publicJwk,
      clockTolerance: 30,
    });
    assert.ok(tolerant.verify(await sign(ed, claims({ exp: nowSeconds() - 10 }))));
    rejects(await sign(ed, claims({ exp: nowSeconds() - 60 })), 'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed', v: tolerant });
    tolerant.close();
  });

  test('ERR_JWT_REVOKED: a revoked jti, with claim', async () => {
    const token = await sign(ed, claims({ jti: 'gone' }));
    const feed = { generated_at: nowSeconds(), jti: [{ id: 'gone', exp: nowSeconds() + 300 }], sid: [], sub: [] };
    const server = await serve((req, res) => res.end(JSON.stringify(feed)));
    const revoking = await createVerifier({ ...policy, jwks: ed.publicJwk, revocationUri: `${server.url}/v1/revocations`, serviceKey: 'k' });
    try {
      rejects(token, 'ERR_JWT_REVOKED', { claim: 'jti', v: revoking });
    } finally {
      revoking.close();
      await server.close();
    }
  });
});

describe('options', () => {
  test('bad options are TypeErrors naming the option, never echoing values', async () => {
    const jwks = { keys: [ed.publicJwk] };
    const bad = [
      [undefined, /options object is required/],
      [{ audience: AUDIENCE, jwks }, /issuer is required/],
      [{ issuer: ISSUER, jwks }, /audience is required/],
      [{ ...policy, issuer: [] , jwks }, /issuer is required/],
      // No key source is discovery, which needs an http(s) issuer URL.
      [{ ...policy, issuer: 'not-a-url' }, /discovery needs an issuer that is an http\(s\) URL/],
      [{ ...policy, issuer: [ISSUER, 'https://b.test'] }, /discovery needs exactly one issuer/],
      [{ ...policy, jwks, secret: 'x'.repeat(32) }, /at most one key source/],
      [{ ...policy, jwks: [ed.publicJwk] }, /jwks must be/],
      [{ ...policy, jwksUri: 'ftp://x/jwks' }, /jwksUri must be an absolute http/],
      [{ ...policy, secret: 's3cr3t-value-that-must-not-leak!', algorithms: ['ES256'] }, /one HMAC algorithm/],
      [{ ...policy, secret: 's3cr3t-value-that-must-not-leak!', algorithms: ['HS256', 'HS512'] }, /one HMAC algorithm/],
      [{ ...policy, jwks, audiences: ['x'] }, /unknown option "audiences"/],
      [{ ...policy, jwks, cache: 'yes' }, /cache must be/],
      [{ ...policy, jwks, cache: { max: 0 } }, /cache\.max/],
      [{ ...policy, jwks, cache: { size: 10 } }, /cache: unknown option "size"/],
      [{ ...policy, jwks, hostCrypto: 'no' }, /hostCrypto must be a boolean/],
      [{ ...policy, jwks, clockTolerance: -1 }, /clockTolerance/],
      [{ ...policy, jwks, maxTokenAge: 1.5 }, /maxTokenAge/],
      [{ ...policy, jwks, requiredClaims: 'sub' }, /requiredClaims/],
      [{ ...policy, jwks, typ: 5 }, /typ/],
      [{ ...policy, jwks, revocationUri: 'http://127.0.0.1:1/feed' }, /feedKey/],
      [{ ...policy, jwks, serviceKey: 'k' }, /feedKey needs revocationUri/],
      [{ ...policy, jwks, feedKey: 'k' }, /feedKey needs revocationUri/],
      [{ ...policy, jwks, revocationUri: 'http://127.0.0.1:1/feed', feedKey: 'k', serviceKey: 'other' }, /feedKey and serviceKey/],
      [{ ...policy, jwks, jwksCooldownMs: 0 }, /jwksCooldownMs/],
      [{ ...policy, jwks, maxRevocationStalenessMs: 30000 }, /maxRevocationStalenessMs needs the revocation feed/],
      [{ ...policy, jwks, revocationUri: 'http://127.0.0.1:1/feed', serviceKey: 'k', revocationIntervalMs: 0 }, /revocationIntervalMs/],
      [{ ...policy, jwks, onError: 'log' }, /onError must be a function/],
    ];
    for (const [options, message] of bad) {
      await assert.rejects(createVerifier(options), (err) => {
        assert.ok(err instanceof TypeError, `${err}`);
        assert.match(err.message, message);
        assert.ok(!err.message.includes('s3cr3t'), 'secret echoed');
        return true;
      });
    }
  });

  test('algorithm names are checked, and the core rejects an allow-list the keys cannot meet', async () => {
    await assert.rejects(createVerifier({ ...policy, jwks: ed.publicJwk, algorithms: ['XS512'] }), { name: 'TypeError', message: /unsupported algorithm "XS512"/ });
    await assert.rejects(createVerifier({ ...policy, jwks: ed.publicJwk, algorithms: ['none'] }), TypeError);
    await assert.rejects(createVerifier({ ...policy, jwks: ed.publicJwk, algorithms: [] }), TypeError);
    await assert.rejects(createVerifier({ ...policy, jwks: ed.publicJwk, algorithms: ['ES256'] }), (err) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.equal(err.code, 'ERR_INVALID_OPTIONS');
      return true;
    });
  });

  test('clock is the injected time source for token checks', async () => {
    const fixed = (await sign(ed, claims({ iat: 1_000_000, exp: 1_000_300 })));
    const past = await createVerifier({ ...policy, jwks: ed.publicJwk, clock: () => 1_000_100_000 });
    assert.equal(past.verify(fixed).exp, 1_000_300);
    past.close();
    rejects(fixed, 'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed' });
  });

  test('close() is idempotent and verify() after it is a plain Error', async () => {
    const v = await createVerifier({ ...policy, jwks: ed.publicJwk });
    v.close();
    v.close();
    assert.equal(v.status().closed, true);
    assert.throws(() => v.verify('a.b.c'), (err) => !(err instanceof JwtError) && /closed/.test(err.message));
  });

  test('status() of local keys', async () => {
    const status = verifier.status();
    assert.deepEqual(status.keys.kids, ['ed-1']);
    assert.equal(status.keys.source, 'jwks');
    assert.equal(status.keys.count, 1);
    assert.equal(status.keys.stale, false);
    assert.equal(status.revocations, null);
  });
});

describe('decodeJwt reads claims without verifying', () => {
  test('returns the payload of any well-formed JWS, even unverifiable ones', async () => {
    const stranger = await keyPair('ES256', 'nobody');
    const payload = claims({ exp: nowSeconds() - 1000, extra: [1, { a: 'ü' }] });
    assert.deepEqual(decodeJwt(await sign(stranger, payload)), payload);
    assert.deepEqual(decodeJwt(`${b64json({ alg: 'none' })}.${b64json({ sub: 'x' })}.`), { sub: 'x' });
  });

  test('malformed input is ERR_JWT_INVALID', () => {
    for (const bad of ['', 'a.b', `x.${jose.base64url.encode('[1]')}.y`, `x.${jose.base64url.encode('nope')}.y`, 'x.a$b.y', 'x.a.y', 42, null, `x.${'A'.repeat(17000)}.y`]) {
      assert.throws(() => decodeJwt(bad), { name: 'JwtError', code: 'ERR_JWT_INVALID' }, String(bad).slice(0, 20));
    }
  });
});
