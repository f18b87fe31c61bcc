// Error classes of the package. Codes are the stable strings of the contract (docs, Rust
// `Error::code()`, `err.code` here); match on `code`, never on `message`.

/**
 * A token failed verification (or could not even be decoded).
 *
 * `code` is one of the stable codes (ERR_JWT_EXPIRED, ERR_JWT_REVOKED, ...); claim errors
 * also carry `claim` (e.g. "aud") and `reason` ("missing" | "invalid" | "check_failed").
 * Messages never contain the token, key material or payload values.
 */
export class JwtError extends Error {
  /**
   * @param {string} message
   * @param {{ code: string, claim?: string, reason?: string, cause?: unknown }} details
   */
  constructor(message, { code, claim, reason, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'JwtError';
    this.code = code;
    if (claim !== undefined) this.claim = claim;
    if (reason !== undefined) this.reason = reason;
  }
}

/**
 * A remote source (the issuer's metadata, the JWKS at `jwksUri` or the revocation feed at
 * `revocationUri`) could not be fetched or its body was rejected. The verifier keeps serving
 * the last good copy; this error reaches `createVerifier`'s rejection (discovery, first load),
 * the `onError` hook and `status()` (background refreshes).
 *
 * `code`: ERR_REMOTE_TIMEOUT | ERR_REMOTE_UNREACHABLE | ERR_REMOTE_STATUS (see `status`) |
 * ERR_REMOTE_TOO_LARGE | ERR_REMOTE_INVALID (the body was rejected; `cause` is the JwtError,
 * if any). `source`: "metadata" | "jwks" | "revocations".
 */
export class RemoteSourceError extends Error {
  /**
   * @param {string} message
   * @param {{ code: string, source: 'metadata' | 'jwks' | 'revocations', status?: number, cause?: unknown }} details
   */
  constructor(message, { code, source, status, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RemoteSourceError';
    this.code = code;
    this.source = source;
    if (status !== undefined) this.status = status;
  }
}

/**
 * Turns what the wasm verifier threw into a JwtError. The wasm side throws plain Errors
 * named "JwtError" with code/claim/reason; anything else (a TypeError for a programming
 * mistake) passes through unchanged.
 */
export function toJwtError(err) {
  if (err !== null && typeof err === 'object' && err.name === 'JwtError' && typeof err.code === 'string') {
    if (err instanceof JwtError) return err;
    return new JwtError(err.message, { code: err.code, claim: err.claim, reason: err.reason });
  }
  return err;
}
