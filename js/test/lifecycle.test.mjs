// No open handles: a Node process using a polling, remote-JWKS verifier exits on its own,
// with or without close() (timers are unref'd, close() aborts fetches and clears timers).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIENCE, ISSUER, keyPair, nowSeconds, serve, sign } from './helpers.mjs';

let jwksServer;
let feedServer;
let token;

before(async () => {
  const key = await keyPair('EdDSA', 'k1');
  token = await sign(key);
  jwksServer = await serve((req, res) => res.end(JSON.stringify({ keys: [key.publicJwk] })));
  feedServer = await serve((req, res) => res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [], sid: [], sub: [] })));
});

after(async () => {
  await jwksServer.close();
  await feedServer.close();
});

async function runChild(closeIt, format) {
  const options = JSON.stringify({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: jwksServer.url,
    revocationUri: feedServer.url,
    serviceKey: 'svc',
    revocationIntervalMs: 50,
  });
  const body = `
    const v = await createVerifier(${options});
    if (v.verify(${JSON.stringify(token)}).sub !== 'user-1') throw new Error('not verified');
    // Let a few polls run so that timers and sockets exist.
    await new Promise((resolve) => setTimeout(resolve, 300));
    ${closeIt ? 'v.close();' : ''}
    console.log('done');`;
  const source =
    format === 'esm'
      ? `import { createVerifier } from 'revocable';\n${body}`
      : `const { createVerifier } = require('revocable');\n(async () => {${body}})().catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, [format === 'esm' ? '--input-type=module' : '--input-type=commonjs', '-e', source], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const started = Date.now();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  return { code, signal, stdout, ms: Date.now() - started };
}

for (const format of ['esm', 'cjs']) {
  test(`${format}: exits on its own after close()`, async () => {
    const { code, signal, stdout } = await runChild(true, format);
    assert.equal(signal, null, 'was killed: something kept the process alive');
    assert.equal(code, 0);
    assert.equal(stdout.trim(), 'done');
  });

  test(`${format}: exits on its own even without close() (unref'd timers)`, async () => {
    const { code, signal, stdout } = await runChild(false, format);
    assert.equal(signal, null, 'was killed: something kept the process alive');
    assert.equal(code, 0);
    assert.equal(stdout.trim(), 'done');
  });
}
