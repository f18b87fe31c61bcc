// Shared helpers of the hardening suites: raw HTTP requests (any method, raw path, raw body
// bytes), a dump of the issuer's local KV through wrangler's own CLI, the process group of a
// `wrangler dev` found from its port, and small statistics.
//
// The issuer itself is started with the issuer suite's harness (tests/issuer/harness.mjs):
// its own keys, port and --persist-to directory, stopped at exit.

import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../issuer/harness.mjs';

export { ROOT };
const run = promisify(execFile);
const WRANGLER = join(ROOT, 'tools/node_modules/.bin/wrangler');

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
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The JSON document that starts on the first line consisting of `open` alone (`[` or `{`). */
function jsonBlock(text, open) {
  const close = open === '[' ? ']' : '}';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === open || l === open + close);
  if (start < 0) throw new Error(`no JSON ${open}...${close} block in wrangler's output:\n${text}`);
  if (lines[start] === open + close) return JSON.parse(open + close);
  const end = lines.findIndex((l, i) => i > start && l === close);
  return JSON.parse(lines.slice(start, end + 1).join('\n'));
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

/** Percentile `p` (0..100) of an array of numbers (nearest rank). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
