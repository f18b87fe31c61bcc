// The benchmark behind `make bench` (mk/bench.mk): in ONE Node process, on the SAME tokens
// and keys, verify throughput of revocable, fast-jwt, jsonwebtoken and jose per algorithm,
// next to Node's raw signature check (the floor); a realistic cached/uncached workload; and
// the wasm sizes of each build variant, and the verify speed of each variant that is a complete
// build (HS256, and EdDSA checked in wasm), next to fast-jwt's. Prints the tables and, with
// --write=FILE, replaces the generated block of FILE (docs/benchmarks.md) between the
// bench:begin/end markers.
//
// It also times the cold start (import + createVerifier in fresh Node processes) and ends with
// the summary table of the targets (docs/benchmarks.md "Targets"). With --before=DIR (a
// complete build of an earlier version, e.g. another checkout's js/dist), that build runs next
// to this one in every timed part of the same run, as "revocable (before)".
//
//   node bench/run.mjs [--write=../docs/benchmarks.md] [--variants=DIR] [--only=HS256,EdDSA]
//                      [--before=DIR]
//   BENCH_ROUND_MS=500 BENCH_ROUNDS=9 (see measure.mjs), BENCH_COLD_RUNS=11
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, type } from 'node:os';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, claims, keyPair, serve, sign } from '../test/helpers.mjs';
import { parseArgs, writeMarkedBlock } from '../scripts/cli.mjs';
import { contenders, fastJwt } from './contenders.mjs';
import { ISSUER_GZIP_TARGET, issuerWasmSize } from './issuer-size.mjs';
import { ROUND_MS, ROUNDS, compare, compareMixed, compareWorkloads, median } from './measure.mjs';

const JS = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(JS, '..');
const args = parseArgs();
const ALGORITHMS = args.has('only') ? String(args.get('only')).split(',') : ['HS256', 'EdDSA', 'ES256', 'RS256', 'PS256'];
const VARIANTS_DIR = resolve(String(args.get('variants') ?? join(ROOT, 'target', 'bench-wasm')));
const BEFORE_DIR = args.has('before') && args.get('before') !== '' ? resolve(String(args.get('before'))) : null;
const require = createRequire(import.meta.url);
const before = BEFORE_DIR ? require(join(BEFORE_DIR, 'cjs', 'index.cjs')) : null;
const BEFORE = 'revocable (before)';

const load0 = loadavg();
const started = new Date();
const fmtOps = (n) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------
// 1. Per algorithm, uncached.
const algRows = [];
for (const alg of ALGORITHMS) {
  const key = await keyPair(alg, 'k1');
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(key, claims({ iat: now, exp: now + 3600 }), { typ: 'at+jwt' });
  const rv = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] }, cache: false });
  const list = await contenders(alg, key.publicJwk, token, rv);
  const old = before && (await before.createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] }, cache: false }));
  if (old) {
    if (JSON.stringify(old.verify(token)) !== JSON.stringify(rv.verify(token))) throw new Error(`bench: ${alg} payload of the before build differs`);
    list[BEFORE] = { fn: () => old.verify(token) };
  }
  log(`bench: ${alg} (${Object.keys(list).join(', ')}), token ${token.length} chars`);
  const rates = await compareMixed(list);
  rv.close();
  old?.close();
  algRows.push({ alg, tokenLength: token.length, rates });
}

// ---------------------------------------------------------------------------------------
// 2. Realistic: USERS access tokens, each used USES times, in one shuffled order.
const USERS = 1000;
const USES = 20;
const REALISTIC_ALG = 'EdDSA';

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const realKey = await keyPair(REALISTIC_ALG, 'k1');
const nowS = Math.floor(Date.now() / 1000);
const tokens = [];
for (let u = 0; u < USERS; u++) {
  tokens.push(
    await sign(realKey, claims({ sub: `user-${u}`, sid: `sid-${u}`, jti: `jti-${u}`, iat: nowS, exp: nowS + 3600 }), { typ: 'at+jwt' }),
  );
}
const order = [];
for (let u = 0; u < USERS; u++) for (let k = 0; k < USES; k++) order.push(u);
const random = mulberry32(0x5eed);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const sequence = order.map((u) => tokens[u]);

