// Types of `revocable/hono` (ESM and, copied to dist/cjs/hono.d.cts, CommonJS).
import type { Context, MiddlewareHandler } from 'hono';
import type { JwtPayload } from './index.js';
import type { RequireAuthOptions } from './http-auth.js';

export * from './http-auth.js';

/** The variables requireAuth() sets: `c.get('auth')`. */
export type AuthEnv<Payload = JwtPayload> = { Variables: { auth: Payload } };

/**
 * Requires a valid bearer token (RFC 6750) and sets `c.get('auth')`; a failure is an
 * HTTPException whose response is the answer (401/400/503, JSON `{ error, error_description, code? }`).
 */
export declare function requireAuth(
  options: RequireAuthOptions<Context> & { optional: true },
): MiddlewareHandler<AuthEnv<JwtPayload | undefined>>;
export declare function requireAuth(options: RequireAuthOptions<Context>): MiddlewareHandler<AuthEnv>;

/** Requires every listed scope in `c.get('auth').scope`; 403 insufficient_scope otherwise. */
export declare function requireScope(...scopes: (string | string[])[]): MiddlewareHandler<AuthEnv<JwtPayload | undefined>>;
