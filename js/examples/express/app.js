// The example API: an Express 5 app whose /api/logout really logs out.
//
//   POST /api/login        {username, password} -> starts a session at the issuer; the access
//                          token in the body, the refresh token in an httpOnly cookie
//   GET  /api/me           requireAuth: who the access token says you are
//   GET  /api/admin        requireAuth + requireScope('admin')
//   POST /api/refresh      cookie -> the issuer's token endpoint (rotation), one at a time per session
//   POST /api/logout       ends this session: the refresh token is refused at once, the access
//                          token in hand within one feed interval
//   POST /api/logout-all   requireAuth: ends every session of the user
//   GET  /healthz          liveness and the verifier's freshness
//
// Why a cookie for the refresh token (README "Express example"): script on the page (XSS)
// cannot read an httpOnly cookie, so it cannot steal the long-lived credential; SameSite=Strict
// plus an Origin / Sec-Fetch-Site check stops other sites from making the browser use it
// (CSRF); Secure keeps it off plain http, and browsers and curl still send it to
// http://127.0.0.1 and http://localhost. The access token is short-lived and kept in memory by
// the client, sent as `Authorization: Bearer`.

import { createHash } from 'node:crypto';
import express from 'express';
import { requireAuth, requireScope } from 'revocable/express';
import { IssuerError, IssuerUnavailableError } from './issuer.js';
import { MAX_PASSWORD_BYTES, verifyPassword } from './passwords.js';
import { findUser } from './users.js';

/** Name of the refresh cookie. Its value is `<session id>.<refresh token>`. */
export const COOKIE = 'revocable_session';
// Only the endpoints under /api need it; no other path of the site ever sees it.
const COOKIE_PATH = '/api';
// Session ids and refresh tokens are base64url (the issuer mints 22 and 43 characters).
const COOKIE_VALUE = /^([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9_-]{1,128})$/;

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

  // One refresh per session at a time: the issuer treats two uses of one refresh token as
  // theft and ends the session (no grace period). Requests presenting the token being
  // refreshed share that refresh's result; a request with another token of the same session
  // waits for it. This holds within one process: several instances need sticky sessions or
  // a shared lock, and the client should serialize its refreshes too.
  const refreshing = new Map();
  async function refreshOnce(sessionId, refreshToken) {
    const tokenHash = createHash('sha256').update(refreshToken).digest('base64url');
    for (;;) {
      const running = refreshing.get(sessionId);
      if (!running) break;
      if (running.tokenHash === tokenHash) return running.promise;
      await running.promise.catch(() => {});
    }
    const entry = { tokenHash, promise: issuer.refresh(refreshToken) };
    refreshing.set(sessionId, entry);
    try {
      return await entry.promise;
    } finally {
      if (refreshing.get(sessionId) === entry) refreshing.delete(sessionId);
    }
  }

  app.post('/api/refresh', sameOrigin, async (req, res) => {
    const cookie = readCookie(req);
    if (!cookie) throw new ApiError(401, 'invalid_grant', 'no session cookie: log in first');
    let tokens;
    try {
      tokens = await refreshOnce(cookie.sessionId, cookie.refreshToken);
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
      // KV's write limit (one refresh of a session per second): the refresh token is still good.
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
