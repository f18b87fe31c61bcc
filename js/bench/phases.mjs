// The per-phase profile of one verify (docs/benchmarks.md "Where the time goes"): the same
// token verified by a build with the `measure-phases` feature, stopped after each phase
// (`Verifier.verifyPhases(token, now, steps)`, revocable-core's `Verifier::verify_phases`), so
// that the difference between two stops is the cost of the phase between them. Next to it, in
// the same interleaved rounds: a bare call into wasm, a call that only copies the token in,
// the runtime's own signature check (the floor), JSON.parse of the payload, and the package's
// verify() (cache off).
//
//   node scripts/build.mjs --features=measure-phases --out=../target/bench-wasm-phases
//   node bench/phases.mjs ../target/bench-wasm-phases [--only=HS256,EdDSA] [--write=FILE]
//   (--write: replaces the block between the phases:begin/end markers of FILE, e.g.
//   docs/benchmarks.md; `make bench-phases` does both steps)
//   BENCH_ROUND_MS / BENCH_ROUNDS as in measure.mjs (defaults here: 200 ms, 9 rounds)
import * as crypto from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

process.env.BENCH_ROUND_MS ??= '200';
const { compare } = await import('./measure.mjs');
const { createVerifier } = await import('revocable');
const { createHostCrypto } = await import('../src/host-crypto.js');
const { AUDIENCE, ISSUER, claims, keyPair, sign } = await import('../test/helpers.mjs');
const { nodeFloor } = await import('./contenders.mjs');

const args = new Map(
  process.argv.slice(2).filter((a) => a.startsWith('--')).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : true];
  }),
);
const dist = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '../target/bench-wasm-phases');
const { Verifier } = await import(pathToFileURL(join(dist, 'wasm', 'node.mjs')).href);
if (typeof Verifier.prototype.verifyPhases !== 'function') {
  throw new Error(`${dist} was built without --features=measure-phases`);
}
const ALGS = args.has('only') ? String(args.get('only')).split(',') : ['HS256', 'EdDSA', 'ES256', 'RS256'];

/** The phases, in order: [label, the stop that ends it]. */
const PHASES = [
  ['call into wasm, token copied in (UTF-16 -> UTF-8, malloc)', 'pass'],
  ['size, split, base64url of the 3 segments', 1],
  ['header JSON', 2],
  ['alg allow-list, key lookup by kid', 3],
  ['signature (shared prechecks + HMAC in wasm, or the host call)', 4],
  ['claims JSON (UTF-8 check, parse into registered claims)', 5],
  ['claims policy, revocation snapshot', 6],
  ['payload text back to JS (copy out, UTF-8 -> UTF-16, free)', 7],
  ['JSON.parse of the payload (the object the caller gets)', 'parse'],
  ['package verify(): options, clock, checks around the call', 'verify'],
];

const us = (ops) => 1e6 / ops;
const results = [];
for (const alg of ALGS) {
  const key = await keyPair(alg, 'k1');
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(key, claims({ iat: now, exp: now + 3600 }), { typ: 'at+jwt' });
  const policy = JSON.stringify({ issuer: ISSUER, audience: AUDIENCE });
  const v = Verifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), policy);
  const host = createHostCrypto(crypto, v.hostJwks());
  if (host) v.setHost(host);
  const pkg = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] }, cache: false });
  const floor = nodeFloor(alg, key.publicJwk, token);
  const text = v.verifyPhases(token, now, 7);
  if (typeof text !== 'string' || JSON.stringify(JSON.parse(text)) !== JSON.stringify(pkg.verify(token))) {
    throw new Error(`${alg}: verifyPhases(7) does not return the payload`);
  }
  for (let steps = 0; steps < 7; steps++) {
    if (v.verifyPhases(token, now, steps) !== undefined) throw new Error(`${alg}: stop ${steps} returned a payload`);
  }
  const fns = {
    floor: () => floor(),
    call: () => v.revocationCount(),
    pass: () => Verifier.passToken(token),
    hash: () => Verifier.hashOnly(token),
  };
  for (let steps = 1; steps <= 7; steps++) fns[steps] = () => v.verifyPhases(token, now, steps);
  fns.parse = () => JSON.parse(v.verifyPhases(token, now, 7));
  fns.verify = () => pkg.verify(token);
  fns.parseAlone = () => JSON.parse(text);
  process.stderr.write(`phases: ${alg}, token ${token.length} chars\n`);
  const rates = compare(fns);
  pkg.close();
  v.free();
  const t = Object.fromEntries(Object.entries(rates).map(([name, ops]) => [name, us(ops)]));
  let previous = 0;
  const rows = PHASES.map(([label, stop]) => {
    const at = t[stop];
    const row = { label, us: at - previous, cumulative: at };
    previous = at;
    return row;
  });
  results.push({ alg, tokenLength: token.length, rows, floor: t.floor, call: t.call, hash: t.hash, parseAlone: t.parseAlone, total: t.verify });
}

const f = (x) => (x < 0 ? '~0' : x.toFixed(2));
const lines = [];
lines.push(`| phase | ${results.map((r) => `${r.alg} (µs)`).join(' | ')} |`);
lines.push(`|---|${results.map(() => '---:').join('|')}|`);
for (let i = 0; i < PHASES.length; i++) {
  lines.push(`| ${PHASES[i][0]} | ${results.map((r) => f(r.rows[i].us)).join(' | ')} |`);
}
lines.push(`| **verify() total** | ${results.map((r) => `**${f(r.total)}**`).join(' | ')} |`);
lines.push(`| the runtime's bare signature check (floor) | ${results.map((r) => f(r.floor)).join(' | ')} |`);
lines.push(`| verify() total minus the floor (not cryptography) | ${results.map((r) => f(r.total - r.floor)).join(' | ')} |`);
lines.push(`| (a call into wasm with no arguments) | ${results.map((r) => f(r.call)).join(' | ')} |`);
lines.push(`| (SipHash-2-4-128 of the token, the cache's hash, incl. the call) | ${results.map((r) => f(r.hash)).join(' | ')} |`);
lines.push(`| (JSON.parse of the payload alone) | ${results.map((r) => f(r.parseAlone)).join(' | ')} |`);
const tokens = results.map((r) => `${r.alg} ${r.tokenLength}`).join(', ');
const { ROUNDS, ROUND_MS } = await import('./measure.mjs');
const table = [
  `${new Date().toISOString()}, ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(', ')}), node ${process.version}; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms, medians; µs per verify. Token lengths (characters): ${tokens}. Each phase is the difference between two medians, so a phase under the noise can come out at ~0.`,
  '',
  ...lines,
].join('\n');
console.log(table);
if (args.has('write')) {
  const file = resolve(String(args.get('write')));
  const BEGIN = '<!-- phases:begin (generated by `make bench-phases`; edits inside are overwritten) -->';
  const END = '<!-- phases:end -->';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = text.indexOf(BEGIN);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${file} lacks the phases markers`);
  writeFileSync(file, `${text.slice(0, from + BEGIN.length)}\n${table}\n${text.slice(to)}`);
  process.stderr.write(`phases: wrote ${file}\n`);
}
