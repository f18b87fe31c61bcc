// The package README (js/README.md) is what an npm user reads first, so it is held to the code:
//   - its code block runs, as written, in a real Express 5 app against a local JWKS and feed
//     (only the issuer's address is replaced by the test server's);
//   - its options table lists exactly the options createVerifier accepts, each also declared in
//     the TypeScript types;
//   - the RemoteSourceError codes and the Express error classes it names exist.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import express from 'express';
import * as revocable from 'revocable';
import * as revocableExpress from 'revocable/express';
import { AUDIENCE, claims, keyPair, nowSeconds, serve, sign } from './helpers.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const SOURCE = (file) => readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
const TYPES = readFileSync(new URL('../types/index.d.ts', import.meta.url), 'utf8');
const README_ISSUER = 'http://127.0.0.1:8787';
const SERVICE_KEY = 'readme-service-key';

let key;
let issuer;

before(async () => {
  key = await keyPair('EdDSA', 'readme-1');
  issuer = await serve((req, res) => {
    if (req.url === '/.well-known/jwks.json') return void res.end(JSON.stringify({ keys: [key.publicJwk] }));
    if (req.url !== '/v1/revocations') return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${SERVICE_KEY}`) return void res.writeHead(401).end();
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
 * Splits a block into its import lines ({ names, from }) and the rest. Only the named-import
 * form is used in the README; anything else fails here rather than being run half-understood.
 */
function splitImports(block) {
  const imports = [];
  const body = [];
  for (const line of block.split('\n')) {
    const m = /^import \{ ([\w, ]+) \} from '([\w/-]+)';$/.exec(line);
    if (m) imports.push({ names: m[1].split(',').map((n) => n.trim()), from: m[2] });
    else {
      assert.ok(!line.startsWith('import'), `an import the test cannot run: ${line}`);
      body.push(line);
    }
  }
  return { imports, body: body.join('\n') };
}

test('the code block runs as written: an Express app with requireAuth, requireScope and the feed', async (t) => {
  const blocks = jsBlocks();
  assert.equal(blocks.length, 1, 'js/README.md has one js block; a new one needs a test here');
  const { imports, body } = splitImports(blocks[0]);
  const modules = { revocable, 'revocable/express': revocableExpress };
  const bindings = {};
  for (const { names, from } of imports) {
    assert.ok(modules[from], `the README imports from ${from}`);
    for (const name of names) {
      assert.ok(name in modules[from], `${from} exports ${name}`);
      bindings[name] = modules[from][name];
    }
  }
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
    process: { env: { ISSUER_SERVICE_KEY: SERVICE_KEY } },
  };
  const source = `${lines.join('\n').replaceAll(README_ISSUER, issuer.url)}\nreturn { verifier, claims };`;
  const AsyncFunction = (async () => {}).constructor;
  const run = new AsyncFunction(...Object.keys(scope), source);
  const { verifier, claims: verified } = await run(...Object.values(scope));
  t.after(() => verifier.close());

  assert.equal(verified.sub, 'readme-user');
  const status = verifier.status();
  assert.equal(status.keys.source, 'jwksUri');
  assert.equal(status.revocations.entries, 1, 'the first feed snapshot was loaded with the service key');

  const listener = app.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.after(() => listener.close());
  const base = `http://127.0.0.1:${listener.address().port}`;
  const call = (method, path, bearer) =>
    fetch(`${base}${path}`, { method, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  const me = await call('GET', '/api/me', token);
  assert.equal(me.status, 200);
  assert.equal((await me.json()).sub, 'readme-user');

  const missing = await call('GET', '/api/me');
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');

  const revoked = await call('GET', '/api/me', await sign(key, claims({ iss: issuer.url, jti: 'jti-revoked' })));
  assert.equal(revoked.status, 401);
  assert.match(revoked.headers.get('www-authenticate'), /error="invalid_token", error_description="token revoked \(by 'jti'\)"/);

  const deleted = await call('DELETE', '/api/things/42', token);
  assert.equal(deleted.status, 200);
  assert.deepEqual(await deleted.json(), { deleted: '42' });
  const readOnly = await sign(key, claims({ iss: issuer.url, scope: 'read' }));
  const refused = await call('DELETE', '/api/things/42', readOnly);
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('www-authenticate'), /error="insufficient_scope"/);

  // The block's last line.
  new Function('verifier', last)(verifier);
  assert.equal(verifier.status().closed, true);
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
  for (const name of ['UnauthorizedError', 'InvalidRequestError', 'InvalidTokenError', 'InsufficientScopeError']) {
    assert.ok(README.includes(`\`${name}\``), `README names ${name}`);
    assert.equal(typeof revocableExpress[name], 'function', `revocable/express exports ${name}`);
  }
  for (const name of ['createVerifier', 'JwtError', 'RemoteSourceError', 'decodeJwt', 'initWasm']) {
    assert.equal(typeof revocable[name], 'function', `revocable exports ${name}`);
  }
});
