// Node's two wasm builds (js/src/entry/node.js): verifiers with host crypto (the default) run
// the node-host wasm, which imports and prechecks EC and RSA keys but leaves their arithmetic
// to Node's crypto.verify; `hostCrypto: false` runs the portable wasm, every algorithm in Rust.
// What must hold: the node-host wasm never accepts an EC or RSA signature on its own; a key
// Node's crypto refuses fails the key set exactly as the portable wasm's import fails it, at
// creation and when a fetched JWKS would replace the keys; and both builds agree on every
// algorithm (algorithms.test.mjs and vectors.test.mjs run both).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { createVerifier } from 'revocable';
import { Verifier as NodeHostVerifier } from '../dist/wasm/node-host.mjs';
import { Verifier as PortableVerifier } from '../dist/wasm/node.mjs';
import { createHostCrypto } from '../src/host-crypto.js';
import { ASYMMETRIC, AUDIENCE, ISSUER, keyPair, serve, sign, skipAhead } from './helpers.mjs';

const policy = { issuer: ISSUER, audience: AUDIENCE };
const POLICY_JSON = JSON.stringify(policy);
const NOW = () => Date.now() / 1000;

/** verify() of a wasm binding as { ok } or { ok: false, code }. */
function outcome(binding, token) {
  try {
    binding.verify(token, NOW());
    return { ok: true };
  } catch (err) {
    if (typeof err?.code !== 'string') throw err;
    return { ok: false, code: err.code };
  }
}

const FAIL = { ok: false, code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' };

/** `jwk` with coordinate `name` replaced by `bytes`. */
const withCoordinate = (jwk, name, bytes) => ({ ...jwk, [name]: Buffer.from(bytes).toString('base64url') });

/** An EC public JWK whose point is off its curve (one bit of y flipped). */
function offCurve(jwk) {
  const y = Buffer.from(jwk.y, 'base64url');
  y[y.length - 1] ^= 1;
  return withCoordinate(jwk, 'y', y);
}

describe('the node-host wasm', () => {
  for (const alg of ASYMMETRIC.filter((a) => a !== 'EdDSA')) {
    test(`${alg}: no signature verifies without a host, or with a host that cannot answer`, async () => {
      const key = await keyPair(alg);
      const token = await sign(key);
      const binding = NodeHostVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
      try {
        assert.deepEqual(outcome(binding, token), FAIL, 'no host');
        let asked = 0;
        binding.setHost({
          verify() {
            asked += 1;
            return -1;
          },
        });
        assert.deepEqual(outcome(binding, token), FAIL, 'a host answering -1 (cannot)');
        assert.equal(asked, 1);
        binding.setHost(createHostCrypto(nodeCrypto, binding.hostJwks(), { keysNeedHost: true }));
        assert.deepEqual(outcome(binding, token), { ok: true }, "with Node's crypto");
      } finally {
        binding.free();
      }
      // The portable wasm decides on its own.
      const portable = PortableVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
      try {
        assert.deepEqual(outcome(portable, token), { ok: true });
      } finally {
        portable.free();
      }
    });
  }

  test('EdDSA and HMAC are checked in the wasm itself', async () => {
    for (const alg of ['EdDSA', 'HS256']) {
      const key = await keyPair(alg);
      const binding = NodeHostVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
      try {
        assert.deepEqual(outcome(binding, await sign(key)), { ok: true }, alg);
      } finally {
        binding.free();
      }
    }
  });

  test('the core refuses EC coordinates not below the field prime; whether a point is on its curve is the host\'s check', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512']) {
      const key = await keyPair(alg);
      const size = Buffer.from(key.publicJwk.x, 'base64url').length;
      // The field primes, big-endian (SEC 2).
      const prime = {
        ES256: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
        ES384: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
        ES512: 2n ** 521n - 1n,
      }[alg];
      const p = Buffer.from(prime.toString(16).padStart(size * 2, '0'), 'hex');
      for (const jwk of [withCoordinate(key.publicJwk, 'x', p), withCoordinate(key.publicJwk, 'y', p)]) {
        assert.throws(() => NodeHostVerifier.fromJwks(JSON.stringify({ keys: [jwk] }), POLICY_JSON), { code: 'ERR_JWK_INVALID' }, alg);
      }
      const binding = NodeHostVerifier.fromJwks(JSON.stringify({ keys: [offCurve(key.publicJwk)] }), POLICY_JSON);
      binding.free();
      assert.throws(() => createHostCrypto(nodeCrypto, NodeHostVerifier.hostJwksOf('jwks', JSON.stringify({ keys: [offCurve(key.publicJwk)] })), { keysNeedHost: true }), {
        code: 'ERR_JWK_INVALID',
      });
    }
  });

  test('hostJwksOf gives the keys a verifier of the same source would hold, in its order', async () => {
    const keys = [await keyPair('ES256'), await keyPair('HS256'), await keyPair('RS256'), await keyPair('EdDSA')];
    const jwks = JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
    const binding = NodeHostVerifier.fromJwks(jwks, POLICY_JSON);
    try {
      assert.equal(NodeHostVerifier.hostJwksOf('jwks', jwks), binding.hostJwks());
    } finally {
      binding.free();
    }
    // A fetched set: its secret (oct) key is skipped, as setJwks and fromPublicJwks skip it.
    const kids = JSON.parse(NodeHostVerifier.hostJwksOf('publicJwks', jwks)).map((jwk) => jwk.kid);
    assert.deepEqual(kids, [keys[0].kid, keys[2].kid, keys[3].kid]);
    assert.equal(JSON.parse(NodeHostVerifier.hostJwksOf('jwk', JSON.stringify(keys[0].publicJwk)))[0].kid, keys[0].kid);
    assert.throws(() => NodeHostVerifier.hostJwksOf('jwks', '{"keys":[]}'), { code: 'ERR_JWK_INVALID' });
    assert.throws(() => NodeHostVerifier.hostJwksOf('nonsense', jwks), { code: 'ERR_INVALID_OPTIONS' });
  });

  test('a host that accepts everything still cannot pass the core prechecks', async () => {
    const key = await keyPair('ES256');
    const token = await sign(key);
    const binding = NodeHostVerifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), POLICY_JSON);
    try {
      binding.setHost({ verify: () => 1 });
      const dot = token.lastIndexOf('.');
      // r = 0, and a signature one byte short: refused before the host is asked.
      const zeroR = Buffer.concat([Buffer.alloc(32), Buffer.alloc(32, 1)]).toString('base64url');
      assert.deepEqual(outcome(binding, `${token.slice(0, dot + 1)}${zeroR}`), FAIL);
      assert.deepEqual(outcome(binding, `${token.slice(0, dot + 1)}${Buffer.alloc(63, 1).toString('base64url')}`), FAIL);
    } finally {
      binding.free();
    }
  });
});

