// The package README (js/README.md) is what an npm user reads first, so it is held to the code:
//   - its code blocks run, as written, against a stand-in issuer (metadata, JWKS and feed; only
//     the issuer's address is replaced by the test server's): the Express app over HTTP, the
//     Hono app through app.request() with a worker's env, the Fastify app through inject();
//   - its options table lists exactly the options createVerifier accepts, each also declared in
//     the TypeScript types;
//   - the RemoteSourceError codes and the adapters' error classes it names exist.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import express from 'express';
import * as fastify from 'fastify';
import * as hono from 'hono';
import * as honoCookie from 'hono/cookie';
import * as revocable from 'revocable';
import * as revocableExpress from 'revocable/express';
import * as revocableFastify from 'revocable/fastify';
import * as revocableHono from 'revocable/hono';
import { AUDIENCE, claims, keyPair, nowSeconds, serve, sign } from './helpers.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const SOURCE = (file) => readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
const TYPES = readFileSync(new URL('../types/index.d.ts', import.meta.url), 'utf8');
const README_ISSUER = 'http://127.0.0.1:8787';
const FEED_KEY = 'readme-feed-key';
const MODULES = {
  revocable,
  'revocable/express': revocableExpress,
  'revocable/hono': revocableHono,
  'revocable/fastify': revocableFastify,
  hono,
  'hono/cookie': honoCookie,
  fastify,
};

let key;
let issuer;

