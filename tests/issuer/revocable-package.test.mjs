// The issuer's JWKS and revocation feed consumed by the npm package `revocable` (js/, built by
// `make build-js`; `make test` builds it before these tests run): the issuer's wire formats
// and the verifier's parser agree, and a logout reaches an access token the verifier holds.
// Skipped, visibly, when the package has not been built.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, issuerForFile } from '../lib/index.mjs';

const PORT = 18760;
const BUILT = existsSync(join(ROOT, 'js/dist/wasm/node.mjs'));
const skip = BUILT ? false : 'js/dist not built (run `make build-js`)';
let issuer;
let revocable;
let verifier;

before(async () => {
  if (!BUILT) return;
  revocable = await import(pathToFileURL(join(ROOT, 'js/src/entry/node.js')).href);
  issuer = await issuerForFile('package', PORT);
  verifier = await revocable.createVerifier({
    issuer: issuer.url,
    audience: 'api',
    typ: 'at+jwt',
    jwksUri: `${issuer.url}/.well-known/jwks.json`,
    revocationUri: `${issuer.url}/v1/revocations`,
    serviceKey: issuer.keys.serviceKey,
    revocationIntervalMs: 100,
  });
});

after(async () => {
  verifier?.close();
  await issuer?.stop();
});

/** Polls `verify` until it throws ERR_JWT_REVOKED; returns the error and the time taken. */
async function untilRevoked(token, budgetMs = 3000) {
  const t0 = Date.now();
  for (;;) {
    try {
      verifier.verify(token);
    } catch (err) {
      if (err.code === 'ERR_JWT_REVOKED') return { err, ms: Date.now() - t0 };
      throw err;
    }
    if (Date.now() - t0 > budgetMs) throw new Error(`token still accepted after ${budgetMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('revocable verifies the issuer\'s access tokens and sees each kind of revocation', { skip }, async (t) => {
  const api = issuer.api;
  const sub = `pkg-${process.pid}`;

  const one = (await api.createSession({ sub, scope: 'read', claims: { role: 'user' } })).json;
  const claims = verifier.verify(one.access_token);
  assert.equal(claims.sub, sub);
  assert.equal(claims.sid, one.session_id);
  assert.equal(claims.role, 'user');

  // Logout of one session: sid.
  assert.equal((await api.endSession(one.session_id)).status, 204);
  const bySid = await untilRevoked(one.access_token);
  assert.equal(bySid.err.claim, 'sid');

  // RFC 7009 on an access token: jti.
  const two = (await api.createSession({ sub })).json;
  verifier.verify(two.access_token);
  assert.equal((await api.revoke(two.access_token)).status, 200);
  const byJti = await untilRevoked(two.access_token);
  assert.equal(byJti.err.claim, 'jti');

  // Logout everywhere: sid (same-second tokens) or sub (earlier ones).
  const three = (await api.createSession({ sub })).json;
  verifier.verify(three.access_token);
  assert.equal((await api.logoutEverywhere(sub)).status, 200);
  const everywhere = await untilRevoked(three.access_token);
  assert.ok(['sid', 'sub'].includes(everywhere.err.claim), everywhere.err.claim);

  // A login after that is accepted.
  const four = (await api.createSession({ sub })).json;
  assert.equal(verifier.verify(four.access_token).sid, four.session_id);

  const line = `revocation reached revocable (feed polled every 100 ms): sid ${bySid.ms} ms, jti ${byJti.ms} ms, logout-everywhere ${everywhere.ms} ms`;
  t.diagnostic(line);
  console.log(`# ${line}`);
});
