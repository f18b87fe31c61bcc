// Types of `revocable/fastify` (ESM and, copied to dist/cjs/fastify.d.cts, CommonJS).
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { JwtPayload } from './index.js';
import type { RequireAuthOptions } from './http-auth.js';

export * from './http-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token payload, set by requireAuth() (undefined: optional, no token). */
    auth?: JwtPayload;
  }
}

/** A preHandler hook (callback style). */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * A preHandler hook requiring a valid bearer token (RFC 6750): sets `request.auth`; answers
 * 401/400/503 itself, or hands the error (statusCode, headers, body) to the app's own error
 * handler when there is one.
 */
export declare function requireAuth(options: RequireAuthOptions<FastifyRequest>): AuthHook;

/** A preHandler hook requiring every listed scope in `request.auth.scope`; 403 otherwise. */
export declare function requireScope(...scopes: (string | string[])[]): AuthHook;
