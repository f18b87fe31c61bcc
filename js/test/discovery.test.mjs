// Discovery (RFC 8414) against a stand-in issuer whose metadata can lie: the JWKS and feed
// URLs read from `${issuer}/.well-known/oauth-authorization-server`, explicit options winning,
// and every way the metadata can be wrong (another issuer, a redirect, a 5xx, not JSON, a
// missing or non-http URL, a 304 nobody asked for) refusing to start. Also the feed key
// (`feedKey`, its older name `serviceKey`) and the unconditional-304 rule of every fetch.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { RemoteSourceError, createVerifier } from 'revocable';
import { AUDIENCE, claims, nowSeconds, sign } from './helpers.mjs';
import { serverPerTest } from './local-server.mjs';

const FEED_KEY = 'discovery-feed-key';
const WELL_KNOWN = '/.well-known/oauth-authorization-server';
let metadata;
let mode;

const local = serverPerTest(
  (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === WELL_KNOWN) {
      if (mode === 'redirect') return void res.writeHead(302, { location: '/elsewhere' }).end();
      if (mode === '500') return void res.writeHead(500).end('{}');
      if (mode === '304') return void res.writeHead(304).end();
      if (mode === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
    }
    if (path === '/elsewhere') return void res.end(JSON.stringify(metadata));
    if (path === '/jwks' || path === '/other-jwks') {
      if (mode === 'jwks304') return void res.writeHead(304).end();
      return void res.end(JSON.stringify({ keys: [local.key.publicJwk] }));
    }
    if (path === '/feed' || path === '/other-feed') {
      if (req.headers.authorization !== `Bearer ${FEED_KEY}`) return void res.writeHead(401).end();
      if (mode === 'feed304') return void res.writeHead(304, { etag: '"v1"' }).end();
      return void res.writeHead(200, { etag: '"v1"' }).end(JSON.stringify({ generated_at: nowSeconds(), jti: [{ id: 'gone', exp: nowSeconds() + 300 }], sid: [], sub: [] }));
    }
    res.writeHead(404).end();
  },
);

beforeEach(() => {
  mode = 'ok';
  const { url } = local.server;
  metadata = { issuer: url, jwks_uri: `${url}/jwks`, revocation_feed_uri: `${url}/feed`, token_endpoint: `${url}/oauth/token` };
});

const discovered = (options = {}) => local.verifier({ issuer: local.server.url, ...options });

const hits = (path) => local.server.requests.filter((r) => r.url === path);

test('no key source: jwks_uri and revocation_feed_uri come from the metadata', async () => {
  const verifier = await discovered({ feedKey: FEED_KEY });
  const token = await sign(local.key, claims({ iss: local.server.url }));
  assert.equal(verifier.verify(token).sub, 'user-1');
  const revoked = await sign(local.key, claims({ iss: local.server.url, jti: 'gone' }));
  assert.throws(() => verifier.verify(revoked), { code: 'ERR_JWT_REVOKED' });
  const status = verifier.status();
  assert.equal(status.keys.url, `${local.server.url}/jwks`);
  assert.equal(status.revocations.url, `${local.server.url}/feed`);
  assert.equal(status.revocations.entries, 1);
  assert.equal(hits(WELL_KNOWN).length, 1);
  assert.equal(hits(WELL_KNOWN)[0].headers.authorization, undefined, 'the metadata request carries no credential');
});

test('an issuer array of one discovers too; a trailing slash is not doubled', async () => {
  const verifier = await discovered({ issuer: [local.server.url] });
  assert.equal(verifier.status().keys.url, `${local.server.url}/jwks`);
  metadata.issuer = `${local.server.url}/`;
  const slashed = await discovered({ issuer: `${local.server.url}/` });
  assert.equal(slashed.status().keys.url, `${local.server.url}/jwks`);
  assert.equal(hits(WELL_KNOWN).length, 2, hits(WELL_KNOWN).map((r) => r.url).join(' '));
});

test('without a feed key there is no feed: a browser or a verifier that only checks signatures', async () => {
  const verifier = await discovered();
  assert.equal(verifier.status().revocations, null);
  assert.equal(hits('/feed').length, 0);
});

test('explicit options win over the metadata', async () => {
  const verifier = await discovered({ revocationUri: `${local.server.url}/other-feed`, feedKey: FEED_KEY });
  assert.equal(verifier.status().revocations.url, `${local.server.url}/other-feed`);
  assert.equal(hits('/feed').length, 0);
  // With an explicit key source there is no discovery at all.
  const explicit = await discovered({ jwksUri: `${local.server.url}/other-jwks` });
  assert.equal(explicit.status().keys.url, `${local.server.url}/other-jwks`);
  assert.equal(hits(WELL_KNOWN).length, 1);
});

test('metadata naming another issuer is refused', async () => {
  for (const issuer of ['https://evil.test', `${local.server.url}/`, local.server.url.toUpperCase(), undefined]) {
    metadata.issuer = issuer;
    await assert.rejects(discovered(), (err) => {
      assert.ok(err instanceof RemoteSourceError, String(err));
      assert.equal(err.code, 'ERR_REMOTE_INVALID');
      assert.equal(err.source, 'metadata');
      assert.match(err.message, /"issuer" is not the configured issuer/);
      return true;
    });
  }
  assert.equal(hits('/jwks').length, 0, 'nothing a lying document names is fetched');
});

