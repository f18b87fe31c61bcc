// The example API: an Express 5 app whose /api/logout really logs out, and the page that uses it.
//
//   GET  /                 the page (public/: plain HTML, CSS and an ES module), under a strict CSP
//   GET  /vendor/revocable/...  the package's browser build, which the page imports
//   POST /api/login        {username, password} -> starts a session at the issuer; the access
//                          token in the body, the refresh token in an httpOnly cookie
//   GET  /api/me           requireAuth: who the access token says you are
//   GET  /api/admin        requireAuth + requireScope('admin')
//   POST /api/refresh      cookie -> the issuer's token endpoint (rotation); concurrent refreshes
//                          with one cookie, from any number of instances, get the same new tokens
//   POST /api/logout       ends this session: the refresh token is refused at once, the access
//                          token in hand within one feed interval
//   POST /api/logout-all   requireAuth: ends every session of the user
//   GET  /api/sessions     requireAuth: the user's live sessions (devices); `current` marks the
//                          one the access token belongs to (its `sid`)
//   DELETE /api/sessions/:id  requireAuth: ends one of the user's own sessions (404 for any other)
//   GET  /healthz          liveness and the verifier's freshness
//
// Why a cookie for the refresh token (README "Express example"): script on the page (XSS)
// cannot read an httpOnly cookie, so it cannot steal the long-lived credential; SameSite=Strict
// plus an Origin / Sec-Fetch-Site check stops other sites from making the browser use it
// (CSRF); Secure keeps it off plain http, and browsers and curl still send it to
// http://127.0.0.1 and http://localhost. The access token is short-lived and kept in memory by
// the client, sent as `Authorization: Bearer`.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { requireAuth, requireScope } from 'revocable/express';
import { IssuerError, IssuerUnavailableError } from './issuer.js';
import { MAX_PASSWORD_BYTES, verifyPassword } from './passwords.js';
import { findUser } from './users.js';

/** Name of the refresh cookie. Its value is `<session id>.<refresh token>`. */
export const COOKIE = 'revocable_session';
// Only the endpoints under /api need it; no other path of the site ever sees it.
const COOKIE_PATH = '/api';
// Session ids and refresh tokens are base64url (the issuer mints 33 and 54 characters).
const COOKIE_VALUE = /^([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9_-]{1,128})$/;
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

// The page's files, and the directory of the `revocable` package (a link to js/ of this
// repository), whose browser build the page imports.
const PUBLIC_DIR = fileURLToPath(new URL('public/', import.meta.url));
const PACKAGE_DIR = dirname(createRequire(import.meta.url).resolve('revocable/package.json'));
// Of the package's built files, the browser needs only the web glue and the wasm (which it
// fetches only if the page creates a verifier).
const BROWSER_BUILD = new Set(['web.js', 'revocable_wasm_bg.wasm']);

// Every answer gets these. No inline script or style anywhere: script-src 'self' is the XSS
// defence that keeps a stolen access token the worst case (the refresh token is in an httpOnly
// cookie). A page that verifies tokens with the wasm (createVerifier) would add
// 'wasm-unsafe-eval' to script-src; this one only decodes claims (decodeJwt).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** A JSON error with a status: what every failure of this API answers. */
class ApiError extends Error {
  constructor(status, error, description, headers = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

function readCookie(req) {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== COOKIE) continue;
    const match = COOKIE_VALUE.exec(part.slice(eq + 1).trim());
    return match ? { sessionId: match[1], refreshToken: match[2] } : null;
  }
  return null;
}

/**
 * Refuses requests another site makes the browser send (CSRF, login CSRF). Browsers send
 * `Sec-Fetch-Site` and, on POST, `Origin`; curl and server-side clients send neither and are
 * not a CSRF vector. SameSite=Strict already keeps the cookie off such requests; this also
 * covers login and browsers without SameSite.
 */
function sameOrigin(req, res, next) {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return next(new ApiError(403, 'forbidden', 'cross-site request refused'));
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host !== req.headers.host) return next(new ApiError(403, 'forbidden', 'cross-site request refused'));
  }
  next();
}

/**
 * @param {object} options
 * @param {import('revocable').Verifier} options.verifier
 * @param {ReturnType<import('./issuer.js').issuerClient>} options.issuer
 * @param {boolean} [options.secureCookie] the cookie's Secure attribute (default true)
 * @param {(line: string) => void} [options.log] one line per request; never tokens
 */