// A non-empty revocation snapshot that revokes none of the workload's tokens (so every
// contender accepts every token and does the same work): other users' jtis, sessions and
// logouts-everywhere.
const feed = {
  generated_at: nowS,
  jti: Array.from({ length: 300 }, (_, i) => ({ id: `revoked-jti-${i}`, exp: nowS + 3600 })),
  sid: Array.from({ length: 300 }, (_, i) => ({ id: `revoked-sid-${i}`, exp: nowS + 3600 })),
  sub: Array.from({ length: 100 }, (_, i) => ({ id: `gone-user-${i}`, not_before: nowS, exp: nowS + 3600 })),
};
const feedBody = JSON.stringify(feed);
const feedServer = await serve((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.setHeader('etag', '"bench"');
  // One connection per fetch: an idle keep-alive socket closed by the server between two
  // workloads (its 5 s timeout) would otherwise race the next fetch (ECONNRESET).
  res.setHeader('connection', 'close');
  res.end(feedBody);
});

async function revocableWorkload(cache, build = { createVerifier }) {
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [realKey.publicJwk] },
    revocationUri: `${feedServer.url}/v1/revocations`,
    serviceKey: 'bench-service-key',
    revocationIntervalMs: 60_000,
    cache,
  };
  const verifier = await build.createVerifier(options);
  if (verifier.status().revocations.entries !== feed.jti.length + feed.sid.length + feed.sub.length) {
    throw new Error('bench: the revocation snapshot was not loaded');
  }
  return verifier;
}

async function timeSequence(make) {
  const made = await make();
  const verify = typeof made === 'function' ? made : (token) => made.verify(token);
  const start = performance.now();
  for (const token of sequence) verify(token);
  const seconds = (performance.now() - start) / 1000;
  made.close?.();
  return { ops: sequence.length, seconds };
}

// Sanity: every contender accepts every token.
{
  const rv = await revocableWorkload(false);
  const fj = fastJwt(REALISTIC_ALG, realKey.publicJwk);
  for (const token of tokens) {
    if (rv.verify(token).sub !== fj(token).sub) throw new Error('bench: realistic payloads differ');
  }
  rv.close();
}
log(`bench: realistic workload, ${USERS} users x ${USES} uses (${sequence.length} verifies per round), ${REALISTIC_ALG}`);
const workloads = {
  'revocable, no cache': () => timeSequence(() => revocableWorkload(false)),
  'fast-jwt, no cache': () => timeSequence(() => fastJwt(REALISTIC_ALG, realKey.publicJwk)),
  'revocable, cache': () => timeSequence(() => revocableWorkload(true)),
  'fast-jwt, cache: true': () => timeSequence(() => fastJwt(REALISTIC_ALG, realKey.publicJwk, { cache: true })),
};
if (before) {
  workloads[`${BEFORE}, no cache`] = () => timeSequence(() => revocableWorkload(false, before));
  workloads[`${BEFORE}, cache`] = () => timeSequence(() => revocableWorkload(true, before));
}
const realistic = await compareWorkloads(workloads);
await feedServer.close();

