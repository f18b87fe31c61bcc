// Hono middleware (revocable/hono): RFC 6750 bearer-token authentication over a verifier
// from createVerifier(); the rules are src/http-auth.js. The verified payload is
// `c.get('auth')`. A failure is thrown as Hono's HTTPException whose response is the whole
// answer (status, WWW-Authenticate or Retry-After, JSON `{ error, error_description, code? }`),
// so Hono's default error handling sends it; an app.onError() can read `err.status` and
// `err.cause` (the UnauthorizedError, whose `cause` is the JwtError) and answer otherwise.

import { HTTPException } from 'hono/http-exception';
import { UnauthorizedError } from './auth-errors.js';
import { authSettings, authenticate, checkScope, scopeList } from './http-auth.js';

export * from './auth-errors.js';

// The realm requireAuth() used for a request (keyed by the Context), for requireScope().
const realms = new WeakMap();

// Fetch's Headers join repeated Authorization lines with ", ", which parses as malformed (400).
const readHeader = (c) => ({ value: c.req.header('authorization') });

function toHttpException(err) {
  if (!(err instanceof UnauthorizedError)) return err;
  const res = new Response(JSON.stringify(err.body), {
    status: err.status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...err.headers },
  });
  return new HTTPException(err.status, { res, message: err.message, cause: err });
}

/**
 * Requires a valid bearer token (or, with `optional`, none at all); sets `c.get('auth')` to
 * the verified payload (undefined for an optional request without a token).
 *
 * @param {{ verifier: object, realm?: string, optional?: boolean, getToken?: (c: object) => string | undefined }} options
 */
export function requireAuth(options) {
  const settings = authSettings(options, readHeader);
  return async function revocableRequireAuth(c, next) {
    realms.set(c, settings.realm);
    let auth;
    try {
      auth = await authenticate(settings, c);
    } catch (err) {
      throw toHttpException(err);
    }
    c.set('auth', auth);
    await next();
  };
}

/**
 * Requires every one of `scopes` in the verified token's `scope` claim. Use after
 * requireAuth(). 403 `insufficient_scope` otherwise.
 *
 * @param {...(string | string[])} scopes
 */
export function requireScope(...scopes) {
  const required = scopeList(scopes);
  return async function revocableRequireScope(c, next) {
    const err = checkScope(required, c.get('auth'), realms.get(c), 'revocable/hono');
    if (err) throw toHttpException(err);
    await next();
  };
}