describe('keys Node refuses fail the key set as the portable wasm fails it', () => {
  for (const alg of ['ES256', 'ES384', 'ES512']) {
    test(`${alg}: a point off its curve, or a coordinate not below the field prime`, async () => {
      const key = await keyPair(alg);
      const size = Buffer.from(key.publicJwk.x, 'base64url').length;
      const allOnes = Buffer.alloc(size, 0xff);
      if (alg === 'ES512') allOnes[0] = 0x01; // 2^521 - 1: P-521's prime itself
      for (const jwk of [offCurve(key.publicJwk), withCoordinate(key.publicJwk, 'x', allOnes), withCoordinate(key.publicJwk, 'y', allOnes)]) {
        const errors = [];
        for (const hostCrypto of [true, false]) {
          await assert.rejects(createVerifier({ ...policy, hostCrypto, jwks: { keys: [jwk] } }), (err) => {
            errors.push({ name: err.name, code: err.code, message: err.message });
            return true;
          });
        }
        assert.equal(errors[0].code, 'ERR_JWK_INVALID');
        assert.deepEqual(errors[0], errors[1], 'the same error from both builds');
      }
      // The key is refused before the policy is checked against the keys, in both builds.
      for (const hostCrypto of [true, false]) {
        await assert.rejects(createVerifier({ ...policy, hostCrypto, algorithms: ['EdDSA'], jwks: { keys: [offCurve(key.publicJwk)] } }), {
          name: 'JwtError',
          code: 'ERR_JWK_INVALID',
        });
      }
      // In a set with a good key, the bad one still fails the whole set.
      await assert.rejects(createVerifier({ ...policy, jwks: { keys: [(await keyPair('EdDSA')).publicJwk, offCurve(key.publicJwk)] } }), {
        code: 'ERR_JWK_INVALID',
      });
    });
  }

  test('a fetched JWKS with such a key is refused, and the current keys stay', async (t) => {
    const good = await keyPair('ES256', 'good');
    const next = await keyPair('ES256', 'next');
    let jwks = { keys: [good.publicJwk] };
    const server = await serve((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
    t.after(() => server.close());
    const errors = [];
    const verifier = await createVerifier({ ...policy, jwksUri: `${server.url}/jwks`, jwksCooldownMs: 1000, onError: (err) => errors.push(err) });
    t.after(() => verifier.close());
    assert.equal(verifier.verify(await sign(good)).sub, 'user-1');

    jwks = { keys: [good.publicJwk, offCurve(next.publicJwk)] };
    skipAhead(t, 1100);
    await assert.rejects(verifier.verifyAsync(await sign(next)), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'ERR_REMOTE_INVALID');
    assert.equal(errors[0].cause?.code, 'ERR_JWK_INVALID');
    assert.deepEqual(verifier.status().keys.kids, ['good']);
    assert.equal(verifier.verify(await sign(good)).sub, 'user-1', 'the current key still verifies, through the host');

    jwks = { keys: [good.publicJwk, next.publicJwk] };
    skipAhead(t, 1100);
    assert.equal((await verifier.verifyAsync(await sign(next))).sub, 'user-1');
    assert.equal(verifier.verify(await sign(good)).sub, 'user-1');
  });

  test('a first fetch with such a key rejects createVerifier like any invalid JWKS', async (t) => {
    const key = await keyPair('ES384');
    const server = await serve((req, res) => res.writeHead(200).end(JSON.stringify({ keys: [offCurve(key.publicJwk)] })));
    t.after(() => server.close());
    for (const hostCrypto of [true, false]) {
      await assert.rejects(createVerifier({ ...policy, hostCrypto, jwksUri: `${server.url}/jwks` }), (err) => {
        assert.equal(err.name, 'RemoteSourceError');
        assert.equal(err.code, 'ERR_REMOTE_INVALID');
        assert.equal(err.cause?.code, 'ERR_JWK_INVALID');
        return true;
      });
    }
  });
});

test("by default Node's crypto is the only check of EC and RSA signatures; hostCrypto: false runs the portable wasm", async (t) => {
  // A crypto.verify that throws makes the host answer "cannot" (-1): the node-host wasm then
  // fails the signature, where a wasm with EC/RSA arithmetic would decide itself.
  const cjsCrypto = createRequire(import.meta.url)('node:crypto');
  const original = cjsCrypto.verify;
  t.after(() => {
    cjsCrypto.verify = original;
    syncBuiltinESMExports();
  });
  const keys = { ES256: await keyPair('ES256'), PS256: await keyPair('PS256'), EdDSA: await keyPair('EdDSA') };
  const tokens = Object.fromEntries(await Promise.all(Object.entries(keys).map(async ([alg, key]) => [alg, await sign(key)])));
  cjsCrypto.verify = () => {
    throw new Error('no crypto.verify in this test');
  };
  syncBuiltinESMExports();
  for (const [alg, key] of Object.entries(keys)) {
    const hosted = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] } });
    const portable = await createVerifier({ ...policy, hostCrypto: false, jwks: { keys: [key.publicJwk] } });
    try {
      if (alg === 'EdDSA') {
        assert.equal(hosted.verify(tokens[alg]).sub, 'user-1', 'Ed25519 is in the node-host wasm too');
      } else {
        assert.throws(() => hosted.verify(tokens[alg]), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, alg);
      }
      assert.equal(portable.verify(tokens[alg]).sub, 'user-1', alg);
    } finally {
      hosted.close();
      portable.close();
    }
  }
});

