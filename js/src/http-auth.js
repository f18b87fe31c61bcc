// The rules of bearer-token authentication over HTTP (RFC 6750), shared by the framework
// adapters (revocable/express, revocable/hono, revocable/fastify), which only read the
// request and deliver the outcome the framework's way. Here: the options, reading the token,
// verifying it (waiting for a JWKS refetch on exactly the conditions of verifyAsync), the
// scope check, and the errors with their status, WWW-Authenticate challenge and JSON body.

// The verifier's hook (src/verifier.js KEY_REFETCH): a registered symbol, the same in the
// verifier's module and here without importing it (the adapters' bundles stay small).
const KEY_REFETCH = Symbol.for('revocable.verifier.keyRefetch');

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 6750 §3: scope tokens (NQCHAR) and the characters allowed in error_description.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

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
 * class of every error the adapters produce. `status`/`statusCode` and `headers` are what
 * the answer needs (Express's and Fastify's error handlers read them); `body` is the JSON the
 * adapters answer with: `{ error, error_description, code? }` (`code`: the JwtError's).
 */
export class UnauthorizedError extends Error {
  constructor(message = 'no bearer token', { realm = 'api', status = 401, code, params = [], cause, headers } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UnauthorizedError';
    this.status = status;
    this.statusCode = status;
    // http-errors convention: the message is safe to show to the client.
    this.expose = true;
    if (code !== undefined) this.code = code;
    if (headers !== undefined) {
      this.headers = headers;
    } else {
      const params2 = code === undefined ? params : [['error', code], ['error_description', description(message)], ...params];
      this.headers = { 'WWW-Authenticate': challenge(realm, params2) };
    }
    // A client's mistake, not a server fault: no stack frames in error pages or logs.
    this.stack = `${this.name}: ${this.message}`;
  }

  /** The JSON answer: `{ error, error_description, code? }`. */
  get body() {
    const body = { error: this.code ?? 'unauthorized', error_description: this.message };
    const jwtCode = this.cause?.code;
    if (typeof jwtCode === 'string') body.code = jwtCode;
    return body;
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

/**
 * 503 `temporarily_unavailable`: the verifier refuses tokens because its revocation feed is
 * older than maxRevocationStalenessMs (`cause`: the JwtError ERR_REVOCATION_STALE). No
 * challenge (the token may be fine); `Retry-After` in seconds.
 */
export class TemporarilyUnavailableError extends UnauthorizedError {
  constructor(message, { retryAfter = 5, ...options } = {}) {
    super(message, { ...options, status: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': String(retryAfter) } });
    this.name = 'TemporarilyUnavailableError';
    // Not the client's fault, but nothing about the server a client should not know either.
    this.stack = `${this.name}: ${this.message}`;
  }
}

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
