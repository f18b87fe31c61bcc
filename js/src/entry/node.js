// Node.js, ES module entry (`import ... from 'revocable'`). Two builds of the wasm verifier
// (js/scripts/build.mjs):
// - node-host: loaded with this module (compiled and instantiated synchronously, wasm-bindgen's
//   Node ESM output). Host crypto on, the default: EdDSA, ES* and RS*/PS* signatures are
//   checked by Node's crypto.verify (src/host-crypto.js). EC and RSA keys are imported and
//   prechecked by the core, but their arithmetic is not in this wasm: Node's crypto must take
//   every such key, or the key set is refused (ERR_JWK_INVALID), as the portable wasm refuses
//   a key that is not a point on its curve.
// - portable (every algorithm in the wasm, what browsers and workerd run): for verifiers with
//   `hostCrypto: false`, loaded on the first such createVerifier.
import * as crypto from 'node:crypto';
import { Verifier } from '../../dist/wasm/node-host.mjs';
import { bindRuntime } from '../verifier.js';

const hosted = bindRuntime({ Verifier, init: () => {}, crypto, keysNeedHost: true });
let portable;

/** @param {import('../../types/index.js').VerifierOptions} options */
async function createVerifier(options) {
  // Anything but `false` (including invalid options) takes the default build, whose option
  // checks report it.
  if (options?.hostCrypto !== false) return hosted.createVerifier(options);
  portable ??= import('../../dist/wasm/node.mjs').then(
    (glue) => bindRuntime({ Verifier: glue.Verifier, init: () => {}, crypto }),
    (err) => {
      portable = undefined;
      throw err;
    },
  );
  return (await portable).createVerifier(options);
}

export { createVerifier };
export const { initWasm } = hosted;
export { JwtError, RemoteSourceError } from '../errors.js';
export { decodeJwt } from '../decode.js';
