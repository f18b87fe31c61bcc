// The issuer's EC and RSA signing keys in workerd's WebCrypto (src/webcrypto.rs): the worker's
// wasm carries no P-384, P-521 or RSA arithmetic, revocable-core's `host-keys` build leaves it
// here. Keys are imported as non-extractable CryptoKeys; nothing here logs or returns key
// material.

// JWS algorithm -> WebCrypto import and sign/verify parameters (RFC 7518 §3.3-3.5). ECDSA
// signatures are IEEE P1363 `r || s`, the JWS form; RSA-PSS salts are exactly the hash length.
const PARAMS = {
  ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  ES384: [{ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
  ES512: [{ name: 'ECDSA', namedCurve: 'P-521' }, { name: 'ECDSA', hash: 'SHA-512' }],
  RS256: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' }],
  RS384: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }, { name: 'RSASSA-PKCS1-v1_5' }],
  RS512: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, { name: 'RSASSA-PKCS1-v1_5' }],
  PS256: [{ name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
  PS384: [{ name: 'RSA-PSS', hash: 'SHA-384' }, { name: 'RSA-PSS', saltLength: 48 }],
  PS512: [{ name: 'RSA-PSS', hash: 'SHA-512' }, { name: 'RSA-PSS', saltLength: 64 }],
};

const PUBLIC_MEMBERS = { EC: ['kty', 'crv', 'x', 'y'], RSA: ['kty', 'n', 'e'] };
const PRIVATE_MEMBERS = { EC: ['d'], RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi'] };

// Signed and verified once at import: WebCrypto checks an EC private key against its public
// point, but not an RSA JWK's `n` against its primes.
const PROBE = new TextEncoder().encode('revocable-issuer: signing key check');

function pick(jwk, names) {
  const out = {};
  for (const name of names) {
    if (typeof jwk[name] !== 'string') throw new Error(`jwk member ${name} missing`);
    out[name] = jwk[name];
  }
  return out;
}

/**
 * Imports one signing key for `alg` from its private JWK (as the core wrote it: the public
 * members with the private ones), as a signing key and, from its public members alone, a
 * verification key. Rejects when WebCrypto refuses either or they are not one key pair.
 */
export async function importSigningKey(alg, privateJwkJson) {
  const params = PARAMS[alg];
  if (!params) throw new Error('algorithm not signed through WebCrypto');
  const [importParams, signParams] = params;
  const jwk = JSON.parse(privateJwkJson);
  const publicNames = PUBLIC_MEMBERS[jwk.kty];
  if (!publicNames) throw new Error('key type not signed through WebCrypto');
  const signKey = await crypto.subtle.importKey(
    'jwk',
    pick(jwk, [...publicNames, ...PRIVATE_MEMBERS[jwk.kty]]),
    importParams,
    false,
    ['sign'],
  );
  const verifyKey = await crypto.subtle.importKey('jwk', pick(jwk, publicNames), importParams, false, ['verify']);
  const probe = await crypto.subtle.sign(signParams, signKey, PROBE);
  if (!(await crypto.subtle.verify(signParams, verifyKey, probe, PROBE))) {
    throw new Error('private and public key do not match');
  }
  return { signParams, signKey, verifyKey };
}

/** The signature of `message` (bytes) with a key from importSigningKey. */
export async function sign(key, message) {
  return new Uint8Array(await crypto.subtle.sign(key.signParams, key.signKey, message));
}

/** Whether `signature` over `message` verifies with a key from importSigningKey. */
export async function verify(key, message, signature) {
  return crypto.subtle.verify(key.signParams, key.verifyKey, signature, message);
}
