// The errors of bearer-token authentication (RFC 6750) with their status, WWW-Authenticate
// challenge and JSON body: thrown by src/http-auth.js and exported as they are by each
// framework adapter (revocable/express, revocable/hono, revocable/fastify), with
// `export *`: whatever this module exports is part of each adapter's public API.

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
