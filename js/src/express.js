// Express middleware (revocable/express): RFC 6750 bearer-token authentication over a
// verifier from createVerifier(). Failures go to next(err) with `status` and
// `headers['WWW-Authenticate']`, so Express's default error handler already answers
// correctly; a custom handler can read `err.status`, `err.headers`, `err.code` and
// `err.cause` (the JwtError).

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 6750 §3: scope tokens (NQCHAR) and the characters allowed in error_description.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const REALM = Symbol.for('revocable.express.realm');

function quoted(value) {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

// error_description may only hold %x20-21 / %x23-5B / %x5D-7E: no quotes, no backslash.
function description(text) {
  return String(text)
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, '')
    .slice(0, 200);
}

function challenge(realm, params) {
  const parts = [`realm=${quoted(realm)}`];
  for (const [name, value] of params) parts.push(`${name}=${quoted(value)}`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * 401 without an error code: the request carried no bearer token (RFC 6750 §3.1). Base
 * class of every error the middleware produces.
 */
export class UnauthorizedError extends Error {
  constructor(message = 'no bearer token', { realm = 'api', status = 401, code, params = [], cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UnauthorizedError';
    this.status = status;
    this.statusCode = status;
    // http-errors convention: the message is safe to show to the client.
    this.expose = true;
    if (code !== undefined) this.code = code;
    const params2 = code === undefined ? params : [['error', code], ['error_description', description(message)], ...params];
    this.headers = { 'WWW-Authenticate': challenge(realm, params2) };
    // A client's mistake, not a server fault: no stack frames in error pages or logs.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** 400 `invalid_request`: a malformed Authorization header. */
export class InvalidRequestError extends UnauthorizedError {
  constructor(message, options = {}) {
    super(message, { ...options, status: 400, code: 'invalid_request' });
    this.name = 'InvalidRequestError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** 401 `invalid_token`: the token failed verification; `cause` is the JwtError. */
export class InvalidTokenError extends UnauthorizedError {
  constructor(message, options = {}) {
    super(message, { ...options, status: 401, code: 'invalid_token' });
    this.name = 'InvalidTokenError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** 403 `insufficient_scope`: the token is valid but lacks a required scope. */
export class InsufficientScopeError extends UnauthorizedError {
  constructor(message, { scopes = [], ...options } = {}) {
    super(message, { ...options, status: 403, code: 'insufficient_scope', params: [['scope', scopes.join(' ')]] });
    this.name = 'InsufficientScopeError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

function authorizationHeaderCount(req) {
  // Node keeps only the first of duplicate Authorization headers in req.headers; the raw
  // list shows them all.
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) return req.headers?.authorization === undefined ? 0 : 1;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (typeof raw[i] === 'string' && raw[i].toLowerCase() === 'authorization') count += 1;
  }
  return count;
}

/**
 * Reads the bearer token: `{ token }`, `{ missing: true }` (no header, or another scheme:
 * RFC 6750 §3.1 says no error code then) or `{ invalid: description }` (400).
 */
function readBearer(req) {
  if (authorizationHeaderCount(req) > 1) return { invalid: 'multiple authorization headers' };
  const header = req.headers?.authorization;
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

function checkRealm(realm) {
  if (typeof realm !== 'string' || realm === '' || /[^\x20-\x7e]/.test(realm)) {
    throw new TypeError('requireAuth: realm must be a non-empty printable ASCII string');
  }
}

function isJwtError(err) {
  return err instanceof Error && err.name === 'JwtError' && typeof err.code === 'string';
}

/**
 * Requires a valid bearer token. Sets `req.auth` to the verified payload, as express-jwt
 * does; on failure calls `next(err)` with an UnauthorizedError (401, 400 or, from
 * requireScope, 403) carrying `status` and `headers['WWW-Authenticate']`.
 *
 * @param {{ verifier: { verify(token: string): object, verifyAsync?(token: string): Promise<object> }, realm?: string }} options
 */
export function requireAuth({ verifier, realm = 'api' } = {}) {
  if (!verifier || typeof verifier.verify !== 'function') {
    throw new TypeError('requireAuth: options.verifier (from createVerifier) is required');
  }
  checkRealm(realm);

  const fail = (err, next) => {
    if (!isJwtError(err)) return next(err);
    next(new InvalidTokenError(err.message, { realm, cause: err }));
  };

  return function revocableRequireAuth(req, res, next) {
    req[REALM] = realm;
    const bearer = readBearer(req);
    if (bearer.missing) return next(new UnauthorizedError('no bearer token', { realm }));
    if (bearer.invalid) return next(new InvalidRequestError(bearer.invalid, { realm }));
    try {
      req.auth = verifier.verify(bearer.token);
      return next();
    } catch (err) {
      // A key the verifier has not seen yet (rotation): wait for the JWKS refetch once.
      if (err?.code === 'ERR_JWKS_NO_MATCHING_KEY' && typeof verifier.verifyAsync === 'function') {
        return verifier.verifyAsync(bearer.token).then(
          (payload) => {
            req.auth = payload;
            next();
          },
          (err2) => fail(err2, next),
        );
      }
      return fail(err, next);
    }
  };
}

/**
 * Requires every one of `scopes` in the verified token's `scope` claim (a space-separated
 * string, RFC 9068). Use after requireAuth(). Answers 403
 * `insufficient_scope` with `scope="..."` naming what the resource needs.
 *
 * @param {...string} scopes
 */
export function requireScope(...scopes) {
  const required = scopes.flat();
  if (required.length === 0 || !required.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw new TypeError('requireScope: pass one or more scope names (no spaces, quotes or backslashes)');
  }
  return function revocableRequireScope(req, res, next) {
    const auth = req.auth;
    if (auth === null || typeof auth !== 'object') {
      return next(new Error('revocable/express: requireScope() must come after requireAuth()'));
    }
    // The core type-checks `scope` as a string, so a verified payload never has another shape.
    const granted = typeof auth.scope === 'string' ? auth.scope.split(' ') : [];
    if (required.every((scope) => granted.includes(scope))) return next();
    next(new InsufficientScopeError('the token lacks a required scope', { realm: req[REALM] ?? 'api', scopes: required }));
  };
}
