#!/usr/bin/env node
// Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/ (git-ignored) from the
// shared test vectors (tests/vectors/*.json, tests/vectors/keys/*.jwk.json) plus a few
// hand-written inputs per target. Idempotent: files are named by the SHA-1 of their content, so
// running it again adds nothing, and what libFuzzer added to a corpus stays.
//
// Usage: node fuzz/scripts/seed-corpora.mjs [corpus root, default fuzz/corpus]
// The input formats are described in fuzz/README.md and at the top of each fuzz target.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'fuzz/corpus'));
// Same files, same order as VECTOR_FILES in fuzz/src/lib.rs: the token target picks a
// vector by its index in this concatenation.
const VECTOR_FILES = ['revocable', 'rfc7515', 'rfc7520', 'rfc7797', 'rfc8037'];

const vectors = VECTOR_FILES.flatMap(
  (name) => JSON.parse(readFileSync(join(ROOT, 'tests/vectors', `${name}.json`), 'utf8')).vectors,
);
if (vectors.length > 256) throw new Error('the token target indexes vectors with one byte');

const counts = {};
function seed(target, content) {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const dir = join(OUT, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, createHash('sha1').update(bytes).digest('hex')), bytes);
  counts[target] = (counts[target] ?? 0) + 1;
}

const unb64 = (segment) => {
  try {
    return Buffer.from(segment, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
};

// ---- token: [vector index][flags][now delta i16 LE] token --------------------------------
vectors.forEach((v, i) => {
  const token = Buffer.from(v.token, 'utf8');
  seed('token', Buffer.concat([Buffer.from([i, 0, 0, 0]), token]));
  // One second later, and at the far end of the clock.
  seed('token', Buffer.concat([Buffer.from([i, 0, 1, 0]), token]));
  if (i % 8 === 0) seed('token', Buffer.concat([Buffer.from([i, 0x80, 0, 0]), token]));
});

// ---- jwk: JSON text ---------------------------------------------------------------------
const keyDir = join(ROOT, 'tests/vectors/keys');
for (const name of readdirSync(keyDir).filter((f) => f.endsWith('.jwk.json'))) {
  const jwk = JSON.parse(readFileSync(join(keyDir, name), 'utf8'));
  seed('jwk', JSON.stringify(jwk));
  seed('jwk', JSON.stringify({ keys: [jwk] }));
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  seed('jwk', JSON.stringify(pub));
}
const seenSets = new Set();
for (const v of vectors) {
  const text = JSON.stringify(v.jwks);
  if (seenSets.has(text)) continue;
  seenSets.add(text);
  seed('jwk', text);
  for (const key of v.jwks.keys ?? []) seed('jwk', JSON.stringify(key));
}
for (const text of [
  '{}',
  '{"keys":[]}',
  '{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","alg":"HS256"}',
  '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}',
  '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["verify","verify"]}',
  '{"keys":[{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}',
]) seed('jwk', text);

// ---- claims_policy: now \n policy \n header \n claims --------------------------------------
for (const v of vectors) {
  const [h, p] = v.token.split('.');
  const header = unb64(h ?? '');
  const payload = unb64(p ?? '');
  let parsedHeader;
  try {
    parsedHeader = JSON.parse(header);
  } catch {
    continue;
  }
  if (typeof parsedHeader !== 'object' || parsedHeader === null || payload === undefined) continue;
  // The target signs with one HS256 key without a kid of the token's choosing.
  const { kid, ...rest } = parsedHeader;
  const hs = JSON.stringify({ ...rest, alg: 'HS256' });
  seed('claims_policy', `${v.now}\n${JSON.stringify(v.policy)}\n${hs}\n${payload}`);
}
const base = { iss: 'https://issuer.test', aud: 'api', sub: 'u', iat: 1700000000, exp: 1700000300 };
const plain = JSON.stringify({ issuer: 'https://issuer.test', audience: 'api' });
for (const [policy, claims] of [
  [plain, { ...base, exp: 1700000300.9, nbf: 1699999999.1, iat: 1699999999.5 }],
  [JSON.stringify({ issuer: ['a', 'https://issuer.test'], audience: ['x', 'api'], clockTolerance: 30, maxTokenAge: 60 }), { ...base, aud: ['api', 'b'] }],
  [JSON.stringify({ issuer: 'https://issuer.test', audience: 'api', requiredClaims: ['email', 'sub'], typ: 'application/at+jwt' }), { ...base, email: null }],
  [JSON.stringify({ issuer: 'https://issuer.test', audience: 'api', requireExp: false }), { iss: base.iss, aud: 'api', exp: 1e300, nbf: -1e300 }],
  [plain, { ...base, exp: 18446744073709551615, iat: -0.5 }],
  [plain, { ...base, exp: '1700000300' }],
]) {
  seed('claims_policy', `1700000100\n${policy}\n{"alg":"HS256","typ":"at+jwt"}\n${JSON.stringify(claims)}`);
}
seed('claims_policy', `1700000100\n${plain}\n{"alg":"HS256","crit":["exp"],"exp":1}\n${JSON.stringify(base)}`);
seed('claims_policy', `9223372036854775807\n${plain}\n{"alg":"HS256"}\n${JSON.stringify(base)}`);

// ---- revocation_feed: "tolerance now0" then steps "delta\nfeed" joined by "\n--\n" ----------
const feeds = vectors.filter((v) => v.revocations).map((v) => JSON.stringify(v.revocations));
for (const feed of feeds) seed('revocation_feed', `0 1700000000\n--\n0\n${feed}`);
const f1 = JSON.stringify({
  generated_at: 1000,
  jti: [{ id: 'j1', exp: 1300 }, { id: 'j2', exp: 1100 }],
  sid: [{ id: 's1', exp: 1360 }],
  sub: [{ id: 'u1', not_before: 1000, exp: 1300 }, { id: 'u1', not_before: 900, exp: 1200 }],
});
const f2 = JSON.stringify({ generated_at: 1200, jti: [], sid: [], sub: [] });
const f3 = JSON.stringify({ generated_at: 1250, jti: [{ id: 'j1', exp: 1250 }], sid: [{ id: 's2', exp: 1500 }] });
seed('revocation_feed', `0 1000\n--\n0\n${f1}\n--\n200\n${f2}\n--\n50\n${f3}\n--\n100\n`);
seed('revocation_feed', `60 1000\n--\n0\n${f1}\n--\n300\n${f2}\n--\n30\n{"generated_at":"x"}\n--\n31\n`);
seed('revocation_feed', `5 1000\n--\n0\n{"generated_at":1,"sid":[{"id":"","exp":5}]}\n--\n0\n${f3}`);

// ---- issuer_request: requests joined by "\n===\n" ---------------------------------------
const FORM = 'Content-Type: application/x-www-form-urlencoded';
const JSONCT = 'Content-Type: application/json';
const SK = 'Authorization: Bearer @SK@';
const requests = [
  `POST /oauth/token\n${FORM}\n\ngrant_type=refresh_token&refresh_token=@RT@`,
  `POST /oauth/token\n${FORM}\n\ngrant_type=refresh_token&refresh_token=@RT@&scope=read`,
  `POST /oauth/token\n${FORM}\n\ngrant_type=refresh_token&refresh_token=@RT@\n===\nPOST /oauth/token\n${FORM}\n\ngrant_type=refresh_token&refresh_token=@RT0@`,
  `POST /oauth/token\n${FORM}; charset=utf-8\n\ngrant_type=refresh_token&refresh_token=@RT@&refresh_token=@RT@`,
  `POST /oauth/token\nContent-Type: text/plain\n\ngrant_type=refresh_token&refresh_token=@RT@`,
  `POST /oauth/token\n${FORM}\n\ngrant_type=password&username=a`,
  `POST /oauth/token\n${FORM}\n\ngrant_type=refresh_token&refresh_token=%zz`,
  `POST /oauth/token\n${FORM}\n\n@TOOLARGE@`,
  `POST /oauth/token\n${FORM}\n\n@UNREADABLE@`,
  `POST /oauth/token\n${FORM}\n\ngrant_type=refresh_token&refresh_token=@AT@`,
  `POST /oauth/revoke\n${FORM}\n\ntoken=@RT@`,
  `POST /oauth/revoke\n${FORM}\n\ntoken=@AT@&token_type_hint=access_token`,
  `POST /oauth/revoke\n${FORM}\n\ntoken=`,
  `POST /v1/sessions\n${SK}\n${JSONCT}\n\n{"sub":"bob","scope":"read","claims":{"role":"x"}}`,
  `POST /v1/sessions\n${SK}\n${JSONCT}\n\n{"sub":"a\\r\\nSet-Cookie: x=1"}`,
  `POST /v1/sessions\n${SK}\n${JSONCT}\n\n{"sub":"a","claims":{"exp":1}}`,
  `POST /v1/sessions\n${SK}\n${JSONCT}\n\n{"sub":"a","claims":{"x":[[[[[[[[1]]]]]]]]}}`,
  `POST /v1/sessions\nAuthorization: Bearer wrong\n${JSONCT}\n\n{"sub":"a"}`,
  `POST /v1/sessions\n${SK}\n${JSONCT}\n\n{"sub":1e999}`,
  `DELETE /v1/sessions/@SID@\n${SK}\n\n`,
  `DELETE /v1/sessions/AAAAAAAAAAAAAAAAAAAAAA\n${SK}\n\n`,
  `GET /v1/users/alice/sessions\n${SK}\n\n`,
  `GET /v1/users/a%2Fb%00/sessions\n${SK}\n\n`,
  `POST /v1/users/alice/revoke\n${SK}\n\n`,
  `GET /v1/revocations\n${SK}\nIf-None-Match: W/"x", *\n\n`,
  `GET /v1/revocations\n${SK}\n\n`,
  `GET /.well-known/jwks.json\n\n`,
  `GET /.well-known/oauth-authorization-server\n\n`,
  `PUT /oauth/token\n\n`,
  `GET /nope\n\n`,
];
for (const r of requests) seed('issuer_request', r);

for (const [target, n] of Object.entries(counts)) console.log(`seed-corpora: ${target}: ${n} seeds -> ${join(OUT, target)}`);
