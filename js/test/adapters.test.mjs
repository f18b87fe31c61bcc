// revocable/express, revocable/hono and revocable/fastify against the real frameworks, each
// over its own request machinery: Express over HTTP, Hono through app.request(), Fastify
// through inject() and over HTTP. One table of cases runs against every one of them: no
// token, good token, bad signature, expired, revoked, missing scope, malformed header,
// optional auth, getToken from a cookie, a stale feed (503), an unknown kid during a key
// rotation, and the framework's own error handling customising the answer.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createVerifier } from 'revocable';
import * as forExpress from 'revocable/express';
import * as forFastify from 'revocable/fastify';
import * as forHono from 'revocable/hono';
import { AUDIENCE, ISSUER, claims, keyPair, nowSeconds, serve, sign, sleep, waitFor } from './helpers.mjs';

const FEED_KEY = 'adapters-feed-key';
const INTERVAL_MS = 100;
const MAX_STALENESS_MS = 400;

let key;
let rotated;
let published;
let feedDown = false;
let issuer;
let verifier;
let staleVerifier;

before(async () => {
  key = await keyPair('EdDSA', 'k1');
  rotated = await keyPair('EdDSA', 'k2');
  published = { keys: [key.publicJwk] };
  issuer = await serve((req, res) => {
    if (req.url === '/jwks') return void res.end(JSON.stringify(published));
    if (req.url !== '/feed' || req.headers.authorization !== `Bearer ${FEED_KEY}`) return void res.writeHead(404).end();
    if (feedDown) return void res.writeHead(503).end();
    const exp = nowSeconds() + 300;
    res.end(JSON.stringify({ generated_at: nowSeconds(), jti: [{ id: 'revoked-jti', exp }], sid: [], sub: [] }));
  });
  const options = { issuer: ISSUER, audience: AUDIENCE, jwksUri: `${issuer.url}/jwks`, revocationUri: `${issuer.url}/feed`, feedKey: FEED_KEY };
  verifier = await createVerifier({ ...options, revocationIntervalMs: 60_000 });
  staleVerifier = await createVerifier({
    ...options,
    revocationIntervalMs: INTERVAL_MS,
    maxRevocationStalenessMs: MAX_STALENESS_MS,
    onError: () => {},
  });
});

after(async () => {
  verifier.close();
  staleVerifier.close();
  await issuer.close();
});

const cookieToken = (header) => /(?:^|;\s*)at=([^;]*)/.exec(header ?? '')?.[1];