export function createApp({ verifier, issuer, secureCookie = true, log = (line) => console.log(line) }) {
  const app = express();
  app.disable('x-powered-by');
  const auth = requireAuth({ verifier, realm: 'api' });

  const cookieOptions = { httpOnly: true, secure: secureCookie, sameSite: 'strict', path: COOKIE_PATH };
  const setSessionCookie = (res, sessionId, refreshToken, maxAgeSeconds) =>
    res.cookie(COOKIE, `${sessionId}.${refreshToken}`, { ...cookieOptions, maxAge: maxAgeSeconds * 1000 });
  const clearSessionCookie = (res) => res.clearCookie(COOKIE, cookieOptions);

  // One line per request: method, path (never the query string), status, time. No headers,
  // no bodies, so no token or password can reach the log.
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${req.method} ${req.path} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    next();
  });

  app.use((req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });

  app.get('/healthz', (req, res) => {
    const { keys, revocations } = verifier.status();
    res.json({ ok: true, keys: { stale: keys.stale }, revocations: revocations && { stale: revocations.stale, updatedAt: revocations.updatedAt } });
  });

  const json = express.json({ limit: '4kb' });

  app.post('/api/login', sameOrigin, json, async (req, res) => {
    const { username, password } = req.body ?? {};
    if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
      throw new ApiError(400, 'invalid_request', 'send a JSON body {"username": "...", "password": "..."}');
    }
    if (username.length > 64 || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
      throw new ApiError(400, 'invalid_request', 'username or password too long');
    }
    const user = findUser(username);
    // Always hashes, even for an unknown user: the time does not tell which names exist.
    if (!(await verifyPassword(password, user?.passwordHash))) {
      throw new ApiError(401, 'invalid_credentials', 'wrong username or password');
    }
    const session = await issuer.createSession({ sub: user.id, scope: user.scope, claims: { name: user.name } });
    setSessionCookie(res, session.session_id, session.refresh_token, session.refresh_token_expires_in);
    res.set('cache-control', 'no-store');
    res.json({
      access_token: session.access_token,
      token_type: 'Bearer',
      expires_in: session.expires_in,
      scope: session.scope,
    });
  });

  app.get('/api/me', auth, (req, res) => {
    const { sub, name, scope, sid, iat, exp } = req.auth;
    res.json({ sub, name, scope, sid, iat, exp });
  });

  app.get('/api/admin', auth, requireScope('admin'), (req, res) => {
    res.json({ ok: true, message: `hello admin ${req.auth.name ?? req.auth.sub}` });
  });

  // Refreshes need no lock here: the issuer serializes the rotations of a session, and within its reuse interval
  // (REFRESH_REUSE_INTERVAL) it answers the immediately previous refresh token with the same
  // successor. Concurrent refreshes with one cookie (two tabs, a retry after a lost response,
  // requests reaching different instances of this app) all get the same new cookie.
  app.post('/api/refresh', sameOrigin, async (req, res) => {
    const cookie = readCookie(req);
    if (!cookie) throw new ApiError(401, 'invalid_grant', 'no session cookie: log in first');
    let tokens;
    try {
      tokens = await issuer.refresh(cookie.refreshToken);
    } catch (err) {
      if (err instanceof IssuerError && err.error === 'invalid_grant') {
        clearSessionCookie(res);
        throw new ApiError(401, 'invalid_grant', err.description || 'the session has ended: log in again');
      }
      throw err;
    }
    setSessionCookie(res, cookie.sessionId, tokens.refresh_token, tokens.refresh_token_expires_in);
    res.set('cache-control', 'no-store');
    res.json({ access_token: tokens.access_token, token_type: 'Bearer', expires_in: tokens.expires_in, scope: tokens.scope });
  });

  // Logout: the cookie's refresh token is revoked (RFC 7009, which ends its session: the issuer
  // refuses the refresh token at once and lists the session in the revocation feed, so the
  // access token in hand is refused within one feed interval). A valid access token of another
  // session (no cookie, or a different one) has its session ended by id as well.
  app.post('/api/logout', sameOrigin, async (req, res, next) => {
    const cookie = readCookie(req);
    let claims = null;
    if (req.headers.authorization !== undefined) {
      const failure = await new Promise((resolve) => auth(req, res, resolve));
      if (failure === undefined) claims = req.auth;
      // Without a cookie, the access token is the only credential: its error is the answer.
      else if (!cookie) return next(failure);
    }
    if (!cookie && !claims) throw new ApiError(401, 'unauthorized', 'no session cookie and no bearer token');
    if (cookie) await issuer.revoke(cookie.refreshToken);
    if (claims?.sid && claims.sid !== cookie?.sessionId) await issuer.endSession(claims.sid);
    clearSessionCookie(res);
    res.json({ logged_out: true });
  });

  app.post('/api/logout-all', sameOrigin, auth, async (req, res) => {
    const result = await issuer.logoutEverywhere(req.auth.sub);
    clearSessionCookie(res);
    res.json({ logged_out_everywhere: true, revoked_sessions: result.revoked_sessions, not_before: result.not_before });
  });

  // The user's devices: their live sessions at the issuer. The access token's `sid` names the
  // session of this device.
  app.get('/api/sessions', auth, async (req, res) => {
    const sessions = await issuer.listSessions(req.auth.sub);
    res.set('cache-control', 'no-store');
    res.json({
      sessions: sessions.map(({ id, created, last_used, expires }) => ({ id, created, last_used, expires, current: id === req.auth.sid })),
    });
  });

  // Ends one session of the caller's own: the id must be among the user's live sessions (an id
  // of another user's session, or of none, is 404 and ends nothing). Ending this device's own
  // session clears its cookie too.
  app.delete('/api/sessions/:id', sameOrigin, auth, async (req, res) => {
    const { id } = req.params;
    if (!SESSION_ID.test(id)) throw new ApiError(404, 'not_found', 'no such session');
    const sessions = await issuer.listSessions(req.auth.sub);
    if (!sessions.some((session) => session.id === id)) throw new ApiError(404, 'not_found', 'no such session');
    if (!(await issuer.endSession(id))) throw new ApiError(404, 'not_found', 'no such session');
    if (readCookie(req)?.sessionId === id) clearSessionCookie(res);
    res.json({ logged_out: true, session_id: id, current: id === req.auth.sid });
  });

  // The page and the package's browser build: static files (revalidated on every load by
  // their ETag, so a changed file shows at the next reload).
  const statics = { index: false, dotfiles: 'ignore', redirect: false };
  app.get('/', (req, res, next) => res.sendFile('index.html', { root: PUBLIC_DIR }, (err) => err && next(err)));
  app.use(express.static(PUBLIC_DIR, statics));
  app.use('/vendor/revocable/src', express.static(join(PACKAGE_DIR, 'src'), statics));
  const wasmBuild = express.static(join(PACKAGE_DIR, 'dist', 'wasm'), statics);
  app.use('/vendor/revocable/dist/wasm', (req, res, next) => (BROWSER_BUILD.has(req.path.slice(1)) ? wasmBuild(req, res, next) : next()));

  app.use((req, res, next) => next(new ApiError(404, 'not_found', 'no such endpoint')));

  // Every error becomes JSON `{error, error_description[, code]}`; never a stack trace.
  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    let status = 500;
    let body = { error: 'server_error', error_description: 'internal error' };
    let headers = {};
    if (err instanceof ApiError) {
      status = err.status;
      body = { error: err.error, error_description: err.message };
      headers = err.headers;
    } else if (err?.name === 'UnauthorizedError' || err?.headers?.['WWW-Authenticate']) {
      // revocable/express: 401 / 400 / 403 with the RFC 6750 challenge.
      status = err.status;
      body = { error: err.code ?? 'unauthorized', error_description: err.message };
      if (err.cause?.code) body.code = err.cause.code;
      headers = err.headers;
    } else if (err?.type === 'entity.parse.failed') {
      status = 400;
      body = { error: 'invalid_request', error_description: 'the body is not valid JSON' };
    } else if (err?.type === 'entity.too.large') {
      status = 413;
      body = { error: 'invalid_request', error_description: 'the body is too large' };
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      status = err.status;
      body = { error: 'invalid_request', error_description: 'the request is malformed' };
    } else if (err instanceof IssuerUnavailableError) {
      status = 502;
      body = { error: 'issuer_unavailable', error_description: 'the login service is unreachable; try again' };
      log(`error: ${err.message}`);
    } else if (err instanceof IssuerError && err.status === 503) {
      // A transient limit at the issuer: the request is safe to repeat, the refresh token is still good.
      status = 503;
      body = { error: 'temporarily_unavailable', error_description: 'try again in a second' };
      headers = { 'retry-after': '1' };
    } else if (err instanceof IssuerError) {
      status = 502;
      body = { error: 'issuer_error', error_description: 'the login service refused the request' };
      log(`error: ${err.message}`);
    } else {
      // Name and message only: messages here never hold tokens (the issuer client's do not).
      log(`error: ${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`);
    }
    res.status(status).set(headers).json(body);
  });

  return app;
}
