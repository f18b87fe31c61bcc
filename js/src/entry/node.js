// Node.js, ES module entry (`import ... from 'revocable'`). The wasm is compiled and
// instantiated synchronously when this module loads (wasm-bindgen's Node ESM output).
import * as crypto from 'node:crypto';
import { Verifier } from '../../dist/wasm/node.mjs';
import { bindRuntime } from '../verifier.js';

// Host crypto: Node's crypto.verify checks EdDSA/ES*/RS*/PS* signatures (src/host-crypto.js).
export const { createVerifier, initWasm } = bindRuntime({ Verifier, init: () => {}, crypto });
export { JwtError, RemoteSourceError } from '../errors.js';
export { decodeJwt } from '../decode.js';
