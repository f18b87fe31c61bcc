// Types of the npm package `revocable` (ESM and, copied to dist/cjs/index.d.cts, CommonJS).

/** The stable error codes (the same strings as Rust `Error::code()` and the docs). */
export type JwtErrorCode =
  | 'ERR_JWT_INVALID'
  | 'ERR_JWS_INVALID'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_NOT_SUPPORTED'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWK_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWT_REVOKED'
  /** The verifier refuses every token: no successful feed poll within maxRevocationStalenessMs (adapters answer 503). */
  | 'ERR_REVOCATION_STALE'
  /** Not a token error: the core rejected the options (createVerifier turns it into a TypeError with this code). */
  | 'ERR_INVALID_OPTIONS'
  /** Not a token error: the revocation feed body is malformed (the `cause` of a RemoteSourceError). */
  | 'ERR_REVOCATION_FEED_INVALID';

/** Why a claim check failed. */
export type ClaimReason = 'missing' | 'invalid' | 'check_failed';

/** The JWS algorithms revocable verifies (`none` never). */
export type Algorithm =
  | 'EdDSA'
  | 'HS256' | 'HS384' | 'HS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512';

/**
 * A token failed verification. Match on `code`, never on `message` (which never contains the
 * token, key material or payload values).
 */
export declare class JwtError extends Error {
  constructor(message: string, details: { code: JwtErrorCode; claim?: string; reason?: ClaimReason; cause?: unknown });
  readonly name: 'JwtError';
  readonly code: JwtErrorCode;
  /** For ERR_JWT_EXPIRED (`exp`, or `iat` with maxTokenAge), ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_REVOKED (`jti`, `sid` or `sub`). */
  readonly claim?: string;
  /** For ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_EXPIRED. */
  readonly reason?: ClaimReason;
}

export type RemoteSourceErrorCode =
  | 'ERR_REMOTE_TIMEOUT'
  | 'ERR_REMOTE_UNREACHABLE'
  | 'ERR_REMOTE_STATUS'
  | 'ERR_REMOTE_TOO_LARGE'
  | 'ERR_REMOTE_INVALID';

/**
 * The issuer's metadata (discovery), the JWKS (`jwksUri`) or the revocation feed
 * (`revocationUri`) could not be fetched, or its body was rejected (`ERR_REMOTE_INVALID`,
 * `cause` is the JwtError if any). The verifier keeps serving the last good copy.
 */
export declare class RemoteSourceError extends Error {
  constructor(message: string, details: { code: RemoteSourceErrorCode; source: 'metadata' | 'jwks' | 'revocations'; status?: number; cause?: unknown });
  readonly name: 'RemoteSourceError';
  readonly code: RemoteSourceErrorCode;
  readonly source: 'metadata' | 'jwks' | 'revocations';
  /** The HTTP status, for ERR_REMOTE_STATUS. */
  readonly status?: number;
}

/** A verified payload: the registered claims typed, every other claim as unknown. */
export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  /** Session id (revocable's issuer sets it). */
  sid?: string;
  /** Space-separated scopes (RFC 9068). */
  scope?: string;
  [claim: string]: unknown;
}

/** A JSON Web Key (RFC 7517); public members only for verification. */
export interface Jwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  k?: string;
  [member: string]: unknown;
}

/** A JSON Web Key Set. */
export interface Jwks {
  keys: Jwk[];
}

interface VerifierOptionsBase {
  /** Accepted `iss` values (required). */
  issuer: string | string[];
  /** Accepted audiences; the token's `aud` must contain one (required). */
  audience: string | string[];
  /** Allow-list of algorithms (default: the algorithms of the configured keys). */
  algorithms?: Algorithm[];
  /** Seconds of tolerance for `exp`, `nbf` and `iat` (default 0). */
  clockTolerance?: number;
  /** Maximum age in seconds since `iat` (which then becomes required). */
  maxTokenAge?: number;
  /** Claims that must be present (besides `exp`, `iss`, `aud`). */
  requiredClaims?: string[];
  /** Expected `typ` header, e.g. `'at+jwt'` (RFC 9068): compared case-insensitively, `application/` optional. */
  typ?: string;

  /**
   * Poll the issuer's revocation feed (`GET /v1/revocations`) into the in-memory snapshot.
   * With discovery, the metadata's `revocation_feed_uri` unless given here.
   */
  revocationUri?: string | URL;
  /**
   * The issuer's read-only FEED_KEY, sent as the feed's bearer credential. Required for a
   * feed; with discovery, giving it turns the feed on. Never give a verifier the service key.
   */
  feedKey?: string;
  /** The older name of `feedKey` (accepted; an error when both are set and differ). */
  serviceKey?: string;
  /** Feed poll interval in ms (default 5000). */
  revocationIntervalMs?: number;
  /**
   * Fail closed: when the last successful feed poll is older than this (ms; larger than
   * revocationIntervalMs), verify() throws ERR_REVOCATION_STALE until a poll succeeds. Off by default.
   */
  maxRevocationStalenessMs?: number;

  /** Minimum ms between JWKS refetches triggered by unknown `kid`s (default 30000, at least 1000). */
  jwksCooldownMs?: number;
  /** JWKS older than this (ms) is refetched in the background on the next verify (default 600000). */
  jwksMaxAgeMs?: number;
  /** Timeout of every remote fetch in ms (default 5000). */
  fetchTimeoutMs?: number;
  /** Largest JWKS or feed body accepted, in bytes (default 4 MiB). */
  maxResponseBytes?: number;
  /** The fetch to use (default globalThis.fetch), e.g. a Workers service binding's fetch. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * Called for every failed background refresh (JWKS refetch, feed poll): the verifier keeps
   * serving the last good keys / snapshot and status() shows `stale: true`. Without a hook,
   * the first failure of a streak is logged with console.warn.
   */
  onError?: (error: RemoteSourceError) => void;
  /** Milliseconds since the epoch, for token time checks (default Date.now). */
  clock?: () => number;

