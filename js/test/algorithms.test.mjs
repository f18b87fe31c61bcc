// Every algorithm: tokens signed by jose (an independent implementation) verify with
// revocable, through a JWKS, a single JWK and (HMAC) a raw secret; a tampered signature fails.
// On both signature paths: host crypto (Node's crypto.verify) and the pure-Rust code in wasm.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createVerifier } from 'revocable';
import { ALL_ALGORITHMS, AUDIENCE, HMAC, ISSUER, claims, keyPair, sign } from './helpers.mjs';

const policy = { issuer: ISSUER, audience: AUDIENCE };

function tamper(token) {
  const [header, payload, signature] = token.split('.');
  const flipped = signature[0] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${flipped}${signature.slice(1)}`;
}

for (const hostCrypto of [true, false]) describe(`jose-signed tokens verify with revocable (${hostCrypto ? 'host crypto' : 'wasm only'})`, () => {
  const policy = { issuer: ISSUER, audience: AUDIENCE, hostCrypto };
  for (const alg of ALL_ALGORITHMS) {
    test(alg, async () => {
      const key = await keyPair(alg);
      const other = await keyPair(alg, `${key.kid}-other`);
      const payload = claims({ role: 'admin', nested: { a: [1, 2, 3] }, unicode: 'żółw ✓' });
      const token = await sign(key, payload, { typ: 'at+jwt' });

      // A JWKS with a second key of the same algorithm: selection by kid.
      const viaJwks = await createVerifier({ ...policy, jwks: { keys: [other.publicJwk, key.publicJwk] }, typ: 'at+jwt' });
      assert.deepEqual(viaJwks.verify(token), payload);
      assert.deepEqual(await viaJwks.verifyAsync(token), payload);
      assert.throws(() => viaJwks.verify(tamper(token)), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
      assert.deepEqual(viaJwks.status().keys.algorithms, [alg, alg]);
      assert.equal(viaJwks.status().hostCrypto, hostCrypto);
      viaJwks.close();

      const viaJwk = await createVerifier({ ...policy, jwks: key.publicJwk, algorithms: [alg] });
      assert.deepEqual(viaJwk.verify(token), payload);
      viaJwk.close();

      if (alg in HMAC) {
        // A raw secret has no kid, so the token carries none (a kid would find no key).
        const noKid = await sign({ ...key, kid: undefined }, payload);
        const viaSecret = await createVerifier({ ...policy, secret: key.secret, algorithms: [alg] });
        assert.deepEqual(viaSecret.verify(noKid), payload);
        assert.throws(() => viaSecret.verify(tamper(noKid)), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
        assert.throws(() => viaSecret.verify(token), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
        viaSecret.close();
      }
    });
  }
});

test('a string secret is its UTF-8 bytes', async () => {
  const secret = 'correct horse battery staple, 32+ bytes long';
  const key = { alg: 'HS256', kid: undefined, privateKey: new TextEncoder().encode(secret) };
  const token = await sign(key);
  const verifier = await createVerifier({ ...policy, secret });
  assert.equal(verifier.verify(token).sub, 'user-1');
  verifier.close();
});

test('the algorithm comes from the key, never the token header (HS256 with a public key as secret)', async () => {
  const ed = await keyPair('EdDSA', 'k1');
  // The classic confusion attack: HMAC "signed" with the public key bytes, header alg HS256.
  const forged = await sign(
    { alg: 'HS256', kid: 'k1', privateKey: new TextEncoder().encode(JSON.stringify(ed.publicJwk)) },
    claims(),
  );
  const forgedRaw = await sign({ alg: 'HS256', kid: 'k1', privateKey: Buffer.from(ed.publicJwk.x, 'base64url') }, claims());
  for (const algorithms of [undefined, ['EdDSA', 'HS256']]) {
    const verifier = await createVerifier({ ...policy, jwks: { keys: [ed.publicJwk] }, algorithms });
    assert.throws(() => verifier.verify(forged), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
    assert.throws(() => verifier.verify(forgedRaw), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
    verifier.close();
  }
});