test('the CommonJS entry loads the node-host glue, and the portable glue only for hostCrypto: false', async () => {
  const key = await keyPair('ES384');
  const entry = fileURLToPath(new URL('../dist/cjs/index.cjs', import.meta.url));
  const script = `
    const { createVerifier } = require(${JSON.stringify(entry)});
    const glue = () => Object.keys(require.cache).filter((f) => /dist[\\/]wasm[\\/]/.test(f)).map((f) => f.replace(/.*[\\/]/, '')).sort();
    const options = { issuer: ${JSON.stringify(ISSUER)}, audience: ${JSON.stringify(AUDIENCE)}, jwks: { keys: [${JSON.stringify(key.publicJwk)}] } };
    (async () => {
      const loaded = [glue()];
      (await createVerifier(options)).close();
      loaded.push(glue());
      (await createVerifier({ ...options, hostCrypto: false })).close();
      loaded.push(glue());
      process.stdout.write(JSON.stringify(loaded));
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  assert.deepEqual(loaded, [['node-host.cjs'], ['node-host.cjs'], ['node-host.cjs', 'node.cjs']]);
});

test('createVerifier picks the build by hostCrypto, and both report it', async () => {
  const key = await keyPair('RS256');
  const token = await sign(key);
  for (const hostCrypto of [undefined, true, false]) {
    const verifier = await createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, ...(hostCrypto === undefined ? {} : { hostCrypto }) });
    try {
      assert.equal(verifier.status().hostCrypto, hostCrypto !== false);
      assert.equal(verifier.verify(token).sub, 'user-1');
    } finally {
      verifier.close();
    }
  }
  await assert.rejects(createVerifier({ ...policy, jwks: { keys: [key.publicJwk] }, hostCrypto: 'no' }), { name: 'TypeError', message: /hostCrypto must be a boolean/ });
});
