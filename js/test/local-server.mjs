// The fixture of the suites that test verifiers against a local HTTP server standing in for
// an issuer (its metadata, JWKS or revocation feed): a fresh server for each test, and every
// verifier a test made closed after it, then the server.
import { afterEach, beforeEach } from 'node:test';
import { createVerifier } from 'revocable';
import { AUDIENCE, ISSUER, keyPair, serve } from './helpers.mjs';

/**
 * Registers an afterEach hook in the calling file that closes, last first, everything handed
 * to the returned function during the test (verifiers, servers from serve()). The returned
 * function gives back what it was handed.
 */
export function closeAfterEach() {
  const open = [];
  afterEach(async () => {
    while (open.length) await open.pop().close();
  });
  return (closable) => {
    open.push(closable);
    return closable;
  };
}

/**
 * Registers the calling file's hooks: before each test `reset()` (the file's own state), then
 * a server answering with `handler` (serve()); after it, the verifiers from `verifier()` and
 * the servers are closed. Returns the fixture: `server` is the current test's server, `key`
 * the stand-in issuer's signing key (EdDSA, kid `k1`; one for the whole file).
 */
export function serverPerTest(handler, reset = () => {}) {
  const closeLater = closeAfterEach();
  const fixture = {
    server: undefined,
    key: undefined,
    /** createVerifier() for ISSUER and AUDIENCE unless `options` name others. */
    async verifier(options) {
      return closeLater(await createVerifier({ issuer: ISSUER, audience: AUDIENCE, ...options }));
    },
    /** Starts the server again, on its port, after a test closed it. */
    async restart() {
      fixture.server = closeLater(await serve(handler, { port: fixture.server.port }));
    },
  };
  beforeEach(async () => {
    fixture.key ??= await keyPair('EdDSA', 'k1');
    await reset();
    fixture.server = closeLater(await serve(handler));
  });
  return fixture;
}
