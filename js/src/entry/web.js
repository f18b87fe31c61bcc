// Browsers and bundlers (and any runtime with fetch and ES modules). The wasm is loaded on
// first use: createVerifier() awaits initWasm(), which by default fetches
// `revocable_wasm_bg.wasm` next to this build (`new URL(..., import.meta.url)`, which Vite,
// webpack 5 and Parcel turn into an asset). Where the bundler does not copy it (esbuild),
// serve `revocable/revocable.wasm` yourself and call `initWasm(urlOrModuleOrBytes)` first.
import init, { Verifier } from '../../dist/wasm/web.js';
import { bindRuntime } from '../verifier.js';

export const { createVerifier, initWasm } = bindRuntime({
  Verifier,
  init: (source) => init(source === undefined ? undefined : { module_or_path: source }),
  // The metadata, the JWKS and the feed are public documents or need only the feed key: a
  // page's cookies and its URL (the referrer) are none of the issuer's business.
  fetchInit: { credentials: 'omit', referrerPolicy: 'no-referrer' },
});
export { JwtError, RemoteSourceError } from '../errors.js';
export { decodeJwt } from '../decode.js';