test('a redirect is not followed; a 500, a 304 and a non-JSON answer are refused', async () => {
  mode = 'redirect';
  await assert.rejects(discovered(), { name: 'RemoteSourceError', code: 'ERR_REMOTE_STATUS', status: 302, source: 'metadata' });
  assert.equal(hits('/elsewhere').length, 0);
  mode = '500';
  await assert.rejects(discovered(), { code: 'ERR_REMOTE_STATUS', status: 500, source: 'metadata', message: /issuer metadata fetch failed: http status 500/ });
  mode = '304';
  await assert.rejects(discovered(), { code: 'ERR_REMOTE_STATUS', status: 304, source: 'metadata' });
  mode = 'html';
  await assert.rejects(discovered(), { code: 'ERR_REMOTE_INVALID', source: 'metadata', message: /not json/ });
  await assert.rejects(createVerifier({ issuer: 'http://127.0.0.1:9', audience: AUDIENCE }), { code: 'ERR_REMOTE_UNREACHABLE', source: 'metadata' });
});

test('a missing or non-http jwks_uri or revocation_feed_uri is refused', async () => {
  const base = { ...metadata };
  for (const [change, pattern, options] of [
    [{ jwks_uri: undefined }, /no "jwks_uri"/, {}],
    [{ jwks_uri: 'file:///etc/passwd' }, /"jwks_uri" is not an http\(s\) URL/, {}],
    [{ jwks_uri: 42 }, /no "jwks_uri"/, {}],
    [{ revocation_feed_uri: undefined }, /no "revocation_feed_uri"/, { feedKey: FEED_KEY }],
    [{ revocation_feed_uri: 'javascript:alert(1)' }, /"revocation_feed_uri" is not an http\(s\) URL/, { feedKey: FEED_KEY }],
  ]) {
    metadata = { ...base, ...change };
    await assert.rejects(discovered(options), { code: 'ERR_REMOTE_INVALID', source: 'metadata', message: pattern });
  }
  metadata = [base];
  await assert.rejects(discovered(), { code: 'ERR_REMOTE_INVALID', message: /not a json object/ });
});

test('discovery needs one issuer that is an http(s) URL', async () => {
  await assert.rejects(createVerifier({ issuer: [local.server.url, 'https://b.test'], audience: AUDIENCE }), {
    name: 'TypeError',
    message: /discovery needs exactly one issuer/,
  });
  await assert.rejects(createVerifier({ issuer: 'my-issuer', audience: AUDIENCE }), { name: 'TypeError', message: /http\(s\) URL/ });
  assert.equal(hits(WELL_KNOWN).length, 0);
});

test('feedKey, and serviceKey as its older name (the same value only)', async () => {
  const byAlias = await discovered({ serviceKey: FEED_KEY });
  assert.equal(byAlias.status().revocations.entries, 1);
  const both = await discovered({ serviceKey: FEED_KEY, feedKey: FEED_KEY });
  assert.equal(both.status().revocations.entries, 1);
  await assert.rejects(discovered({ serviceKey: 'a', feedKey: FEED_KEY }), { name: 'TypeError', message: /feedKey and serviceKey/ });
  const jwks = { keys: [local.key.publicJwk] };
  await assert.rejects(createVerifier({ issuer: 'i', audience: 'a', jwks, feedKey: FEED_KEY }), { name: 'TypeError', message: /feedKey needs revocationUri/ });
  await assert.rejects(createVerifier({ issuer: 'i', audience: 'a', jwks, revocationUri: `${local.server.url}/feed` }), { name: 'TypeError', message: /feedKey/ });
  await assert.rejects(createVerifier({ issuer: 'i', audience: 'a', jwks, revocationIntervalMs: 100 }), { name: 'TypeError' });
  for (const bad of ['', 42]) {
    await assert.rejects(discovered({ feedKey: bad }), { name: 'TypeError', message: /feedKey must be a non-empty string/ });
  }
});

test('a 304 nobody asked for is an error: the first feed answer and any JWKS answer', async () => {
  mode = 'feed304';
  await assert.rejects(discovered({ feedKey: FEED_KEY }), (err) => {
    assert.ok(err instanceof RemoteSourceError);
    assert.equal(err.code, 'ERR_REMOTE_STATUS');
    assert.equal(err.status, 304);
    assert.equal(err.source, 'revocations');
    assert.match(err.message, /304 to a request without If-None-Match/);
    return true;
  });
  const first = hits('/feed')[0];
  assert.equal(first.headers['if-none-match'], undefined, 'the first feed request is unconditional');
  mode = 'jwks304';
  await assert.rejects(discovered(), { name: 'RemoteSourceError', code: 'ERR_REMOTE_STATUS', status: 304, source: 'jwks' });
});

test('jwksCooldownMs is at least 1000 ms', async () => {
  const jwks = { keys: [local.key.publicJwk] };
  for (const bad of [0, 999, -1, 1.5]) {
    await assert.rejects(createVerifier({ issuer: 'i', audience: 'a', jwks, jwksCooldownMs: bad }), {
      name: 'TypeError',
      message: /jwksCooldownMs must be a whole number of milliseconds from 1000/,
    });
  }
  (await createVerifier({ issuer: 'i', audience: 'a', jwks, jwksCooldownMs: 1000 })).close();
});
