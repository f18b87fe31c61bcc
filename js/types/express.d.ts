// Types of `revocable/express` (ESM and, copied to dist/cjs/express.d.cts, CommonJS).
import type { JwtPayload } from './index.js';
import type { RequireAuthOptions } from './http-auth.js';

export * from './http-auth.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified token payload, set by requireAuth() (undefined: optional, no token). */
      auth?: JwtPayload;
    }
  }
}

/** Minimal structural types so this file needs no @types/express. */
type Next = (err?: unknown) => void;
type Middleware = (req: any, res: any, next: Next) => void | Promise<void>;

/**
 * Requires a valid bearer token (RFC 6750): sets `req.auth`, or calls next(err) with
 * err.status 401 (400 for a malformed header, 503 for a stale revocation feed) and
 * err.headers (WWW-Authenticate or Retry-After).
 */
export declare function requireAuth(options: RequireAuthOptions<any>): Middleware;

/** Requires every listed scope in `req.auth.scope`; 403 insufficient_scope otherwise. */
export declare function requireScope(...scopes: (string | string[])[]): Middleware;
