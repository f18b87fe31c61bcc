// Host crypto: the raw signature check of EdDSA, ES* and RS*/PS* keys done by the runtime's
// `node:crypto` (OpenSSL in Node), which is many times faster than the same arithmetic in
// wasm. The core (revocable-core's SignatureHost) still does everything else: it splits and
// parses the token, picks the algorithm from the allow-list and the key by kid, pre-checks
// the signature (exact length, ECDSA r/s range, RSA s < n, Ed25519 canonical S and no
// small-order R) and applies every claim and revocation rule. It calls verify() below with
// the index of the key it selected; -1 ("cannot") makes it use its own pure-Rust code, where
// the build has it. Node's default wasm (the node-host build) has no EC or RSA arithmetic:
// there the host is the only check for those keys, and -1 fails the signature.

import { JwtError } from './errors.js';

const SHA = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/** The crypto.verify arguments for one public JWK (as the core exported it), or null. */
function prepare(crypto, jwk) {
  if (jwk === null || typeof jwk !== 'object') return null;
  const { kty, crv, x, y, n, e, alg } = jwk;
  // Only the key members: the core already checked use, key_ops and alg.
  const members = kty === 'RSA' ? { kty, n, e } : kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x };
  let key;
  try {
    key = crypto.createPublicKey({ key: members, format: 'jwk' });
  } catch {
    return null;
  }
  const hash = SHA[alg.slice(2)];
  if (alg === 'EdDSA') return { hash: null, options: key };
  if (alg.startsWith('ES')) return { hash, options: { key, dsaEncoding: 'ieee-p1363' } };
  // RFC 7518 §3.5: the PSS salt is exactly as long as the hash (the pure-Rust path insists
  // on it too; Node's default would accept any salt length).
  if (alg.startsWith('PS')) {
    return { hash, options: { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } };
  }
  // PKCS#1 v1.5 is crypto.verify's default for RSA keys: the bare KeyObject skips the options
  // object Node would otherwise unpack on every call.
  if (alg.startsWith('RS')) return { hash, options: key };
  return null;
}

/**
 * `options` with its KeyObject replaced by the key's SPKI DER bytes, or null. Not for RSA-PSS:
 * workerd takes these options for PS* but does not check PSS (a valid PS256 signature came
 * back false), so PS* stays with the wasm code there (js/test/workerd.test.mjs).
 */
function asDer(options) {
  const key = options?.key;
  if (!key || typeof key.export !== 'function' || options.padding !== undefined) return null;
  try {
    return { ...options, key: key.export({ format: 'der', type: 'spki' }), format: 'der', type: 'spki' };
  } catch {
    return null;
  }
}

/**
 * The host object the wasm verifier calls, over the keys of `hostJwksJson` (the core's
 * `hostJwks()`: one public JWK or null per key, in key-set order). Returns null when there is
 * no `crypto` module (browsers) or no key it can take (HMAC only).
 *
 * `keysNeedHost`: the wasm has no EC or RSA arithmetic (the node-host build), so every EC and
 * RSA key must be one `crypto` takes. One it refuses (an EC point off its curve; the core
 * checked only sizes and ranges) fails the whole set with ERR_JWK_INVALID, as the portable
 * wasm's own import would: thrown here, before anything is installed.
 *
 * @param {typeof import('node:crypto') | undefined | null} crypto
 * @param {string} hostJwksJson
 * @param {{ keysNeedHost?: boolean }} [options]
 */
export function createHostCrypto(crypto, hostJwksJson, { keysNeedHost = false } = {}) {
  const usable = Boolean(crypto) && typeof crypto.verify === 'function' && typeof crypto.createPublicKey === 'function';
  if (!usable && !keysNeedHost) return null;
  const jwks = JSON.parse(hostJwksJson);
  const keys = jwks.map((jwk) => (usable ? prepare(crypto, jwk) : null));
  if (keysNeedHost) {
    const refused = jwks.findIndex((jwk, i) => (jwk?.kty === 'EC' || jwk?.kty === 'RSA') && !keys[i]);
    if (refused >= 0) {
      const why = jwks[refused].kty === 'EC' ? 'ec public key is not a point on its curve' : "rsa public key is not one the runtime's crypto takes";
      throw new JwtError(`invalid key: ${why}`, { code: 'ERR_JWK_INVALID' });
    }
  }
  if (!keys.some(Boolean)) return null;
  const verify = crypto.verify;
  return {
    // `message` and `signature` are views of wasm memory, used synchronously here.
    verify(index, message, signature) {
      const key = keys[index];
      if (!key) return -1;
      try {
        return verify(key.hash, message, key.options, signature) ? 1 : 0;
      } catch {
        // workerd's node:crypto takes a KeyObject alone but not inside an options object
        // (ES*, PS*): the same key as DER works there. Tried once per key.
        const der = key.retried ? null : asDer(key.options);
        key.retried = true;
        if (der) {
          key.options = der;
          try {
            return verify(key.hash, message, key.options, signature) ? 1 : 0;
          } catch {
            // fall through
          }
        }
        // A runtime whose crypto lacks this algorithm: the core decides from now on (the
        // node-host build fails EC and RSA signatures then).
        keys[index] = null;
        return -1;
      }
    },
  };
}
