// The issuer harness lives in tests/lib/issuer.mjs; this path stays for js/bench/issuer-load.mjs.
export * from '../lib/common.mjs';
export * from '../lib/issuer.mjs';
