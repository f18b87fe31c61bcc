// Cloudflare Workers / workerd (selected by the `workerd` export condition, which wrangler
// sets). Workers cannot compile wasm from bytes at runtime; they import `.wasm` files as
// precompiled WebAssembly.Module objects, which wrangler bundles. The module is instantiated
// on first use (createVerifier), never at import time, so nothing runs in global scope.
import { initSync, Verifier } from '../../dist/wasm/web.js';
import wasmModule from '../../dist/wasm/revocable_wasm_bg.wasm';
import { bindRuntime } from '../verifier.js';

export const { createVerifier, initWasm } = bindRuntime({
  Verifier,
  init: () => {
    initSync({ module: wasmModule });
  },
  // Host crypto where the worker enables Node compatibility (`nodejs_compat`): reached through
  // process.getBuiltinModule, so that a worker without the flag still bundles and runs (the
  // wasm code checks signatures then).
  crypto: globalThis.process?.getBuiltinModule?.('node:crypto'),
});
export { JwtError, RemoteSourceError } from '../errors.js';
export { decodeJwt } from '../decode.js';
