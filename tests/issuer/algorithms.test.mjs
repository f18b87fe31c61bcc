// The issuer's EC and RSA signing keys, which workerd's WebCrypto holds (the worker's core is
// built without ECDSA/RSA arithmetic: crates/issuer/src/host_keys.rs,
// crates/issuer/cdylib/src/webcrypto.js). For each EC and RSA algorithm as the active key, in
// real workerd: the access tokens it signs verify with jose and with the
// package `revocable` (host crypto and pure wasm), and RFC 7009 revocation by jti accepts a
// token of every other key in the set (WebCrypto verifies it) and ignores one whose signature
// is wrong. A key whose private and public halves differ stops the worker with a configuration
// error instead of signing.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignJWT, importJWK, jwtVerify, createLocalJWKSet } from 'jose';
import { ROOT, client, generateKeys, header, payload, startIssuer, tempDir } from '../lib/index.mjs';

const PORT = 18770;
const BUILT = existsSync(join(ROOT, 'js/dist/wasm/node.mjs'));

const CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** A private JWK for `alg` made by Node's crypto (an independent implementation). */
function privateJwk(alg) {
  const pair = CURVES[alg]
    ? generateKeyPairSync('ec', { namedCurve: CURVES[alg] })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg}-${randomUUID()}` };
}

function publicOf(jwk) {
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  return pub;
}

const ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const KEYS = Object.fromEntries(ALGS.map((alg) => [alg, privateJwk(alg)]));

const dir = tempDir('algorithms');
const base = generateKeys(dir);

/** An env file with keygen's service and feed keys and `signingKeys` as SIGNING_KEYS. */
function envFile(name, signingKeys) {
  const text = readFileSync(base.envFile, 'utf8').replace(
    /^SIGNING_KEYS=.*$/m,
    `SIGNING_KEYS='${JSON.stringify({ keys: signingKeys })}'`,
  );
  const file = join(dir, `${name}.vars`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

let running;
after(async () => {
  await running?.stop();
});

async function withIssuer(name, signingKeys, body, readyStatus = 200) {
  running = await startIssuer({ port: PORT, persistDir: join(dir, `state-${name}`), envFile: envFile(name, signingKeys), readyStatus });
  try {
    await body(running, client(running.url, base.serviceKey));
  } finally {
    await running.stop();
    running = undefined;
  }
}

/** An access token of this issuer for session `sid`, signed here with `jwk`. */
async function mint(url, jwk, sid) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid, sub: 'minted', jti: randomUUID() })
    .setProtectedHeader({ alg: jwk.alg, typ: 'at+jwt', kid: jwk.kid })
    .setIssuer(url)
    .setAudience('api')
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(await importJWK(jwk, jwk.alg));
}

/** The same token with one bit of its signature flipped. */
function tampered(token) {
  const [h, p, s] = token.split('.');
  const bytes = Buffer.from(s, 'base64url');
  bytes[bytes.length - 1] ^= 1;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

for (const active of ALGS) {
  test(`${active} as the active key: WebCrypto signs, and verifies every key's tokens for revocation`, async (t) => {
    const set = [KEYS[active], ...ALGS.filter((a) => a !== active).map((a) => KEYS[a])];
    await withIssuer(active.toLowerCase(), set, async (issuer, api) => {
      const jwks = (await api.call('GET', '/.well-known/jwks.json')).json;
      assert.deepEqual(
        jwks.keys.map((k) => [k.kid, k.alg, k.kty]),
        set.map((k) => [k.kid, k.alg, k.kty]),
        'every key published, in order',
      );
      jwks.keys.forEach((k, i) => {
        const pub = publicOf(set[i]);
        for (const member of ['kty', 'crv', 'x', 'y', 'n', 'e']) assert.equal(k[member], pub[member], `${k.kid} ${member}`);
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[member], undefined, `${k.kid} publishes no ${member}`);
      });

      const created = await api.createSession({ sub: `alg-${active}` });
      assert.equal(created.status, 201, created.text);
      const refreshed = await api.refresh(created.json.refresh_token);
      assert.equal(refreshed.status, 200, refreshed.text);
      for (const token of [created.json.access_token, refreshed.json.access_token]) {
        assert.deepEqual(header(token), { alg: active, typ: 'at+jwt', kid: KEYS[active].kid });
        const { payload: claims } = await jwtVerify(token, createLocalJWKSet(jwks), {
          issuer: issuer.url,
          audience: 'api',
          typ: 'at+jwt',
          algorithms: [active],
        });
        assert.equal(claims.sid, created.json.session_id);
      }
      if (!BUILT) t.diagnostic('js/dist not built: the package check is left out (make build-js)');
      if (BUILT) {
        const revocable = await import(pathToFileURL(join(ROOT, 'js/src/entry/node.js')).href);
        for (const hostCrypto of [true, false]) {
          const verifier = await revocable.createVerifier({ issuer: issuer.url, audience: 'api', typ: 'at+jwt', jwks, hostCrypto });
          try {
            assert.equal(verifier.verify(refreshed.json.access_token).sid, created.json.session_id, `hostCrypto ${hostCrypto}`);
          } finally {
            verifier.close();
          }
        }
      }

      // RFC 7009 by jti: the issuer verifies with the key the token names. A session of its own
      // per key: a session lists at most 8 revoked jti (then it ends instead).
      const revoked = [];
      const ignored = [];
      for (const alg of ALGS) {
        const sid = (await api.createSession({ sub: `minted-${alg}` })).json.session_id;
        const good = await mint(issuer.url, KEYS[alg], sid);
        const bad = tampered(await mint(issuer.url, KEYS[alg], sid));
        for (const [token, list] of [[good, revoked], [bad, ignored]]) {
          const res = await api.revoke(token);
          assert.equal(res.status, 200, res.text);
          list.push(payload(token).jti);
        }
      }
      const own = await api.revoke(refreshed.json.access_token);
      assert.equal(own.status, 200);
      revoked.push(payload(refreshed.json.access_token).jti);

      const listed = new Set((await api.feed()).json.jti.map((e) => e.id));
      for (const jti of revoked) assert.ok(listed.has(jti), `a valid token's jti is in the feed (${jti})`);
      for (const jti of ignored) assert.ok(!listed.has(jti), `a bad signature's jti is not (${jti})`);
    });
  });
}

test('an EC or RSA key whose halves differ stops the worker before it signs anything', async () => {
  const other = privateJwk('RS256');
  // WebCrypto imports this one (it does not check `n` against the primes): the probe refuses it.
  const rsa = { ...KEYS.RS256, n: other.n };
  const otherEc = privateJwk('ES256');
  const ec = { ...KEYS.ES256, x: otherEc.x, y: otherEc.y };
  for (const [name, bad] of [['rsa', rsa], ['ec', ec]]) {
    await withIssuer(`mismatch-${name}`, [bad], async (issuer, api) => {
      const res = await api.createSession({ sub: 'never' });
      assert.equal(res.status, 500);
      assert.deepEqual(Object.keys(res.json ?? {}).sort(), ['error', 'error_description']);
      // workerd's log reaches wrangler's output a moment after the answer.
      const logged = /configuration error: SIGNING_KEYS: an EC or RSA key does not import into WebCrypto/;
      for (let i = 0; i < 50 && !logged.test(issuer.output()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(issuer.output(), logged);
      for (const secret of [bad.d, bad.p, base.serviceKey]) {
        if (secret) assert.ok(!issuer.output().includes(secret), 'no key material in the log');
      }
    }, 500);
  }
});