// ---------------------------------------------------------------------------------------
// 2b. Cold start: `import('revocable')` and the first createVerifier (a JWKS with one Ed25519
// key, no remote source) in a fresh Node process each time, timed inside the child (the
// process start itself is not counted); the median of BENCH_COLD_RUNS, the builds alternating.
// Each child runs two ways: as the entry file of the process (how an app starts: `node
// app.mjs`; the file sits in js/bench/, so `revocable` resolves to this package as from an
// app's node_modules), and as `node -e` code. The second also charges the import with the
// setup of Node's ES module loader for the first file it loads (about 3 ms, paid by an app's
// own entry file before it imports anything: docs/benchmarks.md "Cold start").
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 11);
// An ES module child imports the package; a CommonJS child (an app that uses `require`)
// requires it.
const coldChild = (specifier, format) => `
const t0 = performance.now();
const { createVerifier } = ${format === 'cjs' ? 'require' : 'await import'}(${JSON.stringify(specifier)});
const t1 = performance.now();
${format === 'cjs' ? '(async () => {' : ''}
const v = await createVerifier({ issuer: 'https://issuer.example', audience: 'api', jwks: { keys: [${JSON.stringify(realKey.publicJwk)}] } });
const t2 = performance.now();
v.close();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, createMs: t2 - t1 }));
${format === 'cjs' ? '})();' : ''}`;
// The peers, made the same way: fast-jwt's verifier for the same key, and the floor, Node's own
// crypto module and the key imported as a KeyObject (what any verifier in Node needs first).
const coldPeers = {
  'fast-jwt': `
const t0 = performance.now();
const { createVerifier } = await import('fast-jwt');
const { createPublicKey } = await import('node:crypto');
const t1 = performance.now();
const key = createPublicKey({ key: ${JSON.stringify(realKey.publicJwk)}, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
createVerifier({ key, algorithms: ['EdDSA'], allowedIss: 'https://issuer.example', allowedAud: 'api' });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, createMs: t2 - t1 }));
`,
  'node:crypto (floor)': `
const t0 = performance.now();
const { createPublicKey } = await import('node:crypto');
const t1 = performance.now();
createPublicKey({ key: ${JSON.stringify(realKey.publicJwk)}, format: 'jwk' });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, createMs: t2 - t1 }));
`,
};
function coldStart({ specifier, format = 'esm' }, how) {
  const code = coldPeers[specifier] ?? coldChild(specifier, format);
  const file = how === 'file' ? join(JS, 'bench', `.cold-start-${process.pid}.${format === 'cjs' ? 'cjs' : 'mjs'}`) : null;
  if (file) writeFileSync(file, code);
  try {
    const argv = file ? [file] : [`--input-type=${format === 'cjs' ? 'commonjs' : 'module'}`, '-e', code];
    const run = spawnSync(process.execPath, argv, { cwd: JS, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`bench: cold start of ${specifier} (${how}) failed: ${run.stderr}`);
    return JSON.parse(run.stdout);
  } finally {
    if (file) rmSync(file, { force: true });
  }
}
// `import('revocable')` is the ESM entry (dist/esm/node.mjs, one module), `require('revocable')`
// the CommonJS bundle (dist/cjs). A before build is a dist directory (no src/, no package name):
// it is timed by path, next to this build's ESM entry by path.
const coldBuilds = {
  'revocable (ESM)': { specifier: 'revocable' },
  'revocable (ESM, by path)': { specifier: pathToFileURL(join(JS, 'dist', 'esm', 'node.mjs')).href },
  // The same entry as separate module files (what the one-module ESM bundle saves).
  'revocable (ESM source modules)': { specifier: pathToFileURL(join(JS, 'src', 'entry', 'node.js')).href },
  'revocable (CommonJS, require)': { specifier: 'revocable', format: 'cjs' },
};
const BEFORE_ESM = before && join(BEFORE_DIR, 'esm', 'node.mjs');
if (before && existsSync(BEFORE_ESM)) coldBuilds[`${BEFORE} (ESM, by path)`] = { specifier: pathToFileURL(BEFORE_ESM).href };
if (before) coldBuilds[`${BEFORE} (CommonJS, require)`] = { specifier: join(BEFORE_DIR, 'cjs', 'index.cjs'), format: 'cjs' };
coldBuilds['fast-jwt'] = { specifier: 'fast-jwt' };
coldBuilds['node:crypto (floor)'] = { specifier: 'node:crypto (floor)' };
log(`bench: cold start, ${COLD_RUNS} fresh processes per build (${Object.keys(coldBuilds).join(', ')})`);
const coldRuns = Object.fromEntries(Object.keys(coldBuilds).map((name) => [name, { file: [], eval: [] }]));
for (let i = 0; i < COLD_RUNS; i++) {
  for (const [name, build] of Object.entries(coldBuilds)) {
    for (const how of ['file', 'eval']) coldRuns[name][how].push(coldStart(build, how));
  }
}
const cold = Object.fromEntries(
  Object.entries(coldRuns).map(([name, { file, eval: evaluated }]) => [
    name,
    {
      importMs: median(file.map((r) => r.importMs)),
      createMs: median(file.map((r) => r.createMs)),
      totalMs: median(file.map((r) => r.importMs + r.createMs)),
      evalTotalMs: median(evaluated.map((r) => r.importMs + r.createMs)),
    },
  ]),
);

// ---------------------------------------------------------------------------------------
// 3. Sizes of the wasm of each build variant (sizes.json written by scripts/build.mjs).
const sizes = [];
const shipped = join(JS, 'dist', 'sizes.json');
if (existsSync(shipped)) {
  const { node, ...portable } = JSON.parse(readFileSync(shipped, 'utf8'));
  sizes.push({ variant: 'shipped (js/dist)', ...portable });
  // Node's default build (js/scripts/build.mjs): EC/RSA arithmetic left to Node's crypto.
  if (node) sizes.push({ variant: 'shipped, Node (node-host)', ...node });
}
if (existsSync(VARIANTS_DIR)) {
  for (const name of readdirSync(VARIANTS_DIR).sort()) {
    const file = join(VARIANTS_DIR, name, 'sizes.json');
    // A variant's own portable build (its node-host build is the shipped one's, with its extras).
    if (existsSync(file)) sizes.push({ variant: name, ...JSON.parse(readFileSync(file, 'utf8')), node: undefined });
  }
}

// ---------------------------------------------------------------------------------------
// 4. Verify speed of the variants (a variant trades speed for size: the trade is shown next to
// fast-jwt). Each complete build (its CommonJS entry) against the shipped one and fast-jwt,
// interleaved, uncached; EdDSA with hostCrypto: false, so the wasm's own Ed25519 is timed
// (browsers; in Node the default host crypto checks the signature).
const builds = [{ name: 'shipped (js/dist)', createVerifier }];
if (existsSync(VARIANTS_DIR)) {
  for (const name of readdirSync(VARIANTS_DIR).sort()) {
    const entry = join(VARIANTS_DIR, name, 'cjs', 'index.cjs');
    if (existsSync(entry)) builds.push({ name, createVerifier: require(entry).createVerifier });
  }
}
const VARIANT_ALGS = ['HS256', 'EdDSA'];
const variantRates = {};
for (const alg of VARIANT_ALGS) {
  const key = await keyPair(alg, 'k1');
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(key, claims({ iat: now, exp: now + 3600 }), { typ: 'at+jwt' });
  const fj = fastJwt(alg, key.publicJwk);
  const expected = fj(token);
  const fns = { 'fast-jwt': () => fj(token) };
  const made = [];
  for (const build of builds) {
    const verifier = await build.createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      cache: false,
      hostCrypto: false,
    });
    made.push(verifier);
    if (JSON.stringify(verifier.verify(token)) !== JSON.stringify(expected)) throw new Error(`bench: ${build.name} ${alg} payload differs`);
    fns[build.name] = () => verifier.verify(token);
  }
  log(`bench: variants ${alg} (${builds.map((b) => b.name).join(', ')}), in wasm`);
  variantRates[alg] = compare(fns);
  for (const verifier of made) verifier.close();
}

