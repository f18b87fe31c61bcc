#!/usr/bin/env node
// Builds the npm package from source into js/dist/ (git-ignored). Two wasm builds:
//   - portable: every algorithm in the wasm (revocable-wasm's default features). Browsers,
//     bundlers and workerd (the web glue), and Node verifiers with `hostCrypto: false` (the
//     Node glue, loaded on first use);
//   - node: what Node runs by default. revocable-wasm with `host-keys` instead of `ecdsa`/
//     `rsa`: EC and RSA keys are imported and prechecked by the core, their signature
//     arithmetic is Node's crypto.verify (which checks them anyway when host crypto is on);
//     EdDSA and HMAC stay in the wasm. Half the size: less to compile at a cold start.
// Steps, per build:
//   1. cargo rustc -p revocable-wasm --lib --crate-type cdylib --target wasm32-unknown-unknown
//      --profile release (the cdylib alone: see below; --profile picks another)
//   2. wasm-bindgen (the CLI pinned to the exact version in Cargo.lock) for its targets:
//      portable: nodejs (node.cjs), experimental-nodejs-module (node.mjs) and web (web.js;
//      workerd imports the .wasm as a module and calls initSync); node: nodejs
//      (node-host.cjs) and experimental-nodejs-module (node-host.mjs). The targets of one
//      build emit the same .wasm, so each build ships ONE wasm next to its glue files.
//   3. wasm-opt (npm binaryen) on that wasm.
// Then, for the package:
//   4. CommonJS bundles of the ESM source (esbuild) and .d.cts copies of the types.
//   5. The Node ESM entry bundled into one module (esbuild): dist/esm/node.mjs.
//
// Usage: node scripts/build.mjs [--check] [--features=a,b] [--no-default-features] [--out=DIR] [--opt=-O3]
//                                [--profile=release] [--panic-immediate-abort]
//   --check      only verify that a complete build exists (npm prepack)
//   --features   extra cargo features of revocable-wasm (measurements, size variants), for
//                both builds
//   --no-default-features  the portable build without revocable-wasm's default features (size
//                variants: make bench); the node build never has them
//   --out        output directory instead of js/dist
//   --opt        wasm-opt optimisation flag (default -O3; see README "Size")
//   --profile    cargo profile (default release). `release-small` (root Cargo.toml) is the size
//                variant's: smaller and slower, measured by `make bench` (docs/benchmarks.md
//                "Size"), never the shipped package
//   --panic-immediate-abort  size experiment, never shipped (docs/benchmarks.md "Size"): std
//                rebuilt (-Zbuild-std, needs `rustup component add rust-src`) with the
//                unstable panic strategy immediate-abort, on the stable toolchain through
//                RUSTC_BOOTSTRAP=1; a panic traps without formatting a message. Exits with
//                status 3 when rust-src is missing.
// Tools: WASM_BINDGEN_BIN (default <repo>/.tools/bin/wasm-bindgen), WASM_OPT_BIN (default
// <repo>/tools/node_modules/.bin/wasm-opt), ESBUILD_PACKAGE (default <repo>/tools/node_modules/esbuild).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { parseArgs } from './cli.mjs';

const JS = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(JS, '..');
const args = parseArgs();
const OUT = args.has('out') ? resolve(String(args.get('out'))) : join(JS, 'dist');
// The framework adapters: src/<name>.js, types/<name>.d.ts, revocable/<name>.
export const ADAPTERS = ['express', 'hono', 'fastify'];

// What the published package needs from dist/ (package.json "files" lists the same).
export const BUILT_FILES = [
  'wasm/revocable_wasm_bg.wasm',
  'wasm/node.cjs',
  'wasm/node.mjs',
  'wasm/web.js',
  'wasm/revocable_node_bg.wasm',
  'wasm/node-host.cjs',
  'wasm/node-host.mjs',
  'esm/node.mjs',
  'cjs/index.cjs',
  'cjs/index.d.cts',
  'cjs/http-auth.d.cts',
  ...ADAPTERS.flatMap((name) => [`cjs/${name}.cjs`, `cjs/${name}.d.cts`]),
];

