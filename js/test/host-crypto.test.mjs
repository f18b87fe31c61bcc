// Host crypto (src/host-crypto.js over revocable-core's SignatureHost): Node's crypto.verify
// checks EdDSA/ES*/RS*/PS* signatures, the pure-Rust code in wasm is the fallback, and both
// paths accept exactly the same signatures, including the edge cases on which OpenSSL and the
// Rust crates could differ (the core pre-checks those on both paths). The shared vectors run
// on both paths in vectors.test.mjs, the algorithm suite in algorithms.test.mjs.
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { describe, test } from 'node:test';
import { createVerifier } from 'revocable';
import { Verifier as WasmVerifier } from '../dist/wasm/node.mjs';
import { createHostCrypto } from '../src/host-crypto.js';
import { ASYMMETRIC, AUDIENCE, ISSUER, claims, keyPair, nowSeconds, sign } from './helpers.mjs';

const policy = { issuer: ISSUER, audience: AUDIENCE };
const POLICY_JSON = JSON.stringify(policy);

// Group orders of the NIST curves.
const ORDER = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};
const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

const toBig = (bytes) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
function toBytes(value, length) {
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) return null;
  return Buffer.from(hex, 'hex');
}
const leToBig = (bytes) => toBig(Buffer.from(bytes).reverse());
const bigToLe = (value, length) => toBytes(value, length)?.reverse() ?? null;