// ---------------------------------------------------------------------------------------
// Output.
const load1 = loadavg();
const cpu = cpus();
const machine = [
  `- date: ${started.toISOString()}`,
  `- cpu: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} logical cores`,
  `- load average (1, 5, 15 min): ${load0.map((l) => l.toFixed(2)).join(', ')} at start, ${load1.map((l) => l.toFixed(2)).join(', ')} at end`,
  `- os: ${type()} ${release()}`,
  `- node ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl})`,
  `- method: ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per contender after one warm-up round; median (js/bench/measure.mjs)`,
];

const names = ['revocable', ...(before ? [BEFORE] : []), 'fast-jwt', 'jsonwebtoken', 'jose', 'node:crypto (floor)'];
const FLOOR = 'node:crypto (floor)';
const algTable = [
  `| alg | ${names.join(' | ')} | revocable / fast-jwt | revocable / floor |`,
  `|---|${names.map(() => '---:').join('|')}|---:|---:|`,
  ...algRows.map(
    ({ alg, rates }) =>
      `| ${alg} | ${names.map((n) => `${fmtOps(rates[n])} (${ratio(rates[n], rates['fast-jwt'])})`).join(' | ')} | **${ratio(rates.revocable, rates['fast-jwt'])}** | **${ratio(rates.revocable, rates[FLOOR])}** |`,
  ),
];

