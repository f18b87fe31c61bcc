// The rules of bearer-token authentication over HTTP (RFC 6750), shared by the framework
// adapters (revocable/express, revocable/hono, revocable/fastify), which only read the
// request and deliver the outcome the framework's way. Here: the options, reading the token,
// verifying it (waiting for a JWKS refetch on exactly the conditions of verifyAsync) and the
// scope check; the errors they end in are src/auth-errors.js.

import {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  TemporarilyUnavailableError,
  UnauthorizedError,
} from './auth-errors.js';

// The verifier's hook (src/verifier.js KEY_REFETCH): a registered symbol, the same in the
// verifier's module and here without importing it (the adapters' bundles stay small).
const KEY_REFETCH = Symbol.for('revocable.verifier.keyRefetch');

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 6750 §3: scope tokens (NQCHAR).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Reads an Authorization header: `{ token }`, `{ missing: true }` (no header, or another
 * scheme: RFC 6750 §3.1 says no error code then) or `{ invalid: description }` (400).
 * `count`: how many Authorization header lines the request had (where the runtime tells).
 */
export function parseAuthorization(header, count = header === undefined || header === null ? 0 : 1) {
  if (count > 1) return { invalid: 'multiple authorization headers' };
  if (typeof header !== 'string' || header === '') return { missing: true };
  const match = /^([^ \t]+)(?:[ \t]+([^]*))?$/.exec(header);
  if (!match) return { invalid: 'malformed authorization header' };
  const [, scheme, rest = ''] = match;
  if (scheme.toLowerCase() !== 'bearer') {
    // "Basic x, Bearer y": two credentials in one header.
    if (/(^|[\s,])bearer(\s|$)/i.test(rest)) return { invalid: 'multiple authorization schemes' };
    return { missing: true };
  }
  if (rest === '') return { invalid: 'empty bearer token' };
  if (!B64TOKEN.test(rest)) return { invalid: 'malformed bearer token' };
  return { token: rest };
}

/** How many `name` lines a Node request's rawHeaders holds (Node keeps only the first Authorization in `headers`). */
export function rawHeaderCount(rawHeaders, name) {
  if (!Array.isArray(rawHeaders)) return undefined;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (typeof rawHeaders[i] === 'string' && rawHeaders[i].toLowerCase() === name) count += 1;
  }
  return count;
}

/**
 * Checks requireAuth()'s options once, at setup. `readHeader(req)` is the adapter's reader of
 * the Authorization header: `{ value, count }`.
 */
export function authSettings(options, readHeader) {
  const { verifier, realm = 'api', optional = false, getToken } = options ?? {};
  if (!verifier || typeof verifier.verify !== 'function') {
    throw new TypeError('requireAuth: options.verifier (from createVerifier) is required');
  }
  if (typeof realm !== 'string' || realm === '' || /[^\x20-\x7e]/.test(realm)) {
    throw new TypeError('requireAuth: realm must be a non-empty printable ASCII string');
  }
  if (typeof optional !== 'boolean') throw new TypeError('requireAuth: optional must be a boolean');
  if (getToken !== undefined && typeof getToken !== 'function') {
    throw new TypeError('requireAuth: getToken must be a function (request) => string | undefined');
  }
  for (const name of Object.keys(options)) {
    if (!['verifier', 'realm', 'optional', 'getToken'].includes(name)) throw new TypeError(`requireAuth: unknown option "${name}"`);
  }
  return { verifier, realm, optional, getToken, readHeader };
}

function isJwtError(err) {
  return err instanceof Error && err.name === 'JwtError' && typeof err.code === 'string';
}

function retryAfterSeconds(verifier) {
  const intervalMs = verifier.status?.().revocations?.intervalMs;
  return typeof intervalMs === 'number' ? Math.max(1, Math.ceil(intervalMs / 1000)) : 5;
}

/** The adapters' error for a failed verification; other errors (a closed verifier) pass through. */
function failure(settings, err) {
  if (!isJwtError(err)) return err;
  if (err.code === 'ERR_REVOCATION_STALE') {
    return new TemporarilyUnavailableError('token verification is temporarily unavailable', {
      retryAfter: retryAfterSeconds(settings.verifier),
      cause: err,
    });
  }
  return new InvalidTokenError(err.message, { realm: settings.realm, cause: err });
}

