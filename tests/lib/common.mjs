// Helpers every cross-part suite uses: the repository root, time, access-token claims, a
// local HTTP server, HTTP clients (fetch-based and raw bytes), process groups stopped at exit,
// and small statistics. Node built-ins only: no suite's dependencies are needed to import it.

import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'api';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Standard access-token claims, valid now, with overrides (undefined removes a claim). */
export function claims(overrides = {}) {
  const now = nowSeconds();
  const base = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    iat: now - 5,
    exp: now + 300,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    sid: 'sid-1',
    scope: 'read write',
  };
  const merged = { ...base, ...overrides };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
}

/**
 * A node:http server on 127.0.0.1, by default on an ephemeral port. `handler(req, res,
 * socket)` may be async (a rejection answers 500). Returns { url, port, requests, stats,
 * server, close }: `requests` lists what came in, `stats` counts requests and how many were
 * open at once; `close()` also destroys open sockets (hanging responses). No keep-alive:
 * tests restart servers on the same port, and a pooled connection to the previous one would
 * fail the next request.
 */
export async function serve(handler, { port = 0 } = {}) {
  const requests = [];
  const sockets = new Set();
  const stats = { requests: 0, open: 0, maxOpen: 0 };
  const server = createServer((req, res) => {
    res.shouldKeepAlive = false;
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers }, at: Date.now() });
    stats.requests += 1;
    stats.open += 1;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    res.on('close', () => {
      stats.open -= 1;
    });
    Promise.resolve(handler(req, res, req.socket)).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = server.address().port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    stats,
    server,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

/** Polls `check` until it returns truthy or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** `text` parsed as JSON, or undefined when it is empty or not JSON. */
export function jsonOrUndefined(text) {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
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
  return { status: res.status, headers: res.headers, text, json: jsonOrUndefined(text) };
}

/**
 * One HTTP/1.1 request with exactly the given method, path (sent as is: raw bytes up to
 * 0xff, no normalization by a URL parser), headers and body (string or Buffer). A body gets a
 * `Content-Length`, as fetch and curl send it, unless `chunked` (then it is streamed with
 * `Transfer-Encoding: chunked`, as a client that does not know the size sends it). Resolves
 * `{ status, headers, text, json }`; `json` is undefined when the body is not JSON.
 */
export function raw(url, { method = 'GET', path = '/', headers = {}, body, chunked = false, timeoutMs = 15_000 } = {}) {
  const { hostname, port } = new URL(url);
  if (body !== undefined && !chunked && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  }
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolvePromise({ status: res.statusCode, headers: res.headers, text, json: jsonOrUndefined(text) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Resolves true when nothing listens on 127.0.0.1:`port`. */
export function portFree(port) {
  return new Promise((resolvePromise) => {
    const probe = createNetServer();
    probe.once('error', () => resolvePromise(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise(true)));
  });
}

// Process groups started by the suites (wrangler dev, make dev) and still running: killed if
// this test process exits or is interrupted first (a signal skips 'exit' handlers, hence both).
const liveGroups = new Set();
const killAll = () => {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal]);
  });
}

/** Sends `signal` to process group `pgid`, if it still exists. */
export function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Kills group `pgid` when this process exits, until `untrackGroup(pgid)`. */
export const trackGroup = (pgid) => liveGroups.add(pgid);
export const untrackGroup = (pgid) => liveGroups.delete(pgid);

/** Whether any process of group `pgid` is still alive. */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Percentile `p` (0..100) of an array of numbers (nearest rank). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
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