/** A stand-in for the verifier `verifierFor()` returns at the time of each call. */
const swappable = (verifierFor) =>
  new Proxy(
    {},
    {
      get(_, name) {
        const target = verifierFor();
        const value = target[name];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    },
  );

/**
 * The same routes in each framework. `verifierFor()` is read per request (the rotation case
 * swaps in a verifier of its own). Each app has /custom, whose errors go to the framework's
 * own error handling, which answers `{ custom: true, status, jwt }`.
 */
const routes = (mod, getCookie) => (verifierFor) => ({
  me: mod.requireAuth({ verifier: swappable(verifierFor) }),
  stale: mod.requireAuth({ verifier: staleVerifier }),
  optional: mod.requireAuth({ verifier, optional: true }),
  cookie: mod.requireAuth({ verifier, getToken: (req) => cookieToken(getCookie(req)) }),
  scope: mod.requireScope('admin', 'write'),
  custom: mod.requireAuth({ verifier, realm: 'custom' }),
});

/** The routes of each app but /custom: path -> the names (in routes()) of its handlers, in order. */
const ROUTES = {
  '/me': ['me'],
  '/admin': ['me', 'scope'],
  '/stale': ['stale'],
  '/optional': ['optional'],
  '/optional-admin': ['optional', 'scope'],
  '/cookie': ['cookie'],
};
const handlers = (r, names) => names.map((name) => r[name]);

const drivers = {
  async express(verifierFor) {
    const r = routes(forExpress, (req) => req.headers.cookie)(verifierFor);
    const app = express();
    app.set('env', 'test');
    const reply = (req, res) => res.json({ auth: req.auth ?? null });
    for (const [path, names] of Object.entries(ROUTES)) app.get(path, ...handlers(r, names), reply);
    app.get('/custom', r.custom, reply);
    // The app's JSON answer (Express's default handler answers with status and headers, and
    // an HTML body); /custom's handler is the app's own.
    app.use((err, req, res, next) => {
      if (!(err instanceof forExpress.UnauthorizedError)) return next(err);
      if (req.path === '/custom') return void res.status(418).json({ custom: true, status: err.status, jwt: err.cause?.code ?? null });
      res.status(err.status).set(err.headers).json(err.body);
    });
    const listener = app.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const base = `http://127.0.0.1:${listener.address().port}`;
    return {
      request: (path, headers) => fetchJson(base + path, headers),
      close: () => new Promise((resolve) => listener.close(resolve)),
    };
  },

  async 'express (default error handler)'(verifierFor) {
    const r = routes(forExpress, (req) => req.headers.cookie)(verifierFor);
    const app = express();
    app.set('env', 'test');
    app.get('/me', r.me, (req, res) => res.json({ auth: req.auth }));
    app.get('/admin', r.me, r.scope, (req, res) => res.json({ auth: req.auth }));
    const listener = app.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const base = `http://127.0.0.1:${listener.address().port}`;
    return {
      defaultHandler: true,
      request: (path, headers) => fetchJson(base + path, headers),
      close: () => new Promise((resolve) => listener.close(resolve)),
    };
  },

  async hono(verifierFor) {
    const r = routes(forHono, (c) => c.req.header('cookie'))(verifierFor);
    const app = new Hono();
    const reply = (c) => c.json({ auth: c.get('auth') ?? null });
    for (const [path, names] of Object.entries(ROUTES)) app.get(path, ...handlers(r, names), reply);
    app.get('/custom', r.custom, reply);
    app.onError((err, c) => {
      if (c.req.path === '/custom' && err instanceof HTTPException) {
        return c.json({ custom: true, status: err.status, jwt: err.cause?.cause?.code ?? null }, 418);
      }
      return err instanceof HTTPException ? err.getResponse() : c.text('server error', 500);
    });
    return {
      request: async (path, headers = {}) => {
        const res = await app.request(path, { headers });
        return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
      },
      close: async () => {},
    };
  },

  async 'fastify (inject)'(verifierFor) {
    const app = await fastifyApp(verifierFor);
    return {
      request: async (path, headers = {}) => {
        const res = await app.inject({ method: 'GET', url: path, headers });
        return { status: res.statusCode, headers: new Headers(res.headers), body: safeJson(res.body) };
      },
      close: () => app.close(),
    };
  },

  async 'fastify (http)'(verifierFor) {
    const app = await fastifyApp(verifierFor);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${app.server.address().port}`;
    return { request: (path, headers) => fetchJson(base + path, headers), close: () => app.close() };
  },
};

async function fastifyApp(verifierFor) {
  const r = routes(forFastify, (request) => request.headers.cookie)(verifierFor);
  const app = Fastify();
  const reply = async (request) => ({ auth: request.auth ?? null });
  for (const [path, names] of Object.entries(ROUTES)) app.get(path, { preHandler: handlers(r, names) }, reply);
  // An encapsulated context with an error handler of its own.
  await app.register(async (scoped) => {
    scoped.setErrorHandler((err, request, res) => {
      res.code(418).send({ custom: true, status: err.statusCode, jwt: err.cause?.code ?? null });
    });
    scoped.get('/custom', { preHandler: [r.custom] }, reply);
  });
  await app.ready();
  return app;
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function fetchJson(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: safeJson(await res.text()) };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

for (const [name, start] of Object.entries(drivers)) {
  describe(`adapter: ${name}`, () => {
    let app;
    let current;
    before(async () => {
      current = verifier;
      app = await start(() => current);
    });
    after(() => app.close());

    const expectFailure = (res, status, error, { challenge, code } = {}) => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      if (challenge !== undefined) assert.equal(res.headers.get('www-authenticate'), challenge);
      if (app.defaultHandler) return;
      assert.equal(res.body.error, error);
      assert.equal(typeof res.body.error_description, 'string');
      assert.equal(res.body.code, code);
    };

    test('no token: 401 with a bare challenge', async () => {
      expectFailure(await app.request('/me'), 401, 'unauthorized', { challenge: 'Bearer realm="api"' });
      expectFailure(await app.request('/me', { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'unauthorized', { challenge: 'Bearer realm="api"' });
    });

    test('a good token: 200 and the verified payload', async () => {
      const payload = claims({ role: 'admin' });
      const res = await app.request('/me', bearer(await sign(key, payload)));
      assert.equal(res.status, 200);
      if (!app.defaultHandler) assert.deepEqual(res.body, { auth: payload });
      assert.equal((await app.request('/me', { authorization: `bEaReR ${await sign(key)}` })).status, 200);
    });

    test('bad signature, expired, revoked: 401 invalid_token with the JwtError code', async () => {
      const good = await sign(key);
      const [h, p, s] = good.split('.');
      const cases = [
        [`${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed'],
        [await sign(key, claims({ exp: nowSeconds() - 5 })), 'ERR_JWT_EXPIRED', "'exp' claim timestamp check failed"],
        [await sign(key, claims({ jti: 'revoked-jti' })), 'ERR_JWT_REVOKED', "token revoked (by 'jti')"],
      ];
      for (const [token, code, description] of cases) {
        const res = await app.request('/me', bearer(token));
        expectFailure(res, 401, 'invalid_token', {
          code,
          challenge: `Bearer realm="api", error="invalid_token", error_description="${description}"`,
        });
        assert.ok(!JSON.stringify(res.body ?? '').includes(token.split('.')[2]), 'the answer does not echo the token');
      }
    });

    test('a missing scope: 403 insufficient_scope naming the scopes', async () => {
      const res = await app.request('/admin', bearer(await sign(key, claims({ scope: 'read write' }))));
      expectFailure(res, 403, 'insufficient_scope', {
        challenge: 'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="admin write"',
      });
      if (app.defaultHandler) return;
      assert.equal((await app.request('/admin', bearer(await sign(key, claims({ scope: 'write admin' }))))).status, 200);
    });

    test('a malformed header: 400 invalid_request', async () => {
      if (app.defaultHandler) return;
      const token = await sign(key);
      for (const [authorization, description] of [
        ['Bearer', 'empty bearer token'],
        [`Bearer ${token} extra`, 'malformed bearer token'],
        [`Basic dXNlcjpwYXNz, Bearer ${token}`, 'multiple authorization schemes'],
      ]) {
        expectFailure(await app.request('/me', { authorization }), 400, 'invalid_request', {
          challenge: `Bearer realm="api", error="invalid_request", error_description="${description}"`,
        });
      }
    });

    test('optional: no token passes with no auth; a bad token or a malformed header still fails', async () => {
      if (app.defaultHandler) return;
      const none = await app.request('/optional');
      assert.equal(none.status, 200);
      assert.deepEqual(none.body, { auth: null });
      const good = await app.request('/optional', bearer(await sign(key)));
      assert.equal(good.body.auth.sub, 'user-1');
      expectFailure(await app.request('/optional', bearer(await sign(key, claims({ exp: nowSeconds() - 5 })))), 401, 'invalid_token', { code: 'ERR_JWT_EXPIRED' });
      expectFailure(await app.request('/optional', { authorization: 'Bearer' }), 400, 'invalid_request');
      // A scope needs a token: an anonymous request is told to authenticate.
      expectFailure(await app.request('/optional-admin'), 401, 'unauthorized', { challenge: 'Bearer realm="api"' });
    });

    test('getToken: the token from a cookie', async () => {
      if (app.defaultHandler) return;
      const res = await app.request('/cookie', { cookie: `theme=dark; at=${await sign(key)}` });
      assert.equal(res.status, 200);
      assert.equal(res.body.auth.sub, 'user-1');
      expectFailure(await app.request('/cookie', { cookie: 'theme=dark' }), 401, 'unauthorized');
      expectFailure(await app.request('/cookie', { cookie: `at=${await sign(key, claims({ jti: 'revoked-jti' }))}` }), 401, 'invalid_token', { code: 'ERR_JWT_REVOKED' });
      // The header is not read when getToken is given.
      expectFailure(await app.request('/cookie', bearer(await sign(key))), 401, 'unauthorized');
    });

    test('a stale feed: 503 temporarily_unavailable with Retry-After, then 200 after recovery', async () => {
      if (app.defaultHandler) return;
      const token = await sign(key);
      assert.equal((await app.request('/stale', bearer(token))).status, 200);
      feedDown = true;
      try {
        await waitFor(() => staleVerifier.status().revocations.refusing, 'the feed to go stale', 5000);
        const res = await app.request('/stale', bearer(token));
        expectFailure(res, 503, 'temporarily_unavailable', { code: 'ERR_REVOCATION_STALE' });
        assert.equal(res.headers.get('retry-after'), '1');
        assert.equal(res.headers.get('www-authenticate'), null);
        // A bad token is still refused as such.
        expectFailure(await app.request('/stale', bearer(await sign(key, claims({ exp: nowSeconds() - 5 })))), 401, 'invalid_token', { code: 'ERR_JWT_EXPIRED' });
      } finally {
        feedDown = false;
      }
      await waitFor(() => !staleVerifier.status().revocations.refusing, 'a successful poll', 5000);
      assert.equal((await app.request('/stale', bearer(token))).status, 200);
    });

    test('an unknown kid during a key rotation: the first request waits for the JWKS refetch', async (t) => {
      // A verifier of its own, created before the rotation, with its cooldown already over.
      const own = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `${issuer.url}/jwks`, jwksCooldownMs: 1000 });
      current = own;
      t.after(() => {
        current = verifier;
        own.close();
        published = { keys: [key.publicJwk] };
      });
      await sleep(1050);
      published = { keys: [rotated.publicJwk, key.publicJwk] };
      const res = await app.request('/me', bearer(await sign(rotated)));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(own.status().keys.kids, ['k2', 'k1']);
    });

    test('the framework\'s own error handling customises the answer', async () => {
      if (app.defaultHandler || !app.request) return;
      const res = await app.request('/custom', bearer(await sign(key, claims({ jti: 'revoked-jti' }))));
      assert.equal(res.status, 418, JSON.stringify(res.body));
      assert.deepEqual(res.body, { custom: true, status: 401, jwt: 'ERR_JWT_REVOKED' });
    });
  });
}

describe('adapters: setup mistakes fail at startup', () => {
  for (const [name, mod] of Object.entries({ express: forExpress, hono: forHono, fastify: forFastify })) {
    test(name, () => {
      assert.throws(() => mod.requireAuth({}), TypeError);
      assert.throws(() => mod.requireAuth({ verifier, realm: 'bad\nrealm' }), TypeError);
      assert.throws(() => mod.requireAuth({ verifier, optional: 'yes' }), TypeError);
      assert.throws(() => mod.requireAuth({ verifier, getToken: 'cookie' }), TypeError);
      assert.throws(() => mod.requireAuth({ verifier, optinal: true }), /unknown option "optinal"/);
      assert.throws(() => mod.requireScope(), TypeError);
      assert.throws(() => mod.requireScope('two words'), TypeError);
      for (const cls of ['UnauthorizedError', 'InvalidRequestError', 'InvalidTokenError', 'InsufficientScopeError', 'TemporarilyUnavailableError']) {
        assert.equal(typeof mod[cls], 'function', `${name} exports ${cls}`);
      }
    });
  }
});
