// Fastify hooks (revocable/fastify): RFC 6750 bearer-token authentication over a verifier
// from createVerifier(); the rules are src/http-auth.js. Use as preHandler hooks; the
// verified payload is `request.auth`.
//
// A failure is an error with `statusCode`, `headers` and `body`. When the route's context
// has an error handler of the app's own (setErrorHandler), the hook hands it the error;
// otherwise it answers itself, with the status, WWW-Authenticate (or Retry-After) and the
// JSON `{ error, error_description, code? }` that the other adapters send (Fastify's
// default handler would answer with its own body shape, without the stable code).

import { UnauthorizedError } from './auth-errors.js';
import { authSettings, authenticateRequest, checkScope, rawHeaderCount, scopeList } from './http-auth.js';

export * from './auth-errors.js';

const realms = new WeakMap();

const readHeader = (request) => ({
  value: request.headers.authorization,
  count: rawHeaderCount(request.raw?.rawHeaders, 'authorization'),
});

// fastify.errorHandler is the current context's handler; Fastify's own is this function.
const hasOwnErrorHandler = (request) => {
  const handler = request.server?.errorHandler;
  return typeof handler === 'function' && handler.name !== 'defaultErrorHandler';
};

function fail(request, reply, done, err) {
  if (!(err instanceof UnauthorizedError) || hasOwnErrorHandler(request)) return done(err);
  reply.code(err.status).headers(err.headers).send(err.body);
}

/**
 * A preHandler hook requiring a valid bearer token (or, with `optional`, none at all); sets
 * `request.auth` to the verified payload (undefined for an optional request without one).
 *
 * @param {{ verifier: object, realm?: string, optional?: boolean, getToken?: (request: object) => string | undefined }} options
 */
export function requireAuth(options) {
  const settings = authSettings(options, readHeader);
  return function revocableRequireAuth(request, reply, done) {
    realms.set(request, settings.realm);
    authenticateRequest(
      settings,
      request,
      (payload) => {
        request.auth = payload;
        done();
      },
      (err) => fail(request, reply, done, err),
    );
  };
}

/**
 * A preHandler hook requiring every one of `scopes` in `request.auth.scope`; after
 * requireAuth() in the same preHandler list. 403 `insufficient_scope` otherwise.
 *
 * @param {...(string | string[])} scopes
 */
export function requireScope(...scopes) {
  const required = scopeList(scopes);
  return function revocableRequireScope(request, reply, done) {
    const err = checkScope(required, request.auth, realms.get(request), 'revocable/fastify');
    if (err) return fail(request, reply, done, err);
    done();
  };
}
