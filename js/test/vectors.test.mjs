// The shared test vectors (tests/vectors/*.json, the same files the Rust core tests read):
// every vector through revocable from Node on both signature paths (host crypto, i.e. Node's
// crypto.verify over the node-host wasm, which has no EC or RSA arithmetic of its own; and the
// portable wasm's pure-Rust code), each verified twice (the second time from the
// verified-token cache), and a cross-check of each signature with jose.
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as jose from 'jose';
import { createVerifier } from 'revocable';
import { serve } from './helpers.mjs';
// The bindings themselves, for vectors whose policy uses core fields the JS options do not
// expose: the node-host build with host crypto, the portable build without (as createVerifier).
import { Verifier as NodeHostVerifier } from '../dist/wasm/node-host.mjs';
import { Verifier as WasmVerifier } from '../dist/wasm/node.mjs';
import { createHostCrypto } from '../src/host-crypto.js';

const DIR = new URL('../../tests/vectors/', import.meta.url);
const JS_POLICY_FIELDS = new Set(['issuer', 'audience', 'algorithms', 'clockTolerance', 'maxTokenAge', 'requiredClaims', 'typ']);
// Codes reached only after the signature verified.
const AFTER_SIGNATURE = new Set(['ERR_JWT_EXPIRED', 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'ERR_JWT_REVOKED']);
// Vectors on which jose (WebCrypto / OpenSSL) is knowingly more lenient than revocable, so its
// opinion is no cross-check: a key owner's Ed25519 signature with a small-order R passes
// OpenSSL's cofactorless check; revocable rejects it on both of its paths (src/host.rs).
const JOSE_LENIENT = new Set(['EdDSA signature with a small-order R (identity point)']);

const files = readdirSync(DIR).filter((name) => name.endsWith('.json')).sort();

test('the shared vectors exist', () => {
  assert.ok(files.length > 0, `no vectors in ${DIR.pathname}`);
});

/**
 * Runs one vector with host crypto on or off; returns { ok, payload } or { ok: false, code,
 * claim, reason }. The token is verified twice and both outcomes must be the same.
 */
async function run(vector, hostCrypto) {
  const once = (fn) => {
    try {
      return { ok: true, payload: fn() };
    } catch (err) {
      if (typeof err?.code !== 'string') throw err;
      return { ok: false, code: err.code, claim: err.claim, reason: err.reason };
    }
  };
  const outcome = (fn) => {
    const first = once(fn);
    assert.deepEqual(once(fn), first, 'the second verification (cached) differs from the first');
    return first;
  };
  const publicApi = Object.keys(vector.policy ?? {}).every((name) => JS_POLICY_FIELDS.has(name));
  if (publicApi) {
    // A revocation feed is served the way the issuer serves it, and polled at creation.
    const feed = vector.revocations && (await serve((req, res) => res.end(JSON.stringify(vector.revocations))));
    const revocation = feed ? { revocationUri: feed.url, serviceKey: 'test' } : {};
    let verifier;
    try {
      verifier = await createVerifier({ ...vector.policy, ...revocation, jwks: vector.jwks, clock: () => vector.now * 1000, hostCrypto });
    } catch (err) {
      if (typeof err?.code !== 'string') throw err;
      return { ok: false, code: err.code, claim: err.claim, reason: err.reason };
    } finally {
      await feed?.close();
    }
    try {
      return outcome(() => verifier.verify(vector.token));
    } finally {
      verifier.close();
    }
  }
  return outcome(() => {
    const Binding = hostCrypto ? NodeHostVerifier : WasmVerifier;
    const binding = Binding.fromJwks(JSON.stringify(vector.jwks), JSON.stringify(vector.policy));
    try {
      if (hostCrypto) binding.setHost(createHostCrypto(nodeCrypto, binding.hostJwks(), { keysNeedHost: true }) ?? undefined);
      if (vector.revocations) binding.setRevocations(JSON.stringify(vector.revocations), vector.now);
      return JSON.parse(binding.verify(vector.token, vector.now));
    } finally {
      binding.free();
    }
  });
}

/** jose's opinion of the signature alone (undefined when not applicable). */
async function joseSignatureValid(vector) {
  let header;
  try {
    header = jose.decodeProtectedHeader(vector.token);
  } catch {
    return undefined;
  }
  if (header.crit || header.alg !== vector.alg) return undefined;
  const candidates = vector.jwks.keys.filter((k) => (header.kid ? k.kid === header.kid : !k.alg || k.alg === header.alg));
  if (candidates.length !== 1) return undefined;
  try {
    const key = await jose.importJWK({ ...candidates[0], alg: candidates[0].alg ?? header.alg }, header.alg);
    await jose.compactVerify(vector.token, key, { algorithms: [header.alg] });
    return true;
  } catch (err) {
    if (err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return false;
    return undefined;
  }
}

for (const file of files) {
  const { vectors } = JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
  describe(file, () => {
    for (const vector of vectors) {
      test(vector.name, async () => {
        const got = await run(vector, true);
        assert.deepEqual(await run(vector, false), got, 'host crypto and the wasm code disagree');
        const want = vector.expect;
        assert.equal(got.ok, want.ok, `ok (got ${got.code ?? 'a payload'})`);
        if (want.ok) {
          if (want.payload !== undefined) assert.deepEqual(got.payload, want.payload);
        } else {
          assert.equal(got.code, want.code);
          if ('claim' in want) assert.equal(got.claim, want.claim);
          if ('reason' in want) assert.equal(got.reason, want.reason);
        }

        // Independent cross-check: jose agrees on the signature wherever the outcome implies it.
        const signatureValid = want.ok || AFTER_SIGNATURE.has(want.code);
        const signatureInvalid = want.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
        if ((signatureValid || signatureInvalid) && !JOSE_LENIENT.has(vector.name)) {
          const jose = await joseSignatureValid(vector);
          if (jose !== undefined) assert.equal(jose, signatureValid, 'jose disagrees on the signature');
        }
      });
    }
  });
}
