// The issuer as the cross-part suites run it: the BUILT worker (crates/issuer/build, made by
// `make issuer-worker`) in real workerd through `wrangler dev`, with its own keys
// (revocable-keygen), its own port and its own Durable Object storage (--persist-to in a
// temporary folder), stopped (wrangler and its workerd child, one process group) when asked
// or when the process exits; a client for its API; and, to look under the hood, a dump of the
// objects' storage and the process group listening on a port.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, jsonOrUndefined, killGroup, portFree, trackGroup, untrackGroup } from './common.mjs';

const run = promisify(execFile);
const WRANGLER = join(ROOT, 'tools/node_modules/.bin/wrangler');
// wrangler runs wrangler.toml's build command (`make -s issuer-worker`) before serving: a no-op
// when `make test-issuer-e2e` has just built the worker, a full worker-build (minutes on a
// loaded 2-core machine) when sources changed since.
const READY_TIMEOUT_MS = Number(process.env.ISSUER_READY_TIMEOUT_MS ?? 420_000);

/** Rejects when something already listens on `port` (the readiness check would talk to it). */
async function assertPortFree(port) {
  if (!(await portFree(port))) throw new Error(`port ${port} is busy: is another wrangler dev still running?`);
}

/** A temporary directory, removed at exit. */
export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `revocable-issuer-${name}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a fresh key file with revocable-keygen; returns its path and the keys. */
export function generateKeys(dir) {
  const out = join(dir, 'test.vars');
  const bin = process.env.REVOCABLE_KEYGEN ?? join(ROOT, 'target/debug/revocable-keygen');
  if (existsSync(bin)) {
    execFileSync(bin, ['--out', out], { stdio: 'pipe' });
  } else {
    execFileSync('cargo', ['run', '-q', '-p', 'revocable-keygen', '--', '--out', out], { cwd: ROOT, stdio: 'pipe' });
  }
  const text = readFileSync(out, 'utf8');
  const serviceKey = /^ISSUER_SERVICE_KEY=(.+)$/m.exec(text)?.[1];
  const feedKey = /^FEED_KEY=(.+)$/m.exec(text)?.[1];
  const signingKeys = /^SIGNING_KEYS='(.+)'$/m.exec(text)?.[1];
  if (!serviceKey || !feedKey || !signingKeys) throw new Error(`keygen output lacks keys: ${out}`);
  return { envFile: out, serviceKey, feedKey, signingKeys: JSON.parse(signingKeys) };
}

/**
 * Starts `wrangler dev` on `port` with `persistDir` and `envFile`; resolves once the worker
 * answers its JWKS with `readyStatus` (200; a misconfigured worker answers 500), rejects (with
 * wrangler's output) after READY_TIMEOUT_MS.
 */
export async function startIssuer({ port, persistDir, envFile, vars = {}, readyStatus = 200 }) {
  const url = `http://127.0.0.1:${port}`;
  await assertPortFree(port);
  const args = [
    'dev',
    '--config', join(ROOT, 'wrangler.toml'),
    '--ip', '127.0.0.1',
    '--port', String(port),
    // The devtools inspector defaults to 9229, shared by every wrangler on the machine.
    '--inspector-port', String(port + 50),
    '--persist-to', persistDir,
    '--env-file', envFile,
    '--var', `ISSUER:${url}`,
    '--show-interactive-dev-session=false',
    '--log-level', 'info',
  ];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    // Own process group: stop() signals wrangler and workerd together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      NO_COLOR: '1',
      CI: '1',
    },
  });
  let output = '';
  const collect = (chunk) => {
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = null;
  const exit = new Promise((res) => child.on('exit', (code, signal) => { exited = { code, signal }; res(exited); }));
  trackGroup(child.pid);

  const stop = async () => {
    if (!exited) {
      killGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    // workerd may outlive wrangler for a moment: make sure the group is gone.
    killGroup(child.pid, 'SIGKILL');
    untrackGroup(child.pid);
  };

  const started = Date.now();
  for (;;) {
    if (exited) {
      throw new Error(`wrangler dev exited early (${JSON.stringify(exited)}):\n${output}`);
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      await stop();
      throw new Error(`issuer not ready on ${url} after ${READY_TIMEOUT_MS} ms; wrangler output:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/.well-known/jwks.json`, { signal: AbortSignal.timeout(2000) });
      if (res.status === readyStatus) {
        await res.arrayBuffer();
        break;
      }
      await res.arrayBuffer();
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop, output: () => output, startupMs: Date.now() - started };
}

/** A small client for the issuer's API. */
export function client(url, serviceKey) {
  const service = { authorization: `Bearer ${serviceKey}` };
  const form = (params) => new URLSearchParams(params).toString();
  const call = async (method, path, { headers = {}, body } = {}) => {
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: jsonOrUndefined(text) };
  };
  return {
    call,
    createSession: (body) => call('POST', '/v1/sessions', {
      headers: { ...service, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    refresh: (refreshToken, extra = {}) => call('POST', '/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }),
    }),
    revoke: (token, hint) => call('POST', '/oauth/revoke', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(hint ? { token, token_type_hint: hint } : { token }),
    }),
    endSession: (sid) => call('DELETE', `/v1/sessions/${sid}`, { headers: service }),
    sessions: (sub) => call('GET', `/v1/users/${encodeURIComponent(sub)}/sessions`, { headers: service }),
    logoutEverywhere: (sub) => call('POST', `/v1/users/${encodeURIComponent(sub)}/revoke`, { headers: service }),
    feed: (headers = {}) => call('GET', '/v1/revocations', { headers: { ...service, ...headers } }),
  };
}

/** Starts an issuer for one test file: fresh keys, fresh KV, given port. */
export async function issuerForFile(name, port) {
  const dir = tempDir(name);
  const keys = generateKeys(dir);
  const persistDir = join(dir, 'state');
  const issuer = await startIssuer({ port, persistDir, envFile: keys.envFile });
  return { ...issuer, dir, keys, persistDir, api: client(issuer.url, keys.serviceKey) };
}

/**
 * The calling test file's issuer: issuerForFile(name, port) in a before hook, stopped in an
 * after hook. Returns `{ issuer, api }`, filled in when the before hook has run.
 */
export function issuerPerFile(name, port) {
  const local = { issuer: undefined, api: undefined };
  before(async () => {
    local.issuer = await issuerForFile(name, port);
    local.api = local.issuer.api;
  });
  after(async () => {
    await local.issuer?.stop();
  });
  return local;
}

/** Decodes a JWT's payload without verifying it (tests only). */
export function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/** Decodes a JWT's header without verifying it (tests only). */
export function header(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

/**
 * Everything the issuer's Durable Objects store under `persistDir` (the `--persist-to` of a
 * running `wrangler dev`): `{ "<class>/<object>/<key>": { value, metadata, expires } }`, read
 * from each object's SQLite file (the `kv` table of crates/issuer/src/store/object_kv.rs) with
 * Python's sqlite3 module, read-only. Reading beside the running server works: SQLite lets a
 * reader in while workerd writes (WAL), and the server keeps answering.
 */
export async function dumpObjects(persistDir) {
  const script = String.raw`
import glob, json, os, sqlite3, sys
out = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], 'v3', 'do', '*', '*.sqlite'))):
    if os.path.basename(path) == 'metadata.sqlite':
        continue
    con = sqlite3.connect('file:' + path + '?mode=ro', uri=True)
    try:
        rows = con.execute('SELECT key, value, metadata, expires FROM kv ORDER BY key').fetchall()
    except sqlite3.OperationalError:
        rows = []
    finally:
        con.close()
    name = os.path.basename(os.path.dirname(path)) + '/' + os.path.basename(path)[:16]
    for key, value, metadata, expires in rows:
        out[name + '/' + key] = {'value': value, 'metadata': metadata, 'expires': expires}
print(json.dumps(out))
`;
  const { stdout } = await run('python3', ['-c', script, persistDir], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

/**
 * The process group of whatever listens on 127.0.0.1:`port` (workerd under `wrangler dev`,
 * which the harness starts in its own group), from /proc: the socket's inode in
 * /proc/net/tcp, the process holding it, that process's group. Linux only.
 */
export function processGroupListeningOn(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local address, state 0A = LISTEN, inode
      if (cols.length > 9 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // pid (comm) state ppid pgrp ...: comm may contain spaces, so split after ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return { pid: Number(pid), pgid: Number(fields[2]) };
      }
    }
  }
  return null;
}
