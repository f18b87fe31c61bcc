// The helpers shared by the cross-part suites (tests/issuer, tests/verifier, tests/e2e) and by
// the package's own tests (js/test/helpers.mjs): one import for all of them.

export * from './chromium.mjs';
export * from './common.mjs';
export * from './issuer.mjs';
export * from './make.mjs';
export * from './verifier.mjs';
