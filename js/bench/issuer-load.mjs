// Issuer load test (`make bench-issuer`): the built issuer worker in local workerd (`wrangler
// dev`, started by tests/issuer/harness.mjs with fresh keys and fresh object storage) next to a
// bare Durable Object baseline worker (bench/baseline-worker/: per refresh, the same hop to a
// SQLite-backed object named by the token's routing prefix, the same 2 reads and 2 upserts in
// its kv table, and an answer the size of the issuer's; no hashing, rules or signing), each
// driven by CONCURRENCY closed loops for DURATION_MS. Refresh: every loop owns a session (on
// the baseline, a chain of tokens routed like the issuer's for the same `sub`) and rotates its
// refresh token on every request (a token is single-use, so no request can be replayed); JWKS:
// GET /.well-known/jwks.json vs a static body of the same size. Reports requests/s, median and
// p99 latency and errors, and the issuer/baseline ratio; with --write=FILE replaces FILE's
// issuer:begin/end block.
//
// Ports: issuer 18810 (inspector 18860), baseline 18820 (inspector 18870).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { ROOT, issuerForFile, tempDir } from '../../tests/issuer/harness.mjs';
import { parseArgs, writeMarkedBlock } from '../scripts/cli.mjs';

const CONCURRENCY = Number(process.env.BENCH_ISSUER_CONCURRENCY ?? 8);
const DURATION_MS = Number(process.env.BENCH_ISSUER_DURATION_MS ?? 10_000);
const args = parseArgs();
const log = (line) => process.stderr.write(`${line}\n`);

async function startBaseline(port, jwksBody, accessTokenLength) {
  const dir = tempDir('baseline');
  const child = spawn(join(ROOT, 'tools/node_modules/.bin/wrangler'), [
    'dev', '--config', join(ROOT, 'js/bench/baseline-worker/wrangler.toml'), '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(port + 50), '--persist-to', join(dir, 'state'), '--var', `JWKS_BODY:${jwksBody}`,
    '--var', `ACCESS_TOKEN_LENGTH:${accessTokenLength}`,
    '--show-interactive-dev-session=false', '--log-level', 'warn',
  ], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', CI: '1' } });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const kill = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baseline wrangler exited:\n${output}`);
    try {
      const res = await fetch(`${url}/jwks`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) { kill(); throw new Error(`baseline not ready:\n${output}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: kill };
}

/** CONCURRENCY loops of `step(loopState)` for DURATION_MS; latencies of successful calls. */
async function drive(makeLoop) {
  const latencies = [];
  let errors = 0;
  const loops = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => makeLoop(i)));
  const start = performance.now();
  const end = start + DURATION_MS;
  await Promise.all(loops.map(async (step) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const ok = await step().catch(() => false);
      if (ok) latencies.push(performance.now() - t0);
      else errors += 1;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rps: (latencies.length + errors) / seconds, ok: latencies.length, errors, p50: q(0.5), p99: q(0.99) };
}

/** A first baseline token for `sub`: the issuer's routing prefix (tokens::route_for_subject) + random. */
const baselineToken = (sub) => `${createHash('sha256').update(sub).digest('base64url').slice(0, 11)}${randomBytes(32).toString('base64url')}`;

const form = (params) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });

log('bench-issuer: starting the issuer (wrangler dev; builds the worker first if it changed)');
const issuer = await issuerForFile('load', 18810);
const jwksBody = await (await fetch(`${issuer.url}/.well-known/jwks.json`)).text();
// Warm the issuer up; its access token's length sizes the baseline's answer.
let warm = (await issuer.api.createSession({ sub: 'warm' })).json.refresh_token;
let accessTokenLength = 0;
for (let i = 0; i < 20; i++) {
  const { json } = await issuer.api.refresh(warm);
  warm = json.refresh_token;
  accessTokenLength = json.access_token.length;
}
log('bench-issuer: starting the baseline worker');
const baseline = await startBaseline(18820, jwksBody, accessTokenLength);
let results;
try {
  let baselineWarm = baselineToken('warm');
  for (let i = 0; i < 20; i++) baselineWarm = (await (await fetch(`${baseline.url}/refresh`, form({ refresh_token: baselineWarm }))).json()).refresh_token;

  log(`bench-issuer: refresh, ${CONCURRENCY} loops x ${DURATION_MS} ms each side`);
  const issuerRefresh = await drive(async (i) => {
    let token = (await issuer.api.createSession({ sub: `load-${i}` })).json.refresh_token;
    return async () => {
      const res = await fetch(`${issuer.url}/oauth/token`, form({ grant_type: 'refresh_token', refresh_token: token }));
      const body = await res.json().catch(() => null);
      if (res.status !== 200 || !body?.refresh_token) return false;
      token = body.refresh_token;
      return true;
    };
  });
  const baselineRefresh = await drive(async (i) => {
    let token = baselineToken(`load-${i}`);
    return async () => {
      const res = await fetch(`${baseline.url}/refresh`, form({ refresh_token: token }));
      const body = await res.json().catch(() => null);
      if (res.status !== 200 || !body?.refresh_token) return false;
      token = body.refresh_token;
      return true;
    };
  });
  log('bench-issuer: jwks');
  const getOk = (url) => async () => async () => {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  };
  const issuerJwks = await drive(getOk(`${issuer.url}/.well-known/jwks.json`));
  const baselineJwks = await drive(getOk(`${baseline.url}/jwks`));
  results = { issuerRefresh, baselineRefresh, issuerJwks, baselineJwks };
} finally {
  baseline.stop();
  await issuer.stop();
}

const ms = (v) => `${v.toFixed(1)} ms`;
const row = (name, r, base) => `| ${name} | ${Math.round(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.errors} | ${base ? `${(r.rps / base.rps).toFixed(2)}x` : '1.00x'} |`;
const block = [
  `Local workerd via \`wrangler dev\` (Durable Objects with SQLite storage in local files), ${CONCURRENCY} concurrent closed loops, ${DURATION_MS / 1000} s per row, client on the same machine (${cpus()[0]?.model}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(', ')}, node ${process.version}, ${new Date().toISOString()}).`,
  '',
  '| endpoint | requests/s | median | p99 | errors | ratio to baseline |',
  '|---|---:|---:|---:|---:|---:|',
  row('issuer POST /oauth/token (refresh rotation)', results.issuerRefresh, results.baselineRefresh),
  row('baseline: the same object hop, 2 reads + 2 upserts', results.baselineRefresh),
  row('issuer GET /.well-known/jwks.json', results.issuerJwks, results.baselineJwks),
  row('baseline: static body of the same size', results.baselineJwks),
];
console.log(block.join('\n'));
if (args.has('write')) {
  const file = resolve(String(args.get('write')));
  const begin = '<!-- issuer:begin (generated by `make bench` / `make bench-issuer`; edits inside are overwritten) -->';
  writeMarkedBlock(file, { begin, end: '<!-- issuer:end -->' }, block.join('\n'));
  log(`bench-issuer: wrote ${file}`);
}
process.exit(0);
