// The project's own commands as a developer runs them (`make dev`, `make gateway`), each in
// its own process group, stopped with the signal a terminal's Ctrl-C sends; and the README's
// tested blocks and the dotenv files those commands write.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, killGroup, sleep, trackGroup, untrackGroup } from './common.mjs';

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
  trackGroup(child.pid);
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
        killGroup(child.pid, signal);
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      untrackGroup(child.pid);
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

/**
 * `make dev` on test ports, with its object storage and logs under `dir` and the feed polled
 * every `intervalMs`; resolves once both servers are ready. The builds are skipped: the make
 * target that runs the tests has just built the package and the worker.
 */
export async function startDev({ issuerPort, inspectorPort, appPort, dir, intervalMs }) {
  const dev = await runMake('dev', {
    env: {
      ISSUER_PORT: String(issuerPort),
      INSPECTOR_PORT: String(inspectorPort),
      APP_PORT: String(appPort),
      PERSIST_DIR: join(dir, 'state'),
      DEV_LOG_DIR: join(dir, 'logs'),
      REVOCATION_INTERVAL_MS: String(intervalMs),
      SKIP_BUILD: '1',
    },
    ready: (out) => /^== ready \(issuer process group \d+, app process group \d+\)$/m.test(out),
  });
  console.log(`# make dev: ready after ${dev.startupMs} ms`);
  return dev;
}
