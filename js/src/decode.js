// Reading a token's claims WITHOUT verifying it.

import { JwtError } from './errors.js';

// The verifier's own limit (16 KiB, see the core): nothing longer is a token we accept.
const MAX_TOKEN_LENGTH = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message) {
  return new JwtError(message, { code: 'ERR_JWT_INVALID' });
}

function base64urlToBytes(segment) {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw invalid('invalid jwt: payload is not base64url');
  }
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Decodes the payload of a compact JWS **without verifying anything**: no signature, no
 * issuer, no expiry, no revocation. Never use the result for an access decision; use
 * `verifier.verify(token)` for that. Useful for logging a `sub` or routing by `iss`.
 *
 * Throws a JwtError with code ERR_JWT_INVALID when the token is not a JWS whose payload is
 * a JSON object.
 *
 * @param {string} token
 * @returns {Record<string, unknown>}
 */
export function decodeJwt(token) {
  if (typeof token !== 'string') throw invalid('invalid jwt: token must be a string');
  if (token.length > MAX_TOKEN_LENGTH) throw invalid('invalid jwt: token too large');
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('invalid jwt: expected three segments');
  let payload;
  try {
    payload = JSON.parse(utf8.decode(base64urlToBytes(parts[1])));
  } catch (err) {
    if (err instanceof JwtError) throw err;
    throw invalid('invalid jwt: payload is not json');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw invalid('invalid jwt: payload is not a json object');
  }
  return payload;
}

/**
 * The `kid` of a token's protected header, or undefined when there is none or the header
 * does not decode. Internal: decides whether a failed token names a key the verifier has
 * never seen (a JWKS refetch may help), never whether it is valid.
 */
export function unverifiedKid(token) {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 2048) return undefined;
  try {
    const header = JSON.parse(utf8.decode(base64urlToBytes(token.slice(0, dot))));
    return typeof header?.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