const realTable = [
  '| workload | ops/s | ratio |',
  '|---|---:|---:|',
  `| revocable, no cache (revocation on) | ${fmtOps(realistic['revocable, no cache'])} | ${ratio(realistic['revocable, no cache'], realistic['fast-jwt, no cache'])} of fast-jwt, no cache |`,
  `| fast-jwt, no cache | ${fmtOps(realistic['fast-jwt, no cache'])} | 1.00x |`,
  `| revocable, cache (revocation on) | ${fmtOps(realistic['revocable, cache'])} | ${ratio(realistic['revocable, cache'], realistic['fast-jwt, cache: true'])} of fast-jwt, cache: true |`,
  `| fast-jwt, cache: true (no revocation) | ${fmtOps(realistic['fast-jwt, cache: true'])} | 1.00x |`,
  ...(before
    ? [
        `| ${BEFORE}, no cache | ${fmtOps(realistic[`${BEFORE}, no cache`])} | ${ratio(realistic[`${BEFORE}, no cache`], realistic['fast-jwt, no cache'])} of fast-jwt, no cache |`,
        `| ${BEFORE}, cache | ${fmtOps(realistic[`${BEFORE}, cache`])} | ${ratio(realistic[`${BEFORE}, cache`], realistic['fast-jwt, cache: true'])} of fast-jwt, cache: true |`,
      ]
    : []),
];

const ms = (n) => `${n.toFixed(1)} ms`;
const coldTable = [
  '| build | import | createVerifier (fast-jwt: its createVerifier; floor: createPublicKey) | together | together, as `node -e` code |',
  '|---|---:|---:|---:|---:|',
  ...Object.entries(cold).map(([name, c]) => `| ${name} | ${ms(c.importMs)} | ${ms(c.createMs)} | ${ms(c.totalMs)} | ${ms(c.evalTotalMs)} |`),
];

const kib = (n) => (n === undefined ? 'n/a' : `${(n / 1024).toFixed(1)} KiB (${n.toLocaleString('en-US')} B)`);
const sizeTable = [
  '| build | features | wasm-opt | raw | gzip -9 | brotli -11 |',
  '|---|---|---|---:|---:|---:|',
  ...sizes.map(
    (s) =>
      `| ${s.variant} | ${s.features || 'default'}${s.profile && s.profile !== 'release' ? ` (profile ${s.profile})` : ''} | ${s.wasmOpt} | ${kib(s.rawBytes)} | ${kib(s.gzipBytes)} | ${kib(s.brotliBytes)} |`,
  ),
];