  /**
   * The verified-token cache (default on, 1000 entries): a token seen before is not verified
   * again, but its time claims and the revocation snapshot are re-checked on every use. Keyed
   * by a keyed hash of the token (never the token), bounded (LRU), emptied on key changes.
   * `false` turns it off; `{ max }` sizes it (1 to 2^20 entries).
   */
  cache?: boolean | { max?: number };
  /**
   * Let the runtime's `node:crypto` (Node; workers with `nodejs_compat`) check EdDSA, ES*, RS* and
   * PS* signatures, which is many times faster than the wasm code (default true; no effect
   * where there is no node:crypto). Every other check stays in the core. In Node, `true` runs
   * the node-host wasm, which leaves EC and RSA arithmetic to Node's crypto (a key Node refuses
   * fails the key set: ERR_JWK_INVALID); `false` loads the portable wasm on first use.
   */
  hostCrypto?: boolean;
}

/**
 * Options of createVerifier(): policy fields, at most one key source, and optional feed.
 * With no key source, the issuer's RFC 8414 metadata (`${issuer}/.well-known/oauth-authorization-server`)
 * names the JWKS and the feed (one issuer only).
 */
export type VerifierOptions = VerifierOptionsBase &
  (
    | { /** Discovery: jwks_uri and revocation_feed_uri from the issuer's metadata. */ jwks?: never; jwksUri?: never; secret?: never }
    | { /** Local keys: a JWKS or a single JWK. */ jwks: Jwks | Jwk; jwksUri?: never; secret?: never }
    | { /** Remote JWKS, fetched at creation and refetched on unknown kid / age. */ jwksUri: string | URL; jwks?: never; secret?: never }
    | { /** HMAC secret for the one HS algorithm in `algorithms` (default HS256); at least the hash size in bytes. */ secret: string | Uint8Array; jwks?: never; jwksUri?: never }
  );

/** Freshness of a key source or the revocation feed (times in ms since the epoch). */
export interface SourceStatus {
  /** Last successful load (for local keys: creation). */
  updatedAt: number;
  lastAttemptAt: number;
  /** True while the last attempt failed: the last good copy is being served. */
  stale: boolean;
  /** Consecutive failed attempts. */
  failures: number;
  /** The most recent failure (kept after recovery; `stale` says whether it is current). */
  lastError: { code: string; message: string; at: number } | null;
}

export interface VerifierStatus {
  closed: boolean;
  keys: SourceStatus & {
    source: 'jwks' | 'jwksUri' | 'secret';
    /** The JWKS URL (given or discovered), null for local keys. */
    url: string | null;
    count: number;
    kids: (string | null)[];
    algorithms: Algorithm[];
  };
  revocations:
    | (SourceStatus & {
        entries: number;
        intervalMs: number;
        /** The feed URL (given or discovered). */
        url: string;
        /** maxRevocationStalenessMs, or null when off. */
        maxStalenessMs: number | null;
        /** True while verify() refuses every token with ERR_REVOCATION_STALE. */
        refusing: boolean;
      })
    | null;
  /** The verified-token cache (null when off or closed). */
  cache: { entries: number; max: number } | null;
  /** Whether signatures are checked by the runtime's node:crypto. */
  hostCrypto: boolean;
}

export interface Verifier {
  /** Verifies synchronously and returns the payload; throws JwtError (ERR_REVOCATION_STALE: the feed is too old). */
  verify<T extends JwtPayload = JwtPayload>(token: string): T;
  /** Like verify(), but waits for a JWKS refetch when the token's kid is unknown. */
  verifyAsync<T extends JwtPayload = JwtPayload>(token: string): Promise<T>;
  /**
   * Polls the revocation feed now unless the last poll started less than revocationIntervalMs
   * ago (resolves at once) or one is running (shares it). Never rejects; failures show in
   * status(). For Cloudflare Workers, whose timers only run during a request: await it before
   * verify(), or pass it to ctx.waitUntil(). A no-op without revocationUri.
   */
  refreshRevocations(): Promise<void>;
  /** Stops timers and in-flight fetches and frees the wasm verifier. Idempotent. */
  close(): void;
  /** Key source and revocation feed freshness, counts and last errors. */
  status(): VerifierStatus;
}

/**
 * Creates a verifier: discovers the issuer's URLs (no key source given), loads the keys
 * (fetching `jwksUri`) and, with a feed, the first revocation snapshot; rejects (TypeError for
 * bad options, with `code` ERR_INVALID_OPTIONS when the core found them unusable; JwtError for
 * bad keys; RemoteSourceError for failed discovery or a failed first fetch) otherwise.
 */
export declare function createVerifier(options: VerifierOptions): Promise<Verifier>;

/**
 * Loads the wasm module. Node and workerd need nothing; in browsers createVerifier() fetches
 * `revocable_wasm_bg.wasm` next to the package's web build, and this lets you pass the
 * module, its bytes, a Response or a URL instead (e.g. when your bundler does not emit it).
 */
export declare function initWasm(
  source?: WebAssembly.Module | BufferSource | Response | Promise<Response> | URL | string,
): Promise<void>;

/**
 * Decodes the payload WITHOUT VERIFYING ANYTHING (signature, issuer, expiry, revocation).
 * Never base an access decision on it. Throws JwtError ERR_JWT_INVALID when the token is not
 * a JWS with a JSON object payload.
 */
export declare function decodeJwt<T extends JwtPayload = JwtPayload>(token: string): T;
