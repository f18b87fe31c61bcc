// Tokens signed by revocable-core (every algorithm) verify with revocable from Node AND with
// jose: the signer and the verifier agree with an independent implementation both ways
// (jose-signed tokens are algorithms.test.mjs). The tokens are made at test time by the
// core's own signer: `cargo run -p revocable-wasm --example core_signed_tokens`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import { createVerifier } from 'revocable';
import { ALL_ALGORITHMS } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let fixture;

before(() => {
  const run = spawnSync('cargo', ['run', '-q', '-p', 'revocable-wasm', '--example', 'core_signed_tokens'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `the core signer failed:\n${run.stderr}`);
  fixture = JSON.parse(run.stdout);
});

test('the core signed a token for every algorithm', () => {
  assert.deepEqual(fixture.tokens.map((t) => t.alg).sort(), [...ALL_ALGORITHMS].sort());
});

describe('core-signed tokens', () => {
  for (const alg of ALL_ALGORITHMS) {
    test(`${alg}: revocable and jose both verify it`, async () => {
      const { jwk, token, payload } = fixture.tokens.find((t) => t.alg === alg);
      const now = fixture.now;

      const verifier = await createVerifier({
        issuer: fixture.issuer,
        audience: fixture.audience,
        jwks: { keys: [jwk] },
        typ: 'at+jwt',
        clock: () => now * 1000,
      });
      assert.deepEqual(verifier.verify(token), payload);
      verifier.close();

      const key = await jose.importJWK(jwk, alg);
      const verified = await jose.jwtVerify(token, key, {
        issuer: fixture.issuer,
        audience: fixture.audience,
        algorithms: [alg],
        typ: 'at+jwt',
        currentDate: new Date(now * 1000),
      });
      assert.deepEqual(verified.payload, payload);
      assert.equal(verified.protectedHeader.alg, alg);
      assert.equal(verified.protectedHeader.kid, jwk.kid);
    });
  }
});
