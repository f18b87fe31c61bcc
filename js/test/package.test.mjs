// The published shape: `npm pack`, install the tarball into a fresh project, then use it
// from a plain ES module, a CommonJS file and TypeScript (strict, node16 resolution).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { AUDIENCE, ISSUER, claims, keyPair, nowSeconds, sign } from './helpers.mjs';
import { PACKAGE_DIR, packedProject } from './pack.mjs';

const FIXTURES = join(PACKAGE_DIR, 'test', 'fixtures', 'consumer');
let project;
let fixture;

before(async () => {
  project = packedProject({ devLinks: ['express', '@types', 'typescript', 'hono', 'fastify'] });
  for (const name of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, name), join(project.dir, name));
  const key = await keyPair('EdDSA', 'k1');
  fixture = JSON.stringify({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    token: await sign(key),
    expired: await sign(key, claims({ exp: nowSeconds() - 1 })),
  });
});

after(() => project?.cleanup());

test('the tarball holds the runtime files and nothing else', () => {
  const files = new Set(project.files);
  for (const file of [
    'package.json',
    'src/entry/node.js',
    'src/entry/web.js',
    'src/entry/workerd.js',
    'src/express.js',
    'src/hono.js',
    'src/fastify.js',
    'src/http-auth.js',
    'src/auth-errors.js',
    'types/index.d.ts',
    'types/express.d.ts',
    'types/hono.d.ts',
    'types/fastify.d.ts',
    'types/http-auth.d.ts',
    'dist/wasm/revocable_wasm_bg.wasm',
    'dist/wasm/node.cjs',
    'dist/wasm/node.mjs',
    'dist/wasm/web.js',
    'dist/wasm/revocable_node_bg.wasm',
    'dist/wasm/node-host.cjs',
    'dist/wasm/node-host.mjs',
    'dist/esm/node.mjs',
    'dist/cjs/index.cjs',
    'dist/cjs/express.cjs',
    'dist/cjs/hono.cjs',
    'dist/cjs/fastify.cjs',
    'dist/cjs/index.d.cts',
    'dist/cjs/express.d.cts',
    'dist/cjs/hono.d.cts',
    'dist/cjs/fastify.d.cts',
    'dist/cjs/http-auth.d.cts',
  ]) {
    assert.ok(files.has(file), `${file} is packed`);
  }
  for (const file of files) {
    assert.doesNotMatch(file, /^(test|scripts|bench|node_modules)\/|\.bindgen|sizes\.json|\.tgz$/, `${file} should not be packed`);
  }
  // The portable wasm (shared by the web, workerd and Node glue) and Node's node-host wasm.
  assert.deepEqual(
    [...files].filter((f) => f.endsWith('.wasm')).sort(),
    ['dist/wasm/revocable_node_bg.wasm', 'dist/wasm/revocable_wasm_bg.wasm'],
  );
});

test('the Node ESM entry (one bundled module) exports what its source exports, and resolves as `revocable`', async () => {
  const bundle = await import(pathToFileURL(join(PACKAGE_DIR, 'dist', 'esm', 'node.mjs')).href);
  const source = await import(pathToFileURL(join(PACKAGE_DIR, 'src', 'entry', 'node.js')).href);
  assert.deepEqual(Object.keys(bundle).sort(), Object.keys(source).sort());
  const resolved = execFileSync(process.execPath, ['--input-type=module', '-e', "process.stdout.write(import.meta.resolve('revocable'))"], {
    cwd: project.dir,
    encoding: 'utf8',
  });
  assert.match(resolved, /\/node_modules\/revocable\/dist\/esm\/node\.mjs$/);
});

for (const [file, format] of [
  ['esm.mjs', 'esm'],
  ['cjs.cjs', 'cjs'],
]) {
  test(`a plain ${format} file imports and uses the installed package`, () => {
    const out = execFileSync(process.execPath, [file], { cwd: project.dir, env: { ...process.env, FIXTURE: fixture }, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), {
      format,
      sub: 'user-1',
      expiredCode: 'ERR_JWT_EXPIRED',
      decoded: 'user-1',
      portable: { sub: 'user-1', hostCrypto: false },
      middleware: true,
      adapters: true,
    });
  });
}

test('the TypeScript declarations type-check a strict ESM and CJS consumer (tsc --noEmit)', () => {
  const tsc = join(project.dir, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project.dir, encoding: 'utf8' });
  } catch (err) {
    assert.fail(`tsc reported errors:\n${err.stdout}${err.stderr}`);
  }
});