// The targets (docs/benchmarks.md "Targets"): this run's figure, the before build's in the
// same run when there is one, and the target.
const rateOf = (alg, name) => algRows.find((r) => r.alg === alg)?.rates[name];
const fx = (a, b) => (a === undefined || b === undefined ? 'n/a' : (a / b).toFixed(2));
const shippedSize = sizes.find((s) => s.variant === 'shipped (js/dist)');
const nodeSize = sizes.find((s) => s.variant === 'shipped, Node (node-host)');
const eddsaSize = sizes.find((s) => s.variant === 'eddsa-hmac');
const issuerSize = issuerWasmSize();
let beforeSize;
if (BEFORE_DIR && existsSync(join(BEFORE_DIR, 'sizes.json'))) beforeSize = JSON.parse(readFileSync(join(BEFORE_DIR, 'sizes.json'), 'utf8'));
const bytes = (n) => (n === undefined ? 'n/a' : `${n.toLocaleString('en-US')} B`);
// The "floor" column: the figure a verifier would reach if it did nothing but the runtime's
// bare crypto call on the token (node:crypto's check of the same signature, measured above).
// For the cached workload: every token's first use needs one signature check, so even with
// hits that cost nothing the round takes USERS checks at the floor.
const realisticFloor = (() => {
  const floorRate = rateOf(REALISTIC_ALG, FLOOR);
  const fj = realistic['fast-jwt, cache: true'];
  if (floorRate === undefined || fj === undefined) return 'n/a';
  return `${((sequence.length / fj) / (USERS / floorRate)).toFixed(2)} (${USERS} checks at the floor)`;
})();
const targetRows = [
  ['HS256 uncached vs fast-jwt', (who) => fx(rateOf('HS256', who), rateOf('HS256', 'fast-jwt')), fx(rateOf('HS256', FLOOR), rateOf('HS256', 'fast-jwt')), '>= 2.0'],
  ['HS256 vs the bare HMAC (createHmac + timingSafeEqual)', (who) => fx(rateOf('HS256', who), rateOf('HS256', FLOOR)), '1.00', '>= 0.7'],
  ...['EdDSA', 'ES256', 'RS256', 'PS256'].map((alg) => [
    `${alg} vs fast-jwt`,
    (who) => fx(rateOf(alg, who), rateOf(alg, 'fast-jwt')),
    fx(rateOf(alg, FLOOR), rateOf(alg, 'fast-jwt')),
    '>= 1.0',
  ]),
  ...[['EdDSA', '0.97'], ['ES256', '0.95'], ['RS256', '0.9']].map(([alg, t]) => [`${alg} vs the bare crypto.verify`, (who) => fx(rateOf(alg, who), rateOf(alg, FLOOR)), '1.00', `>= ${t}`]),
  [
    `cached, revocation on, realistic workload (${REALISTIC_ALG}), vs fast-jwt cache: true`,
    (who) => fx(realistic[who === 'revocable' ? 'revocable, cache' : `${BEFORE}, cache`], realistic['fast-jwt, cache: true']),
    realisticFloor,
    '>= 2.0',
  ],
  [
    "shipped wasm, gzip -9, every algorithm (portable; Node's node-host build, EC/RSA arithmetic in Node's crypto)",
    (who) => (who === 'revocable' ? `${bytes(shippedSize?.gzipBytes)} (Node: ${bytes(nodeSize?.gzipBytes)})` : bytes(beforeSize?.gzipBytes)),
    '',
    '<= 102,400 B',
  ],
  ['EdDSA + HMAC build (release profile), gzip -9', (who) => (who === 'revocable' ? bytes(eddsaSize?.gzipBytes) : 'n/a'), '', '<= 46,080 B'],
  // The issuer worker's wasm as `make issuer-worker` last built it (`make bench` builds it first).
  ['issuer worker wasm, gzip -9', (who) => (who === 'revocable' ? bytes(issuerSize?.gzipBytes) : 'n/a'), '', `<= ${bytes(ISSUER_GZIP_TARGET)}`],
  [
    "`import('revocable')` + createVerifier, fresh process (from the app's entry file; as `node -e` code)",
    (who) => {
      const both = (c) => (c ? `${ms(c.totalMs)}; ${ms(c.evalTotalMs)}` : 'n/a');
      if (who === 'revocable') return both(cold['revocable (ESM)']);
      return `${both(cold[`${BEFORE} (ESM, by path)`])} (by path; this build by path: ${both(cold['revocable (ESM, by path)'])})`;
    },
    `${ms(cold['node:crypto (floor)'].totalMs)}; ${ms(cold['node:crypto (floor)'].evalTotalMs)} (fast-jwt: ${ms(cold['fast-jwt'].totalMs)}; ${ms(cold['fast-jwt'].evalTotalMs)})`,
    '<= 15 ms',
  ],
];
const targetTable = [
  `| figure | ${before ? 'before | ' : ''}now | floor | target |`,
  `|---|${before ? '---:|' : ''}---:|---:|---:|`,
  ...targetRows.map(([label, of, floor, target]) => `| ${label} | ${before ? `${of(BEFORE)} | ` : ''}${of('revocable')} | ${floor} | ${target} |`),
];

