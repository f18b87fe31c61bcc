// Node.js, ES module entry (`import ... from 'revocable'`). The wasm is compiled and
// instantiated synchronously when this module loads (wasm-bindgen's Node ESM output).
import { Verifier } from '../../dist/wasm/node.mjs';
import { bindRuntime } from '../verifier.js';

export const { createVerifier, initWasm } = bindRuntime({ Verifier, init: () => {} });
export { JwtError, RemoteSourceError } from '../errors.js';
export { decodeJwt } from '../decode.js';
