// Types of `revocable/express` (ESM and, copied to dist/cjs/express.d.cts, CommonJS).
import type { JwtPayload } from './index.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified token payload, set by requireAuth(). */
      auth?: JwtPayload;
    }
  }
}

/** What requireAuth() needs from a verifier (createVerifier() returns one). */
export interface BearerVerifier {
  verify(token: string): JwtPayload;
  verifyAsync?(token: string): Promise<JwtPayload>;
}

export interface RequireAuthOptions {
  verifier: BearerVerifier;
  /** `realm` of the WWW-Authenticate challenge (default "api"). */
  realm?: string;
}

/** Minimal structural types so this file needs no @types/express. */
type Next = (err?: unknown) => void;
type Middleware = (req: any, res: any, next: Next) => void | Promise<void>;

/**
 * Requires a valid `Authorization: Bearer` token (RFC 6750): sets `req.auth`, or calls
 * next(err) with err.status 401 (400 for a malformed header) and
 * err.headers['WWW-Authenticate'].
 */
export declare function requireAuth(options: RequireAuthOptions): Middleware;

/** Requires every listed scope in `req.auth.scope`; 403 insufficient_scope otherwise. */
export declare function requireScope(...scopes: (string | string[])[]): Middleware;

export interface UnauthorizedErrorOptions {
  realm?: string;
  cause?: unknown;
}

/** 401 without error code (no bearer token); base class of the middleware's errors. */
export declare class UnauthorizedError extends Error {
  constructor(message?: string, options?: UnauthorizedErrorOptions);
  readonly status: 400 | 401 | 403;
  readonly statusCode: 400 | 401 | 403;
  readonly expose: true;
  /** The RFC 6750 error code, absent when the token was simply missing. */
  readonly code?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly headers: { 'WWW-Authenticate': string };
}
/** 400 invalid_request: malformed Authorization header. */
export declare class InvalidRequestError extends UnauthorizedError {}
/** 401 invalid_token: `cause` is the JwtError. */
export declare class InvalidTokenError extends UnauthorizedError {}
/** 403 insufficient_scope. */
export declare class InsufficientScopeError extends UnauthorizedError {
  constructor(message?: string, options?: UnauthorizedErrorOptions & { scopes?: string[] });
}