function die(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function run(cmd, argv, options = {}) {
  const shown = [relative(process.cwd(), cmd) || cmd, ...argv].join(' ');
  console.log(`build: $ ${shown}`);
  const result = spawnSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.error) die(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) die(`${shown} exited with ${result.status}`);
  return result;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function lockedVersion(crate) {
  const lock = readFileSync(join(ROOT, 'Cargo.lock'), 'utf8');
  const match = new RegExp(`\\[\\[package\\]\\]\\nname = "${crate}"\\nversion = "([^"]+)"`).exec(lock);
  if (!match) die(`${crate} is not in Cargo.lock`);
  return match[1];
}

if (args.has('check')) {
const missing = BUILT_FILES.filter((file) => !existsSync(join(OUT, file)));
  if (missing.length) die(`incomplete build in ${OUT} (missing ${missing.join(', ')}): run \`npm run build\` or \`make build-js\``);
  console.log('build: dist/ is complete');
  process.exit(0);
}

// The two wasm builds (see the top of this file): cargo features, the wasm-bindgen output
// name (the glue loads `<name>_bg.wasm` from its own directory) and glue file per target.
const extraFeatures = args.has('features') ? String(args.get('features')).split(',').filter(Boolean) : [];
const WASM_BUILDS = [
  {
    id: 'portable',
    cargoFeatures: [
      ...(extraFeatures.length ? ['--features', extraFeatures.join(',')] : []),
      ...(args.has('no-default-features') ? ['--no-default-features'] : []),
    ],
    name: 'revocable_wasm',
    targets: { nodejs: 'node.cjs', 'experimental-nodejs-module': 'node.mjs', web: 'web.js' },
  },
  {
    id: 'node',
    cargoFeatures: ['--no-default-features', '--features', ['host-keys', ...extraFeatures].join(',')],
    name: 'revocable_node',
    targets: { nodejs: 'node-host.cjs', 'experimental-nodejs-module': 'node-host.mjs' },
  },
];

// 1. cargo (settings shared by both builds)
const profile = String(args.get('profile') ?? 'release');
if (!/^[a-z][a-z0-9-]*$/.test(profile) || profile === 'dev' || profile === 'test' || profile === 'bench') {
  die(`--profile=${profile}: a release profile of the root Cargo.toml is needed (release, release-small)`);
}
const cargoEnv = { ...process.env };
const buildStd = [];
if (args.has('panic-immediate-abort')) {
  const sysroot = spawnSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!existsSync(join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library', 'std'))) {
    console.error('build: --panic-immediate-abort needs the rust-src component (rustup component add rust-src)');
    process.exit(3);
  }
  // Unstable flags on the stable toolchain: a measurement, not the shipped build.
  cargoEnv.RUSTC_BOOTSTRAP = '1';
  cargoEnv.RUSTFLAGS = `${process.env.RUSTFLAGS ?? ''} -Zunstable-options -Cpanic=immediate-abort`.trim();
  buildStd.push('-Z', 'build-std=std,panic_abort');
}
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(ROOT, process.env.CARGO_TARGET_DIR) : join(ROOT, 'target');

// 2. wasm-bindgen, exactly the crate's version; 3. wasm-opt
const bindgen = process.env.WASM_BINDGEN_BIN ?? join(ROOT, '.tools', 'bin', 'wasm-bindgen');
if (!existsSync(bindgen)) die(`${bindgen} is missing: run \`make tools\` (cargo install wasm-bindgen-cli --root .tools)`);
const wanted = lockedVersion('wasm-bindgen');
const have = spawnSync(bindgen, ['--version'], { encoding: 'utf8' }).stdout?.trim();
if (have !== `wasm-bindgen ${wanted}`) die(`${bindgen} is "${have}", Cargo.lock has wasm-bindgen ${wanted}: they must match exactly`);
const wasmOpt = process.env.WASM_OPT_BIN ?? join(ROOT, 'tools', 'node_modules', '.bin', 'wasm-opt');
if (!existsSync(wasmOpt)) die(`${wasmOpt} is missing: run \`make tools\` (npm ci in tools/)`);
const optFlag = String(args.get('opt') ?? '-O3');

rmSync(OUT, { recursive: true, force: true });
const staging = join(OUT, '.bindgen');
mkdirSync(join(OUT, 'wasm'), { recursive: true });
for (const build of WASM_BUILDS) {
  console.log(`build: == the ${build.id} wasm (${build.cargoFeatures.join(' ') || 'default features'})`);
  // `cargo rustc --crate-type cdylib`, not `cargo build`: the crate is also an rlib (for native
  // tests and clippy), and for a crate that is built as an rlib too cargo silently leaves out
  // `-C lto` (rustc cannot LTO an rlib; rust-lang/cargo#9672, rust-lang/rust#51009), so
  // `cargo build` links the wasm without the release profile's LTO. Built alone, the cdylib
  // gets it: cross-crate inlining and dead-code removal, and the panic handler (a trap, see
  // crates/wasm/src/lib.rs) inlined into core's panic entry points, so that every panic
  // message, and the formatting code behind them, is dead code (docs/benchmarks.md "Size").
  run(
    'cargo',
    ['rustc', '-p', 'revocable-wasm', '--lib', '--crate-type', 'cdylib', '--target', 'wasm32-unknown-unknown', '--profile', profile, ...build.cargoFeatures, ...buildStd],
    { cwd: ROOT, env: cargoEnv },
  );
  const cargoWasm = join(targetDir, 'wasm32-unknown-unknown', profile, 'revocable_wasm.wasm');
  if (!existsSync(cargoWasm)) die(`cargo produced no ${cargoWasm}`);
  build.cargoBytes = statSync(cargoWasm).size;
  build.wasmFile = `${build.name}_bg.wasm`;
  let wasmHash;
  let bindgenDir;
  for (const [target, glueName] of Object.entries(build.targets)) {
    bindgenDir = join(staging, build.id, target);
    run(bindgen, ['--target', target, '--out-dir', bindgenDir, '--out-name', build.name, '--no-typescript', cargoWasm]);
    const hash = sha256(join(bindgenDir, build.wasmFile));
    if (wasmHash !== undefined && hash !== wasmHash) {
      die(`wasm-bindgen emitted a different .wasm for --target ${target}: the one-wasm-per-build layout no longer holds`);
    }
    wasmHash = hash;
    // The glue files keep loading `<name>_bg.wasm` from their own directory.
    const glue = readFileSync(join(bindgenDir, `${build.name}.js`), 'utf8').replace(/^\/\* @ts-self-types=.*\*\/\n/, '');
    writeFileSync(join(OUT, 'wasm', glueName), glue);
  }
  // Features come from the module's target_features section (reference types, bulk memory...).
  // No debug info or producers section in what ships.
  run(wasmOpt, [optFlag, '--strip-debug', '--strip-producers', join(bindgenDir, build.wasmFile), '-o', join(OUT, 'wasm', build.wasmFile)]);
}
rmSync(staging, { recursive: true, force: true });

// 4. CommonJS bundles and their types (esbuild; step 5 uses it too)
const esbuildPackage = process.env.ESBUILD_PACKAGE ?? join(ROOT, 'tools', 'node_modules', 'esbuild');
if (!existsSync(esbuildPackage)) die(`${esbuildPackage} is missing: run \`make tools\` (npm ci in tools/)`);
const esbuild = await import(pathToFileURL(join(esbuildPackage, 'lib', 'main.js')).href);
// The source imports each wasm build's Node glue as dist/wasm/<glue>.mjs; a bundle in
// dist/<format>/ keeps it as a module of its own next to the wasm it loads: ../wasm/<glue>.mjs
// (ESM) or ../wasm/<glue>.cjs (CommonJS: the same wasm, loaded with require).
const nodeGlue = (extension) => ({
  name: `revocable-node-glue-${extension}`,
  setup(build) {
    build.onResolve({ filter: /dist\/wasm\/node(-host)?\.mjs$/ }, ({ path }) => ({
      path: `../wasm/${/(node(?:-host)?)\.mjs$/.exec(path)[1]}.${extension}`,
      external: true,
    }));
  },
});
mkdirSync(join(OUT, 'cjs'), { recursive: true });
for (const [entry, outfile] of [
  ['src/entry/node.js', 'cjs/index.cjs'],
  ...ADAPTERS.map((name) => [`src/${name}.js`, `cjs/${name}.cjs`]),
]) {
  await esbuild.build({
    // The frameworks are the app's own (optional peer dependencies), never bundled copies.
    external: ['express', 'hono', 'hono/*', 'fastify'],
    entryPoints: [join(JS, entry)],
    outfile: join(OUT, outfile),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The portable glue is loaded on demand: `require` it, not `import()` (which CommonJS
    // test runners built on node:vm reject without their ESM flag).
    supported: { 'dynamic-import': false },
    plugins: [nodeGlue('cjs')],
    logLevel: 'warning',
    banner: { js: '// Generated by js/scripts/build.mjs from the ESM source in src/. Do not edit.' },
  });
}
copyFileSync(join(JS, 'types', 'index.d.ts'), join(OUT, 'cjs', 'index.d.cts'));
for (const name of ['http-auth', ...ADAPTERS]) {
  writeFileSync(
    join(OUT, 'cjs', `${name}.d.cts`),
    readFileSync(join(JS, 'types', `${name}.d.ts`), 'utf8').replace(/'\.\/([\w-]+)\.js'/g, "'./$1.cjs'"),
  );
}

// 5. Node's ES module entry (`import ... from 'revocable'` in Node) as one module. Node's ES
// module loader spends 0.7-1.3 ms on each module file of a cold start, and src/entry/node.js
// pulls in seven besides the glue: one file cuts `import` + createVerifier by ~3 ms
// (docs/benchmarks.md "Cold start"). The glue stays its own module next to the wasm it loads.
mkdirSync(join(OUT, 'esm'), { recursive: true });
await esbuild.build({
  entryPoints: [join(JS, 'src/entry/node.js')],
  outfile: join(OUT, 'esm', 'node.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [nodeGlue('mjs')],
  logLevel: 'warning',
  banner: { js: '// Generated by js/scripts/build.mjs from the ESM source in src/. Do not edit.' },
});

const missing = BUILT_FILES.filter((file) => !existsSync(join(OUT, file)));
if (missing.length) die(`build incomplete, missing ${missing.join(', ')}`);

// The wasm links no std and is LTO'd (crates/wasm/src/lib.rs "no_std", step 1): no panic
// message or location is left in it. A source path in it (a panic location: ".../src/x.rs")
// means that a panic's formatting came back, e.g. a build without LTO. (std itself cannot
// come back silently: with std in the graph, two panic handlers fail the link.) The `std`
// feature, and `measure-payload-object` which turns it on, link std's handler on purpose.
const withStd = extraFeatures.some((f) => f === 'std' || f === 'measure-payload-object');
// Sizes (raw, gzip -9, brotli -11) of each wasm, written to dist/sizes.json: the portable
// build's at the top level (what earlier builds wrote), the node build's under `node`.
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const sizeOf = (build) => {
  const bytes = readFileSync(join(OUT, 'wasm', build.wasmFile));
  if (!withStd) {
    const location = /[\w.\/-]*\/src\/[\w.\/-]*\.rs/.exec(bytes.toString('latin1'));
    if (location) die(`${build.wasmFile} holds a panic location (${location[0]}): panics format their messages again (no LTO? std linked?)`);
  }
  const size = {
    wasmOpt: optFlag,
    features: [...build.cargoFeatures, ...(buildStd.length ? ['panic=immediate-abort (build-std)'] : [])].join(' '),
    profile,
    rawBytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
    brotliBytes: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
    // The cargo artifact before wasm-bindgen (it still holds the bindings' descriptor sections).
    cargoBytes: build.cargoBytes,
  };
  const users = build.id === 'portable' ? 'browsers, workerd, Node with hostCrypto: false' : 'Node';
  console.log(
    `build: ${relative(JS, join(OUT, 'wasm', build.wasmFile))}: ${kb(size.rawBytes)} raw, ${kb(size.gzipBytes)} gzip, ${kb(size.brotliBytes)} brotli (${size.gzipBytes} B gzip; profile ${profile}, wasm-opt ${optFlag}; ${users})`,
  );
  return size;
};
const [portable, node] = WASM_BUILDS;
const sizes = { ...sizeOf(portable), node: sizeOf(node) };
writeFileSync(join(OUT, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
