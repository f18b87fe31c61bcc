// Types shared by revocable/express, revocable/hono and revocable/fastify, each of which
// exports all of them (ESM and, copied to dist/cjs/http-auth.d.cts, CommonJS).
import type { JwtPayload } from './index.js';

/** What requireAuth() needs from a verifier (createVerifier() returns one). */
export interface BearerVerifier {
  verify(token: string): JwtPayload;
  verifyAsync?(token: string): Promise<JwtPayload>;
  status?(): { revocations: { intervalMs: number } | null };
}

export interface RequireAuthOptions<Request = unknown> {
  verifier: BearerVerifier;
  /** `realm` of the WWW-Authenticate challenge (default "api"). */
  realm?: string;
  /**
   * A request without a token passes, with auth undefined (default false). A malformed header
   * or a bad token still fails.
   */
  optional?: boolean;
  /**
   * Where the token is (default: the `Authorization: Bearer` header, RFC 6750). Return the
   * token, or undefined for none (e.g. a cookie the request does not carry).
   */
  getToken?: (request: Request) => string | undefined | null | Promise<string | undefined | null>;
}

/** The JSON body every adapter answers a failure with. */
export interface AuthErrorBody {
  error: 'unauthorized' | 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';
  error_description: string;
  /** The JwtError's code (invalid_token, temporarily_unavailable). */
  code?: string;
}

export interface UnauthorizedErrorOptions {
  realm?: string;
  cause?: unknown;
}

/** 401 without error code (no bearer token); base class of the adapters' errors. */
export declare class UnauthorizedError extends Error {
  constructor(message?: string, options?: UnauthorizedErrorOptions);
  readonly status: 400 | 401 | 403 | 503;
  readonly statusCode: 400 | 401 | 403 | 503;
  readonly expose: true;
  /** The RFC 6750 (or RFC 6749) error code, absent when the token was simply missing. */
  readonly code?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';
  /** `WWW-Authenticate` (401, 400, 403) or `Retry-After` (503). */
  readonly headers: Record<string, string>;
  /** The JSON answer. */
  readonly body: AuthErrorBody;
}
/** 400 invalid_request: malformed Authorization header. */
export declare class InvalidRequestError extends UnauthorizedError {}
/** 401 invalid_token: `cause` is the JwtError. */
export declare class InvalidTokenError extends UnauthorizedError {}
/** 403 insufficient_scope. */
export declare class InsufficientScopeError extends UnauthorizedError {
  constructor(message?: string, options?: UnauthorizedErrorOptions & { scopes?: string[] });
}
/** 503 temporarily_unavailable: the revocation feed is too old (`cause`: JwtError ERR_REVOCATION_STALE); `Retry-After` set. */
export declare class TemporarilyUnavailableError extends UnauthorizedError {
  constructor(message?: string, options?: UnauthorizedErrorOptions & { retryAfter?: number });
}
