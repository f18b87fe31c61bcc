// The per-phase profile of one verify (docs/benchmarks.md "Where the time goes"): the same
// token verified by the node-host wasm (what Node runs by default, js/scripts/build.mjs) of a
// build with the `measure-phases` feature, stopped after each phase
// (`Verifier.verifyPhases(length, now, steps)` on the token written into the verifier's input
// buffer as the package does; revocable-core's `Verifier::verify_phases`), so that the
// difference between two stops is the cost of the phase between them. Next to it, in the same
// interleaved rounds: a bare call into wasm, the token passed as a string argument instead
// (wasm-bindgen's copy), the runtime's own signature check (the floor), JSON.parse of the
// payload, and the package's verify() (cache off).
//
// For EdDSA, ES256 and RS256 the staged runs use a stub host that accepts every signature the
// core hands it (never in the package): OpenSSL's check is 40-180 µs and its noise would bury
// every other phase, so the signature row there is the call out of wasm (the shared prechecks,
// two views of wasm memory, the host function) without the check, and the check itself is the
// floor row, measured alone. Every other phase runs exactly as in a real verify.
//
//   node scripts/build.mjs --features=measure-phases --out=../target/bench-wasm-phases
//   node bench/phases.mjs ../target/bench-wasm-phases [--only=HS256,EdDSA] [--write=FILE]
//   (--write: replaces the block between the phases:begin/end markers of FILE, e.g.
//   docs/benchmarks.md; `make bench-phases` does both steps)
//   BENCH_ROUND_MS / BENCH_ROUNDS as in measure.mjs (defaults here: 150 ms, 15 rounds)
import * as crypto from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, writeMarkedBlock } from '../scripts/cli.mjs';

process.env.BENCH_ROUND_MS ??= '150';
process.env.BENCH_ROUNDS ??= '15';
const { compare } = await import('./measure.mjs');
const { createVerifier } = await import('revocable');
const { createHostCrypto } = await import('../src/host-crypto.js');
const { AUDIENCE, ISSUER, claims, keyPair, sign } = await import('../test/helpers.mjs');
const { nodeFloor } = await import('./contenders.mjs');

const args = parseArgs();
const dist = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '../target/bench-wasm-phases');
const { Verifier } = await import(pathToFileURL(join(dist, 'wasm', 'node-host.mjs')).href);
if (typeof Verifier.prototype.verifyPhases !== 'function') {
  throw new Error(`${dist} was built without --features=measure-phases`);
}
const ALGS = args.has('only') ? String(args.get('only')).split(',') : ['HS256', 'EdDSA', 'ES256', 'RS256'];

/** The phases, in order: [label, the stop that ends it]. */
const PHASES = [
  ['token written into wasm memory (encodeInto), call into wasm', 0],
  ['size, split, base64url of the 3 segments', 1],
  ['header JSON', 2],
  ['alg allow-list, key lookup by kid', 3],
  ['signature: HMAC in wasm (HS256), or the shared prechecks and the call out to the host, without its check (the others)', 4],
  ['claims JSON (UTF-8 check, parse into registered claims)', 5],
  ['claims policy, revocation snapshot', 6],
  ['payload text back to JS (copy out, UTF-8 -> UTF-16, free)', 7],
  ['JSON.parse of the payload (the object the caller gets)', 'parse'],
];

const us = (ops) => 1e6 / ops;
const encoder = new TextEncoder();
const results = [];
for (const alg of ALGS) {
  const key = await keyPair(alg, 'k1');
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(key, claims({ iat: now, exp: now + 3600 }), { typ: 'at+jwt' });
  const policy = JSON.stringify({ issuer: ISSUER, audience: AUDIENCE });
  const v = Verifier.fromJwks(JSON.stringify({ keys: [key.publicJwk] }), policy);
  const host = createHostCrypto(crypto, v.hostJwks(), { keysNeedHost: true });
  // The stub host: the call out of wasm, not OpenSSL's check (see the top of this file).
  if (host) v.setHost({ verify: () => 1 });
  const pkg = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] }, cache: false });
  const floor = nodeFloor(alg, key.publicJwk, token);
  const memory = Verifier.memory();
  let view = new Uint8Array(0);
  const write = (t) => {
    if (view.byteLength === 0) {
      const address = v.inputBuffer();
      view = new Uint8Array(memory.buffer, address, 16 * 1024);
    }
    return encoder.encodeInto(t, view).written;
  };
  const text = v.verifyPhases(write(token), now, 7);
  if (typeof text !== 'string' || JSON.stringify(JSON.parse(text)) !== JSON.stringify(pkg.verify(token))) {
    throw new Error(`${alg}: verifyPhases(7) does not return the payload`);
  }
  for (let steps = 0; steps < 7; steps++) {
    if (v.verifyPhases(write(token), now, steps) !== undefined) throw new Error(`${alg}: stop ${steps} returned a payload`);
  }
  const fns = {
    floor: () => floor(),
    call: () => v.revocationCount(),
    pass: () => Verifier.passToken(token),
    hash: () => Verifier.hashOnly(token),
  };
  for (let steps = 0; steps <= 7; steps++) fns[steps] = () => v.verifyPhases(write(token), now, steps);
  fns.parse = () => JSON.parse(v.verifyPhases(write(token), now, 7));
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
  // The package's own work around the call: verify() minus the raw call and JSON.parse, and
  // minus the signature check the stub host skipped.
  const wrapper = t.verify - t.parse - (host ? t.floor : 0);
  results.push({ alg, host: Boolean(host), tokenLength: token.length, rows, wrapper, floor: t.floor, call: t.call, pass: t.pass, hash: t.hash, parseAlone: t.parseAlone, total: t.verify });
}

const f = (x) => (x < 0 ? '~0' : x.toFixed(2));
const lines = [];
lines.push(`| phase | ${results.map((r) => `${r.alg} (µs)`).join(' | ')} |`);
lines.push(`|---|${results.map(() => '---:').join('|')}|`);
for (let i = 0; i < PHASES.length; i++) {
  lines.push(`| ${PHASES[i][0]} | ${results.map((r) => f(r.rows[i].us)).join(' | ')} |`);
}
lines.push(`| signature check in OpenSSL (\`crypto.verify\`: the floor, measured alone) | ${results.map((r) => (r.host ? f(r.floor) : '(in the row above)')).join(' | ')} |`);
lines.push(`| package verify() around the call: clock, state checks (verify() minus the rows above) | ${results.map((r) => f(r.wrapper)).join(' | ')} |`);
lines.push(`| **package verify() total, measured** | ${results.map((r) => `**${f(r.total)}**`).join(' | ')} |`);
lines.push(`| the runtime's bare signature check (floor; for HS256 \`createHmac\` + \`timingSafeEqual\`) | ${results.map((r) => f(r.floor)).join(' | ')} |`);
lines.push(`| total minus the floor | ${results.map((r) => f(r.total - r.floor)).join(' | ')} |`);
lines.push(`| (a call into wasm with no arguments) | ${results.map((r) => f(r.call)).join(' | ')} |`);
lines.push(`| (a call with the token as a string argument: the glue's malloc, per-character copy, free) | ${results.map((r) => f(r.pass)).join(' | ')} |`);
lines.push(`| (the same plus SipHash-2-4-128 of the token, the cache's hash) | ${results.map((r) => f(r.hash)).join(' | ')} |`);
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
  const begin = '<!-- phases:begin (generated by `make bench-phases`; edits inside are overwritten) -->';
  writeMarkedBlock(file, { begin, end: '<!-- phases:end -->' }, table);
  process.stderr.write(`phases: wrote ${file}\n`);
}
