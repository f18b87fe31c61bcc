// Harness of the end-to-end tests: runs the project's own commands (`make dev`, `make gateway`)
// the way a developer does, in their own process group, with this suite's ports (18600-18699;
// never the defaults 8787/3000, so a running `make dev` and the tests do not collide), a
// temporary KV directory and log directory; stops them with the signal a terminal's Ctrl-C
// sends. The issuer-only helpers (keys, starting a bare issuer, its API client) come from the
// issuer's own end-to-end harness.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export { ROOT, client, generateKeys, startIssuer, tempDir, payload } from '../issuer/harness.mjs';
import { ROOT } from '../issuer/harness.mjs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Process groups still running: killed if this test process exits or is interrupted first.
const liveGroups = new Set();
process.on('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Whether any process of group `pgid` is still alive. */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true when nothing listens on 127.0.0.1:`port`. */
export function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** An environment for a nested `make`: without the outer make's jobserver and flags. */
function makeEnv(extra) {
  const env = { ...process.env, ...extra, NO_COLOR: '1' };
  for (const name of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'GNUMAKEFLAGS']) delete env[name];
  return env;
}

/**
 * Runs `make <target>` in its own process group (like a terminal's foreground job), collecting
 * its output; resolves once `ready(output)` is true. `stop(signal)` sends `signal` to the whole
 * group (SIGINT = Ctrl-C) and resolves with the exit once make has exited.
 */
export async function runMake(target, { env = {}, args = [], ready, timeoutMs = 600_000 }) {
  const child = spawn('make', ['--no-print-directory', target, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: makeEnv(env),
  });
  liveGroups.add(child.pid);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  let exited = null;
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  const handle = {
    pgid: child.pid,
    output: () => output,
    exit,
    async stop(signal = 'SIGINT', graceMs = 30_000) {
      if (!exited) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }, graceMs);
        await exit;
        clearTimeout(timer);
      }
      liveGroups.delete(child.pid);
      return exited;
    },
  };
  const started = Date.now();
  for (;;) {
    if (ready(output)) return { ...handle, startupMs: Date.now() - started };
    if (exited) throw new Error(`make ${target} exited early (${JSON.stringify(exited)}):\n${output}`);
    if (Date.now() - started > timeoutMs) {
      await handle.stop('SIGKILL');
      throw new Error(`make ${target} not ready after ${timeoutMs} ms:\n${output}`);
    }
    await sleep(200);
  }
}

/** The value of `name` in a dotenv file such as .dev.vars. */
export function readVar(file, name) {
  const match = new RegExp(`^${name}=['"]?([^'"\\r\\n]+)['"]?$`, 'm').exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`${file} has no ${name}`);
  return match[1];
}

/**
 * fetch() returning status, headers, text and parsed JSON (when it is JSON). A request that
 * gets no answer within 30 s fails (a hung server shows up as such, not as a test timeout).
 */
export async function http(url, { method = 'GET', headers = {}, body, json } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual', signal: AbortSignal.timeout(30_000) };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: parsed };
}

/**
 * Polls `probe` (resolving to a status) every `everyMs` until it returns `status`; resolves
 * with the milliseconds since `since`, or rejects after `limitMs`.
 */
export async function timeUntil(status, probe, { since, limitMs, everyMs = 20 }) {
  for (;;) {
    const got = await probe();
    const elapsed = Date.now() - since;
    if (got === status) return elapsed;
    if (elapsed > limitMs) throw new Error(`still ${got} after ${elapsed} ms (wanted ${status} within ${limitMs} ms)`);
    await sleep(everyMs);
  }
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** README.md's fenced block that follows the marker `<!-- test: name -->`. */
export function readmeBlock(name) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const marker = `<!-- test: ${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at + marker.length));
  if (!match) throw new Error(`no fenced block after ${marker}`);
  return match[1];
}
