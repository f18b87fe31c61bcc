// The verifiers under comparison, each set up the fastest way its documentation allows, on
// the SAME token and key:
//   - revocable: createVerifier() with the key as a JWK (keys are imported once, in wasm, and
//     for ES*/RS*/PS*/EdDSA as Node KeyObjects when host crypto is on);
//   - fast-jwt: createVerifier() (a cached verifier function; the key is turned into a
//     KeyObject once at creation), `cache: false` unless stated;
//   - jsonwebtoken: verify() with a pre-imported KeyObject (anything else is imported on every
//     call); it has no EdDSA;
//   - jose: jwtVerify() with a pre-imported CryptoKey (jose 6 works on WebCrypto keys; a
//     KeyObject is converted to one and cached, measured the same or slower) - asynchronous;
//   - node:crypto: the floor - only the raw signature check (crypto.verify / createHmac +
//     timingSafeEqual) on the same bytes, no decoding, no JSON, no claims.
import { createHmac, createPublicKey, createSecretKey, constants, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { deepStrictEqual } from 'node:assert/strict';
import { createVerifier as fastJwtVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import * as jose from 'jose';
import { AUDIENCE, ISSUER } from '../test/helpers.mjs';

const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/** Node's raw check of `token`'s signature with `jwk` (the floor). */
export function nodeFloor(alg, jwk, token) {
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot));
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const hash = HASH[alg.slice(2)];
  if (alg.startsWith('HS')) {
    const key = createSecretKey(Buffer.from(jwk.k, 'base64url'));
    return () => timingSafeEqual(createHmac(hash, key).update(input).digest(), signature);
  }
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (alg === 'EdDSA') return () => cryptoVerify(null, input, key, signature);
  if (alg.startsWith('ES')) {
    const options = { key, dsaEncoding: 'ieee-p1363' };
    return () => cryptoVerify(hash, input, options, signature);
  }
  if (alg.startsWith('PS')) {
    const options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 };
    return () => cryptoVerify(hash, input, options, signature);
  }
  return () => cryptoVerify(hash, input, key, signature);
}

/** fast-jwt's verifier function for `alg` and the public (or oct) JWK. */
export function fastJwt(alg, jwk, extra = {}) {
  const key = alg.startsWith('HS')
    ? Buffer.from(jwk.k, 'base64url')
    : createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  return fastJwtVerifier({ key, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: false, ...extra });
}

/** jsonwebtoken with a pre-imported KeyObject; null for EdDSA (not supported by it). */
export function jsonWebToken(alg, jwk) {
  if (alg === 'EdDSA') return null;
  const key = alg.startsWith('HS') ? createSecretKey(Buffer.from(jwk.k, 'base64url')) : createPublicKey({ key: jwk, format: 'jwk' });
  const options = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
  return (token) => jsonwebtoken.verify(token, key, options);
}

/** jose's jwtVerify with a pre-imported CryptoKey (asynchronous). */
export async function joseVerifier(alg, jwk) {
  const key = await jose.importJWK(jwk, alg);
  const options = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
  return async (token) => (await jose.jwtVerify(token, key, options)).payload;
}

/**
 * Builds every contender for `alg` on `token` and checks that each accepts it and returns
 * the same payload before anything is timed. `revocable` is a verifier from createVerifier.
 */
export async function contenders(alg, jwk, token, revocable) {
  const fj = fastJwt(alg, jwk);
  const jwt = jsonWebToken(alg, jwk);
  const jv = await joseVerifier(alg, jwk);
  const floor = nodeFloor(alg, jwk, token);
  const expected = fj(token);
  deepStrictEqual(revocable.verify(token), expected, `${alg}: revocable payload`);
  if (jwt) deepStrictEqual(jwt(token), expected, `${alg}: jsonwebtoken payload`);
  deepStrictEqual({ ...(await jv(token)) }, expected, `${alg}: jose payload`);
  if (floor() !== true) throw new Error(`${alg}: node:crypto does not verify the token`);
  const list = {
    revocable: { fn: () => revocable.verify(token) },
    'fast-jwt': { fn: () => fj(token) },
  };
  if (jwt) list.jsonwebtoken = { fn: () => jwt(token) };
  list.jose = { fn: () => jv(token), async: true };
  list['node:crypto (floor)'] = { fn: floor };
  return list;
}