const variantTable = [
  `| build | ${VARIANT_ALGS.map((alg) => `${alg}${alg === 'EdDSA' ? ' (in wasm)' : ''}`).join(' | ')} |`,
  `|---|${VARIANT_ALGS.map(() => '---:').join('|')}|`,
  ...['fast-jwt', ...builds.map((b) => b.name)].map(
    (name) =>
      `| ${name} | ${VARIANT_ALGS.map((alg) => `${fmtOps(variantRates[alg][name])} (${ratio(variantRates[alg][name], variantRates[alg]['fast-jwt'])})`).join(' | ')} |`,
  ),
];

const block = [
  '### Machine',
  '',
  ...machine,
  '',
  '### Targets (ratios of medians from this run)',
  '',
  before ? `"before": the build in \`${relative(ROOT, BEFORE_DIR) || BEFORE_DIR}\`, measured in this run next to this one.` : 'No before build in this run (`make bench BENCH_BEFORE=<dist dir>` adds one).',
  '',
  ...targetTable,
  '',
  `### Verify throughput, uncached (ops/s; in brackets the ratio to fast-jwt)`,
  '',
  `Token: header \`{alg, kid, typ: "at+jwt"}\`, claims iss, aud, sub, iat, exp, jti, sid, scope (${algRows[0]?.tokenLength ?? '?'} characters for ${algRows[0]?.alg ?? '?'}). RSA keys are 2048-bit.`,
  '',
  ...algTable,
  '',
  `### Realistic workload (${REALISTIC_ALG}): ${USERS} users, each access token used ${USES} times, shuffled (${sequence.length} verifies per round; fresh verifiers, empty caches, each round)`,
  '',
  `revocable checks a revocation snapshot of ${feed.jti.length} jti, ${feed.sid.length} sid and ${feed.sub.length} sub entries (polled from a local feed); fast-jwt checks no revocation.`,
  '',
  ...realTable,
  '',
  '### Cold start (fresh Node process, median of ' + COLD_RUNS + ' runs; timed inside the process)',
  '',
  ...coldTable,
  '',
  '### wasm size per build',
  '',
  ...sizeTable,
  '',
  '### Verify speed per build (uncached, ops/s; in brackets the ratio to fast-jwt)',
  '',
  'Each complete build of the list above, loaded in this process next to the shipped one; revocable with `hostCrypto: false`, so EdDSA is the wasm\'s own Ed25519 (what browsers run; in Node the default host crypto checks EdDSA signatures, the table at the top).',
  '',
  ...variantTable,
];

console.log(block.join('\n'));

if (args.has('write')) {
  const file = resolve(String(args.get('write')));
  const begin = '<!-- bench:begin (generated by `make bench`; edits inside are overwritten) -->';
  const end = '<!-- bench:end -->';
  writeMarkedBlock(file, { begin, end, initial: `# Benchmarks\n\n${begin}\n${end}\n` }, block.join('\n'));
  log(`bench: wrote ${file}`);
}