before(async () => {
  key = await keyPair('EdDSA', 'readme-1');
  issuer = await serve((req, res) => {
    if (req.url === '/.well-known/oauth-authorization-server') {
      const metadata = { issuer: issuer.url, jwks_uri: `${issuer.url}/.well-known/jwks.json`, revocation_feed_uri: `${issuer.url}/v1/revocations` };
      return void res.end(JSON.stringify(metadata));
    }
    if (req.url === '/.well-known/jwks.json') return void res.end(JSON.stringify({ keys: [key.publicJwk] }));
    if (req.url !== '/v1/revocations') return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${FEED_KEY}`) return void res.writeHead(401).end();
    const exp = nowSeconds() + 300;
    res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [{ id: 'jti-revoked', exp }], sid: [], sub: [] }));
  });
});

after(() => issuer.close());

/** The fenced js blocks of the README. */
function jsBlocks() {
  return [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/**
 * Splits a block into its import lines and the rest, and binds the imported names. Only the
 * named-import and default-import forms are used in the README; anything else fails here
 * rather than being run half-understood.
 */
function splitImports(block) {
  const bindings = {};
  const body = [];
  for (const line of block.split('\n')) {
    const named = /^import \{ ([\w, ]+) \} from '([\w/-]+)';$/.exec(line);
    const byDefault = /^import (\w+) from '([\w/-]+)';$/.exec(line);
    if (named) {
      assert.ok(MODULES[named[2]], `the README imports from ${named[2]}`);
      for (const name of named[1].split(',').map((n) => n.trim())) {
        assert.ok(name in MODULES[named[2]], `${named[2]} exports ${name}`);
        bindings[name] = MODULES[named[2]][name];
      }
    } else if (byDefault) {
      assert.ok(MODULES[byDefault[2]]?.default, `the README imports the default export of ${byDefault[2]}`);
      bindings[byDefault[1]] = MODULES[byDefault[2]].default;
    } else {
      assert.ok(!line.startsWith('import'), `an import the test cannot run: ${line}`);
      body.push(line);
    }
  }
  return { bindings, body: body.join('\n') };
}

/** Runs `body` as an async function of `scope`'s names, returning `names` from it. */
function runBlock(body, scope, names) {
  const source = `${body.replaceAll(README_ISSUER, issuer.url)}\nreturn { ${names.join(', ')} };`;
  const AsyncFunction = (async () => {}).constructor;
  return new AsyncFunction(...Object.keys(scope), source)(...Object.values(scope));
}

test('js/README.md has three js blocks, each run below', () => {
  assert.equal(jsBlocks().length, 3, 'a new js block needs a test here');
});

/**
 * What the Express and the Hono block's apps both answer: GET /api/me with `token` (whose
 * subject is `sub`), without a token and with a revoked one; DELETE /api/things/42 with `token`
 * (scope write) and with a read-only token. `call(method, path, token?)` returns a fetch
 * Response. Returns the answers whose details differ between the two apps, bodies unread.
 */
async function checkApi(call, token, sub) {
  const me = await call('GET', '/api/me', token);
  assert.equal(me.status, 200);
  assert.equal((await me.json()).sub, sub);
  const missing = await call('GET', '/api/me');
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');
  const revoked = await call('GET', '/api/me', await sign(key, claims({ iss: issuer.url, jti: 'jti-revoked' })));
  assert.equal(revoked.status, 401);
  const deleted = await call('DELETE', '/api/things/42', token);
  assert.equal(deleted.status, 200);
  assert.deepEqual(await deleted.json(), { deleted: '42' });
  const refused = await call('DELETE', '/api/things/42', await sign(key, claims({ iss: issuer.url, scope: 'read' })));
  assert.equal(refused.status, 403);
  return { missing, revoked, refused };
}

test('the first code block runs as written: an Express app with discovery, requireAuth, requireScope and the feed', async (t) => {
  const { bindings, body } = splitImports(jsBlocks()[0]);
  assert.ok(body.includes(README_ISSUER), 'the block configures the local issuer');

  // The block ends by closing the verifier; the requests go in between.
  const lines = body.trimEnd().split('\n');
  const last = lines.pop();
  assert.match(last, /^verifier\.close\(\);/, 'the block ends with verifier.close()');

  const app = express();
  app.set('env', 'test');
  const handler = (req, res) => res.json({ deleted: req.params.id });
  const token = await sign(key, claims({ iss: issuer.url, aud: AUDIENCE, sub: 'readme-user', scope: 'read write' }));
  const scope = {
    ...bindings,
    app,
    handler,
    token,
    process: { env: { FEED_KEY } },
  };
  const { verifier, claims: verified } = await runBlock(lines.join('\n'), scope, ['verifier', 'claims']);
  t.after(() => verifier.close());

  assert.equal(verified.sub, 'readme-user');
  const status = verifier.status();
  assert.equal(status.keys.source, 'jwksUri');
  assert.equal(status.keys.url, `${issuer.url}/.well-known/jwks.json`, 'discovered');
  assert.equal(status.revocations.entries, 1, 'the first feed snapshot was loaded with the feed key');

  const listener = app.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.after(() => listener.close());
  const base = `http://127.0.0.1:${listener.address().port}`;
  const call = (method, path, bearer) =>
    fetch(`${base}${path}`, { method, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  const { revoked, refused } = await checkApi(call, token, 'readme-user');
  assert.match(revoked.headers.get('www-authenticate'), /error="invalid_token", error_description="token revoked \(by 'jti'\)"/);
  assert.match(refused.headers.get('www-authenticate'), /error="insufficient_scope"/);

  // The block's last line.
  new Function('verifier', last)(verifier);
  assert.equal(verifier.status().closed, true);
});

test('the Hono block runs as written: a worker app with a cookie token, through app.request()', async () => {
  const { bindings, body } = splitImports(jsBlocks()[1]);
  const { app } = await runBlock(body, bindings, ['app']);
  const env = { FEED_KEY };
  const token = await sign(key, claims({ iss: issuer.url, scope: 'read write' }));
  const call = (method, path, cookie) => app.request(path, { method, headers: cookie ? { cookie: `access_token=${cookie}` } : {} }, env);

  const { missing, revoked } = await checkApi(call, token, 'user-1');
  assert.deepEqual(await missing.json(), { error: 'unauthorized', error_description: 'no bearer token' });
  assert.equal((await revoked.json()).code, 'ERR_JWT_REVOKED');
});

test('the Fastify block runs as written: required, scoped and optional auth, through inject()', async (t) => {
  const { bindings, body } = splitImports(jsBlocks()[2]);
  const { fastify: app, verifier } = await runBlock(body, { ...bindings, process: { env: { FEED_KEY } } }, ['fastify', 'verifier']);
  t.after(() => {
    verifier.close();
    return app.close();
  });
  const token = await sign(key, claims({ iss: issuer.url, scope: 'admin' }));
  const get = (url, bearer) => app.inject({ method: 'GET', url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  assert.equal((await get('/api/me', token)).json().sub, 'user-1');
  const missing = await get('/api/me');
  assert.equal(missing.statusCode, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer realm="api"');
  assert.equal((await get('/api/admin', token)).statusCode, 200);
  assert.equal((await get('/api/admin', await sign(key, claims({ iss: issuer.url, scope: 'read' })))).statusCode, 403);
  assert.deepEqual((await get('/')).json(), { hello: 'stranger' });
  assert.deepEqual((await get('/', token)).json(), { hello: 'user-1' });
  assert.equal((await get('/', 'not.a.token')).statusCode, 401, 'optional still refuses a bad token');
});

/** Option names in the README's options table (first column of the table after its heading). */
function readmeOptions() {
  const section = README.split('## createVerifier(options)')[1].split('\n## ')[0];
  return [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
}

test('the options table lists exactly the options createVerifier accepts, all typed', async () => {
  const documented = readmeOptions();
  const known = [...SOURCE('options.js').split('const KNOWN = new Set([')[1].split(']);')[0].matchAll(/'(\w+)'/g)].map((m) => m[1]);
  assert.ok(known.length >= 20, `${known.length} known options read from src/options.js`);
  assert.deepEqual([...documented].sort(), [...known].sort(), 'README options table vs src/options.js');
  for (const name of documented) assert.match(TYPES, new RegExp(`\\b${name}\\??: `), `types/index.d.ts declares ${name}`);

  // And the validator really takes them: a documented name is never "unknown" (each is given a
  // value of the wrong type, so creation fails, but on that option's own check).
  const base = { issuer: 'https://issuer.test', audience: AUDIENCE, jwks: key.publicJwk };
  for (const name of documented) {
    const options = { ...base, [name]: Symbol('wrong type') };
    await assert.rejects(revocable.createVerifier(options), (err) => {
      assert.ok(err instanceof TypeError, `${name}: ${err}`);
      assert.doesNotMatch(err.message, /unknown option/, name);
      return true;
    });
  }
  await assert.rejects(revocable.createVerifier({ ...base, audiences: AUDIENCE }), /unknown option "audiences"/);
});

test('the error codes and classes the README names exist', () => {
  const remote = SOURCE('remote.js');
  const codes = new Set(README.match(/`ERR_REMOTE_[A-Z_]+`/g).map((c) => c.slice(1, -1)));
  assert.ok(codes.size >= 5, [...codes].join(' '));
  for (const code of codes) assert.ok(remote.includes(`'${code}'`), `src/remote.js raises ${code}`);
  for (const name of ['UnauthorizedError', 'InvalidRequestError', 'InvalidTokenError', 'InsufficientScopeError', 'TemporarilyUnavailableError']) {
    assert.ok(README.includes(`\`${name}\``), `README names ${name}`);
    for (const [adapter, mod] of Object.entries({ revocableExpress, revocableHono, revocableFastify })) {
      assert.equal(typeof mod[name], 'function', `${adapter} exports ${name}`);
    }
  }
  for (const name of ['createVerifier', 'JwtError', 'RemoteSourceError', 'decodeJwt', 'initWasm']) {
    assert.equal(typeof revocable[name], 'function', `revocable exports ${name}`);
  }
});
