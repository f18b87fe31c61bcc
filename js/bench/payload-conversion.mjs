// Measures the two ways the binding can hand the verified payload to JS, on the same
// verifier and tokens: JSON text + JSON.parse in JS (what ships) vs a JS object built in
// wasm by serde-wasm-bindgen (the `measure-payload-object` cargo feature).
//   node scripts/build.mjs --features=measure-payload-object --out=/tmp/rv-measure
//   node bench/payload-conversion.mjs /tmp/rv-measure
import { deepStrictEqual } from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { AUDIENCE, ISSUER, claims, keyPair, sign } from '../test/helpers.mjs';
import { compare } from './measure.mjs';

const dist = resolve(process.argv[2] ?? '/tmp/rv-measure');
const { Verifier } = await import(pathToFileURL(join(dist, 'wasm', 'node.mjs')).href);
if (typeof Verifier.prototype.verifyObject !== 'function') {
  throw new Error(`${dist} was built without --features=measure-payload-object`);
}

const policy = JSON.stringify({ issuer: ISSUER, audience: AUDIENCE });
const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`claim_${i}`, i % 2 ? `value-${i}` : { n: i, list: [i, i + 1] }]));
const rows = [];
for (const alg of ['HS256', 'EdDSA']) {
  const key = await keyPair(alg);
  const v = alg === 'HS256' ? Verifier.fromSecret(key.secret, 'HS256', key.kid, policy) : Verifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), policy);
  for (const [size, extra] of [['small (9 claims)', {}], ['large (49 claims)', big]]) {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(key, claims({ exp: now + 3600, ...extra }));
    const viaJson = () => JSON.parse(v.verify(token, now));
    const viaSerde = () => v.verifyObject(token, now);
    // Same claims (serde_json's map sorts the keys; JSON.parse keeps the token's order).
    deepStrictEqual(viaSerde(), viaJson());
    const { json, serde } = compare({ json: viaJson, serde: viaSerde });
    rows.push({ alg, payload: size, 'JSON text + JSON.parse': Math.round(json), 'serde-wasm-bindgen': Math.round(serde), 'json/serde': +(json / serde).toFixed(2) });
  }
  v.free();
}
console.table(rows);