function withSignature(token, signature) {
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot + 1)}${Buffer.from(signature).toString('base64url')}`;
}
const signatureOf = (token) => Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');

/** Outcome of verify() as { ok } or { ok: false, code }. */
function outcome(verifier, token) {
  try {
    verifier.verify(token);
    return { ok: true };
  } catch (err) {
    if (typeof err?.code !== 'string') throw err;
    return { ok: false, code: err.code };
  }
}

const FAIL = { ok: false, code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' };

/** Signature variants of a valid token for `alg`: [name, signature bytes | null, expected]. */
function variants(alg, token, jwk) {
  const sig = signatureOf(token);
  const list = [
    ['as signed', sig, { ok: true }],
    ['one bit flipped', Buffer.from(sig.map((b, i) => (i === sig.length - 1 ? b ^ 1 : b))), FAIL],
    ['one byte short', sig.subarray(0, sig.length - 1), FAIL],
    ['one zero byte appended', Buffer.concat([sig, Buffer.alloc(1)]), FAIL],
    ['one zero byte prepended (same integer)', Buffer.concat([Buffer.alloc(1), sig]), FAIL],
    ['empty', Buffer.alloc(0), FAIL],
  ];
  if (alg.startsWith('ES')) {
    const n = ORDER[alg];
    const size = sig.length / 2;
    const [r, s] = [toBig(sig.subarray(0, size)), toBig(sig.subarray(size))];
    const rs = (a, b) => {
      const ra = toBytes(a, size);
      const sb = toBytes(b, size);
      return ra && sb ? Buffer.concat([ra, sb]) : null;
    };
    // Neither side normalizes s: the high-s twin of a valid signature is valid on both.
    list.push(['high s (n - s)', rs(r, n - s), { ok: true }]);
    list.push(['r = 0', rs(0n, s), FAIL], ['s = 0', rs(r, 0n), FAIL]);
    list.push(['r + n', rs(r + n, s), FAIL], ['s + n', rs(r, s + n), FAIL], ['s = n', rs(r, n), FAIL]);
    list.push(['DER instead of raw r||s', derSignature(r, s), FAIL]);
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const n = toBig(Buffer.from(jwk.n, 'base64url'));
    const k = sig.length;
    // Second forms of the same integer mod n: OpenSSL refuses s >= n, so the core does too.
    list.push(['s + n', toBytes(toBig(sig) + n, k), FAIL], ['s = n', toBytes(n, k), FAIL]);
  }
  if (alg === 'EdDSA') {
    const s = leToBig(sig.subarray(32));
    const plusL = bigToLe(s + ED25519_ORDER, 32);
    list.push(['S + L (non-canonical S)', plusL && Buffer.concat([sig.subarray(0, 32), plusL]), FAIL]);
    list.push(['S = L', Buffer.concat([sig.subarray(0, 32), bigToLe(ED25519_ORDER, 32)]), FAIL]);
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    list.push(['R = identity (small order)', Buffer.concat([identity, sig.subarray(32)]), FAIL]);
  }
  return list.filter(([, bytes]) => bytes !== null);
}

function derSignature(r, s) {
  const int = (v) => {
    const hex = v.toString(16);
    let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.alloc(1), bytes]);
    return Buffer.concat([Buffer.from([2, bytes.length]), bytes]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return body.length < 128 ? Buffer.concat([Buffer.from([0x30, body.length]), body]) : null;
}

describe('host crypto and the wasm code accept exactly the same signatures', () => {
  for (const alg of ASYMMETRIC) {
    test(alg, async () => {
      const key = await keyPair(alg, 'k1');
      const token = await sign(key, claims(), { typ: 'at+jwt' });
      const host = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, cache: false });
      const wasm = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, cache: false, hostCrypto: false });
      assert.equal(host.status().hostCrypto, true);
      assert.equal(wasm.status().hostCrypto, false);
      for (const [name, signature, expected] of variants(alg, token, key.publicJwk)) {
        const forged = withSignature(token, signature);
        assert.deepEqual(outcome(host, forged), expected, `${alg} ${name}: host crypto`);
        assert.deepEqual(outcome(wasm, forged), expected, `${alg} ${name}: wasm`);
      }
      host.close();
      wasm.close();
    });
  }

  test('PS256: a salt of another length than the hash fails on both paths', async () => {
    const key = await keyPair('PS256', 'k1');
    const privateKey = nodeCrypto.KeyObject.from(key.privateKey);
    const header = Buffer.from(JSON.stringify({ alg: 'PS256', kid: 'k1' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims())).toString('base64url');
    const input = `${header}.${payload}`;
    const host = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, cache: false });
    const wasm = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, cache: false, hostCrypto: false });
    for (const [saltLength, expected] of [[32, { ok: true }], [0, FAIL], [20, FAIL], [64, FAIL]]) {
      const signature = nodeCrypto.sign('sha256', Buffer.from(input), {
        key: privateKey,
        padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      const token = `${input}.${signature.toString('base64url')}`;
      assert.deepEqual(outcome(host, token), expected, `salt ${saltLength}: host crypto`);
      assert.deepEqual(outcome(wasm, token), expected, `salt ${saltLength}: wasm`);
    }
    host.close();
    wasm.close();
  });
});

describe('what the host is asked, and what stays in the core', () => {
  /** A binding for `key` whose host records its calls and answers with `answer`. */
  function bindingWithHost(key, answer) {
    const binding = WasmVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
    const real = createHostCrypto(nodeCrypto, binding.hostJwks());
    const calls = [];
    binding.setHost({
      verify(index, message, signature) {
        calls.push({ index, message: Buffer.from(message).toString(), signatureLength: signature.length });
        return answer ? answer(index, message, signature) : real.verify(index, message, signature);
      },
    });
    return { binding, calls };
  }

  test('asymmetric keys go to the host with the key index, the signing input and the signature', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256', 'PS384']) {
      const other = await keyPair(alg, 'other');
      const key = await keyPair(alg, 'k1');
      const binding = WasmVerifier.fromJwks(JSON.stringify({ keys: [other.publicJwk, key.publicJwk] }), POLICY_JSON);
      const real = createHostCrypto(nodeCrypto, binding.hostJwks());
      const calls = [];
      binding.setHost({
        verify(index, message, signature) {
          calls.push({ index, message: Buffer.from(message).toString(), signatureLength: signature.length });
          return real.verify(index, message, signature);
        },
      });
      const token = await sign(key, claims());
      const now = nowSeconds();
      assert.equal(JSON.parse(binding.verify(token, now)).sub, 'user-1');
      assert.deepEqual(calls, [{ index: 1, message: token.slice(0, token.lastIndexOf('.')), signatureLength: signatureOf(token).length }]);
      binding.free();
    }
  });

  test('HMAC never goes to the host', async () => {
    const key = await keyPair('HS256', 'k1');
    const binding = WasmVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
    assert.deepEqual(JSON.parse(binding.hostJwks()), [null]);
    assert.equal(createHostCrypto(nodeCrypto, binding.hostJwks()), null);
    let calls = 0;
    binding.setHost({ verify: () => ++calls && 1 });
    const token = await sign(key, claims());
    assert.equal(JSON.parse(binding.verify(token, nowSeconds())).sub, 'user-1');
    assert.throws(() => binding.verify(withSignature(token, Buffer.alloc(32)), nowSeconds()), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    assert.equal(calls, 0);
    binding.free();
  });

  test('a host that cannot (-1) or throws leaves the decision to the wasm code', async () => {
    const key = await keyPair('ES256', 'k1');
    const token = await sign(key, claims());
    const bad = withSignature(token, Buffer.alloc(64, 7));
    for (const answer of [() => -1, () => { throw new Error('no such algorithm here'); }]) {
      const { binding, calls } = bindingWithHost(key, answer);
      assert.equal(JSON.parse(binding.verify(token, nowSeconds())).sub, 'user-1');
      assert.throws(() => binding.verify(bad, nowSeconds()), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
      assert.equal(calls.length, 2);
      binding.free();
    }
  });

  test('createHostCrypto marks a key whose verify throws and answers -1 from then on', () => {
    const fakeCrypto = {
      createPublicKey: (input) => nodeCrypto.createPublicKey(input),
      constants: nodeCrypto.constants,
      verify: () => {
        throw new Error('unsupported');
      },
    };
    const jwk = nodeCrypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const host = createHostCrypto(fakeCrypto, JSON.stringify([{ ...jwk, alg: 'EdDSA' }, null]));
    assert.equal(host.verify(0, new Uint8Array(1), new Uint8Array(64)), -1);
    assert.equal(host.verify(0, new Uint8Array(1), new Uint8Array(64)), -1);
    assert.equal(host.verify(1, new Uint8Array(1), new Uint8Array(64)), -1);
    assert.equal(createHostCrypto(undefined, '[]'), null);
  });

  test('a crypto that refuses a KeyObject inside an options object (workerd) gets ES* keys as DER; PS* goes to the wasm code', async () => {
    // workerd's node:crypto: a bare KeyObject is fine (EdDSA, RS*), { key: KeyObject, ... } throws.
    const seen = [];
    const workerdLike = {
      createPublicKey: (input) => nodeCrypto.createPublicKey(input),
      constants: nodeCrypto.constants,
      verify(hash, message, options, signature) {
        const form = options instanceof nodeCrypto.KeyObject ? 'KeyObject' : options.key instanceof nodeCrypto.KeyObject ? 'options+KeyObject' : `options+${options.format}`;
        seen.push(form);
        if (form === 'options+KeyObject') throw new TypeError('The "options.key" property must be of type string or ...');
        return nodeCrypto.verify(hash, message, options, signature);
      },
    };
    for (const [alg, expected] of [
      ['EdDSA', ['KeyObject', 'KeyObject']],
      ['RS256', ['KeyObject', 'KeyObject']],
      ['ES256', ['options+KeyObject', 'options+der', 'options+der']],
      ['ES384', ['options+KeyObject', 'options+der', 'options+der']],
      ['PS256', ['options+KeyObject']],
    ]) {
      seen.length = 0;
      const key = await keyPair(alg, 'k1');
      const binding = WasmVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
      const host = createHostCrypto(workerdLike, binding.hostJwks());
      binding.setHost(host);
      const token = await sign(key, claims());
      const bad = withSignature(token, Buffer.from(signatureOf(token)).map((b, i) => (i === 5 ? b ^ 1 : b)));
      assert.equal(JSON.parse(binding.verify(token, nowSeconds())).sub, 'user-1', alg);
      assert.throws(() => binding.verify(bad, nowSeconds()), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, alg);
      assert.deepEqual(seen, expected, alg);
      binding.free();
    }
  });

  test('the core pre-checks on both paths: even a host that accepts everything cannot pass them', async () => {
    for (const alg of ['EdDSA', 'ES256', 'PS256']) {
      const key = await keyPair(alg, 'k1');
      const token = await sign(key, claims());
      const { binding, calls } = bindingWithHost(key, () => 1);
      const rejected = variants(alg, token, key.publicJwk).filter(
        ([name, , expected]) => !expected.ok && name !== 'one bit flipped' && !name.startsWith('DER'),
      );
      assert.ok(rejected.length >= 5);
      for (const [name, signature] of rejected) {
        assert.throws(() => binding.verify(withSignature(token, signature), nowSeconds()), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, `${alg} ${name}`);
      }
      assert.equal(calls.length, 0, `${alg}: the host was asked about a pre-rejected signature`);
      // The arithmetic itself is the host's: a flipped bit passes a lying host (which is why
      // only the runtime's own crypto module is ever installed).
      binding.verify(withSignature(token, variants(alg, token, key.publicJwk)[1][1]), nowSeconds());
      assert.equal(calls.length, 1);
      binding.free();
    }
  });

  test('after a JWKS change the host is rebuilt for the new key order', async (t) => {
    const a = await keyPair('ES256', 'a');
    const b = await keyPair('ES256', 'b');
    let jwks = { keys: [a.publicJwk] };
    const { serve, skipAhead } = await import('./helpers.mjs');
    const server = await serve((req, res) => res.end(JSON.stringify(jwks)));
    const verifier = await createVerifier({ ...policy, jwksUri: `${server.url}/jwks`, jwksCooldownMs: 1000 });
    skipAhead(t, 1100);
    const tokenA = await sign(a, claims());
    const tokenB = await sign(b, claims());
    assert.equal(verifier.verify(tokenA).sub, 'user-1');
    // b first, a second: the host's indexes change with the key set.
    jwks = { keys: [b.publicJwk, a.publicJwk] };
    assert.equal((await verifier.verifyAsync(tokenB)).sub, 'user-1');
    assert.equal(verifier.status().hostCrypto, true);
    assert.equal(verifier.verify(tokenA).sub, 'user-1');
    assert.equal(outcome(verifier, withSignature(tokenA, signatureOf(tokenB))).code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    verifier.close();
    await server.close();
  });
});
