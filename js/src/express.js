// Express middleware (revocable/express): RFC 6750 bearer-token authentication over a
// verifier from createVerifier(); the rules are src/http-auth.js. Failures go to next(err)
// with `status`, `headers` and `body`, so Express's default error handler already answers
// with the right status and WWW-Authenticate; a custom handler can read `err.status`,
// `err.headers`, `err.body`, `err.code` and `err.cause` (the JwtError).

import { authSettings, authenticateRequest, checkScope, rawHeaderCount, scopeList } from './http-auth.js';

export * from './auth-errors.js';

// The realm requireAuth() used for a request, for requireScope()'s challenge.
const realms = new WeakMap();

const readHeader = (req) => ({
  value: req.headers?.authorization,
  count: rawHeaderCount(req.rawHeaders, 'authorization') ?? (req.headers?.authorization === undefined ? 0 : 1),
});

/**
 * Requires a valid bearer token (or, with `optional`, none at all). Sets `req.auth` to the
 * verified payload, as express-jwt does (undefined for an optional request without a token);
 * on failure calls `next(err)` with an UnauthorizedError (400, 401, 503 or, from
 * requireScope, 403) carrying `status` and `headers`.
 *
 * @param {{ verifier: object, realm?: string, optional?: boolean, getToken?: (req: object) => string | undefined }} options
 */
export function requireAuth(options) {
  const settings = authSettings(options, readHeader);
  return function revocableRequireAuth(req, res, next) {
    realms.set(req, settings.realm);
    return authenticateRequest(
      settings,
      req,
      (payload) => {
        req.auth = payload;
        next();
      },
      next,
    );
  };
}

/**
 * Requires every one of `scopes` in the verified token's `scope` claim (a space-separated
 * string, RFC 9068). Use after requireAuth(). Answers 403 `insufficient_scope` with
 * `scope="..."` naming what the resource needs (401 for an optional request without a token).
 *
 * @param {...(string | string[])} scopes
 */
export function requireScope(...scopes) {
  const required = scopeList(scopes);
  return function revocableRequireScope(req, res, next) {
    const err = checkScope(required, req.auth, realms.get(req), 'revocable/express');
    next(err ?? undefined);
  };
}
