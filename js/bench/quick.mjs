// Quick verify throughput of revocable next to fast-jwt, in one process, on the same tokens:
// HS256 and EdDSA, uncached. The full benchmark (jsonwebtoken, jose, every algorithm, the
// cache, sizes) is bench/run.mjs: make bench.  Usage: node bench/quick.mjs
import { createVerifier as fastJwtVerifier } from 'fast-jwt';
import * as jose from 'jose';
import { createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, claims, keyPair, sign } from '../test/helpers.mjs';
import { compare } from './measure.mjs';

const rows = [];
for (const alg of ['HS256', 'EdDSA']) {
  const key = await keyPair(alg, 'k1');
  const payload = claims({ exp: Math.floor(Date.now() / 1000) + 3600 });
  const token = await sign(key, payload, { kid: alg === 'HS256' ? undefined : 'k1', typ: 'at+jwt' });
  const rv = await createVerifier(
    alg === 'HS256'
      ? { issuer: ISSUER, audience: AUDIENCE, secret: key.secret, algorithms: ['HS256'], cache: false }
      : { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] }, cache: false },
  );
  const fastKey = alg === 'HS256' ? Buffer.from(key.secret) : await jose.exportSPKI(await jose.importJWK(key.publicJwk, 'EdDSA'));
  const fj = fastJwtVerifier({ key: fastKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: false });
  // Both must accept the token and return the same payload before they are timed.
  if (JSON.stringify(rv.verify(token)) !== JSON.stringify(fj(token))) throw new Error(`${alg}: payloads differ`);
  const { revocable, fast } = compare({ revocable: () => rv.verify(token), fast: () => fj(token) });
  rows.push({ alg, revocable: Math.round(revocable), 'fast-jwt': Math.round(fast), ratio: +(revocable / fast).toFixed(2) });
  rv.close();
}
console.table(rows);