function tokenFrom(settings, token) {
  if (token === undefined || token === null || token === '') {
    if (settings.optional) return undefined;
    throw new UnauthorizedError('no bearer token', { realm: settings.realm });
  }
  if (typeof token !== 'string') throw new TypeError('requireAuth: getToken must return a string or undefined');
  return verifyToken(settings, token);
}

/**
 * A failed verify() may wait for a JWKS refetch (a key rotated in at the issuer): the
 * verifier's own test (KEY_REFETCH) where there is one, verifyAsync() for other verifiers.
 */
function verifyToken(settings, token) {
  const { verifier } = settings;
  try {
    return verifier.verify(token);
  } catch (err) {
    if (typeof verifier[KEY_REFETCH] !== 'function') {
      // Another verifier: its verifyAsync() decides whether waiting may help.
      if (!isJwtError(err) || typeof verifier.verifyAsync !== 'function') throw failure(settings, err);
      return verifier.verifyAsync(token).catch((err2) => {
        throw failure(settings, err2);
      });
    }
    const refetch = verifier[KEY_REFETCH](err, token);
    if (!refetch) throw failure(settings, err);
    return refetch.then(
      (changed) => {
        if (!changed) throw failure(settings, err);
        try {
          return verifier.verify(token);
        } catch (err2) {
          throw failure(settings, err2);
        }
      },
      (err2) => {
        throw failure(settings, err2);
      },
    );
  }
}

/**
 * Authenticates one request: returns the verified payload, undefined (optional, no token), or
 * a promise of either (getToken returned one, or a JWKS refetch is awaited); throws an
 * UnauthorizedError (400, 401, 503) or, for anything that is not about the request, the
 * original error.
 */
export function authenticate(settings, req) {
  if (settings.getToken) {
    const token = settings.getToken(req);
    if (token !== null && typeof token?.then === 'function') return token.then((t) => tokenFrom(settings, t));
    return tokenFrom(settings, token);
  }
  const { value, count } = settings.readHeader(req);
  const bearer = parseAuthorization(value, count);
  if (bearer.invalid) throw new InvalidRequestError(bearer.invalid, { realm: settings.realm });
  return tokenFrom(settings, bearer.token);
}

/**
 * authenticate() for the callback-style adapters (Express, Fastify): calls `pass(payload)`
 * once the request is authenticated (at once when nothing is awaited) or `fail(err)`, one of
 * the two. Returns the promise of that call when it waits (Express passes a rejection of it to
 * next(); a Fastify hook with `done` must return nothing), else undefined.
 */
export function authenticateRequest(settings, req, pass, fail) {
  let auth;
  try {
    auth = authenticate(settings, req);
  } catch (err) {
    return fail(err);
  }
  if (auth !== undefined && typeof auth.then === 'function') return auth.then(pass, fail);
  return pass(auth);
}

/** Checks requireScope()'s arguments once and returns the scope list. */
export function scopeList(scopes) {
  const required = scopes.flat();
  if (required.length === 0 || !required.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw new TypeError('requireScope: pass one or more scope names (no spaces, quotes or backslashes)');
  }
  return required;
}

/**
 * The scope check after requireAuth(): null when every scope is granted, else the error.
 * `realm` is the realm requireAuth() used for this request, undefined when it did not run.
 */
export function checkScope(required, auth, realm, adapter) {
  if (realm === undefined) return new Error(`${adapter}: requireScope() must come after requireAuth()`);
  // requireAuth({ optional: true }) let a request without a token through; a scope needs one.
  if (auth === undefined) return new UnauthorizedError('no bearer token', { realm });
  // The core type-checks `scope` as a string, so a verified payload never has another shape.
  const granted = typeof auth?.scope === 'string' ? auth.scope.split(' ') : [];
  if (required.every((scope) => granted.includes(scope))) return null;
  return new InsufficientScopeError('the token lacks a required scope', { realm, scopes: required });
}
