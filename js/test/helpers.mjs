// The package's test helpers: keys and tokens made by jose (an independent implementation).
// Claims, local HTTP servers and waiting come from the helpers every suite shares
// (tests/lib/common.mjs), re-exported here.
import * as jose from 'jose';
import { claims } from '../../tests/lib/common.mjs';

export { AUDIENCE, ISSUER, claims, nowSeconds, serve, sleep, waitFor } from '../../tests/lib/common.mjs';

export const ASYMMETRIC = ['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
export const HMAC = { HS256: 32, HS384: 48, HS512: 64 };
export const ALL_ALGORITHMS = [...ASYMMETRIC, ...Object.keys(HMAC)];

/** A key pair for `alg` made by jose, with the public JWK carrying alg, kid and use. */
export async function keyPair(alg, kid = `${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`) {
  if (alg in HMAC) {
    const secret = new Uint8Array(HMAC[alg]).map((_, i) => (i * 7 + alg.length) & 0xff);
    return { alg, kid, secret, privateKey: secret, publicJwk: { kty: 'oct', k: jose.base64url.encode(secret), alg, kid } };
  }
  const options = { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) };
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, options);
  const publicJwk = { ...(await jose.exportJWK(publicKey)), alg, kid, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

/** Signs `payload` with jose. `header` overrides the protected header (alg, kid, typ...). */
export async function sign(key, payload = claims(), header = {}) {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** Base64url of a JSON value (for hand-made malformed tokens). */
export const b64json = (value) => jose.base64url.encode(JSON.stringify(value));

const realNow = Date.now;
let clockOffset = 0;

/**
 * Moves Date.now `ms` further ahead until test `t` ends, so that a JWKS cooldown (at least
 * 1 s) or a max age passes without sleeping. Token times are minutes wide: unaffected.
 */
export function skipAhead(t, ms) {
  if (clockOffset === 0) {
    Date.now = () => realNow() + clockOffset;
    t.after(() => {
      clockOffset = 0;
      Date.now = realNow;
    });
  }
  clockOffset += ms;
}
